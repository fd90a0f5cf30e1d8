export * from './models/index.js';
export * from './session.js';
export * from './image.js';
export * from './export.js';
export * from './load.js';
export * from './predictor.js';
export * from './amg.js';
export * from './amg-record.js';
