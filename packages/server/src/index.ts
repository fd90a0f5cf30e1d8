export * from './server.js';
export * from './service.js';
export * from './images.js';
export * from './embedding-cache.js';
export * from './queue.js';
export * from './errors.js';
export { openApiDocument } from './openapi.js';
export { DEFAULT_APP_DIR } from './routes/app.js';
