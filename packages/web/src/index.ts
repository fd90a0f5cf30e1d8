export * from './env.js';
export * from './session.js';
export * from './fetch.js';
export * from './image.js';
export * from './protocol.js';
export * from './worker-host.js';
export * from './client.js';
