/**
 * `@tsam/web/page`: what the page side needs (worker client, fetching, image decoding), without
 * onnxruntime-web, which only the worker loads.
 */
export * from './client.js';
export * from './fetch.js';
export * from './image.js';
export type * from './protocol.js';
