export * from './loss.js';
export * from './step-graph.js';
export * from './adamw.js';
export * from './steps.js';
export * from './replay.js';
export * from './prompt-sim.js';
