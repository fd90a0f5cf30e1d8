export * from './tensor.js';
export * from './graph.js';
export * as ops from './ops.js';
export * from './weights.js';
export * as nn from './nn.js';
export * from './writer.js';
export * from './precision.js';
export * from './autodiff/index.js';
