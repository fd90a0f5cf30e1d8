/** Model registry, cache and downloader behind `tsam models pull|list`. */
export { BUILTIN_MODELS, DEFAULT_MODEL, findModel, isUrl, modelRegistry } from './registry.js';
export type { ModelEntry, RegistryOptions } from './registry.js';
export { cacheDir, modelPath, modelsDir } from './cache.js';
export type { CacheOptions } from './cache.js';
export { ModelError } from './errors.js';
export type { ModelErrorCode } from './errors.js';
export { sha256File } from './hash.js';
export { pullModel } from './download.js';
export { importLocalModel } from './local.js';
export type { PullOptions, PullProgress, PullResult } from './download.js';
export { describePullResult, formatBytes } from './progress.js';
export { listModels, resolveCheckpoint } from './resolve.js';
export type { ModelInfo, ModelOptions } from './resolve.js';
