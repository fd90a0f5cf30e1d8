/**
 * Where downloaded checkpoints live. Follows the XDG convention so models are
 * shared between projects and survive `node_modules` reinstalls.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CacheOptions {
  /** Overrides every environment-based choice. */
  cacheDir?: string;
  /** Environment to read (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

/** `$TSAM_CACHE_DIR`, else `$XDG_CACHE_HOME/tsam`, else `~/.cache/tsam`. */
export function cacheDir(opts: CacheOptions = {}): string {
  if (opts.cacheDir) return resolve(opts.cacheDir);
  const env = opts.env ?? process.env;
  if (env.TSAM_CACHE_DIR) return resolve(env.TSAM_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'tsam');
  return join(homedir(), '.cache', 'tsam');
}

/** `<cache>/models`. */
export function modelsDir(opts: CacheOptions = {}): string {
  return join(cacheDir(opts), 'models');
}

/** `<cache>/models/<file>`; `file` must be a bare file name. */
export function modelPath(file: string, opts: CacheOptions = {}): string {
  return join(modelsDir(opts), safeFileName(file));
}

/** Rejects names that could escape the models directory (they may come from a URL). */
export function safeFileName(file: string): string {
  if (!file || file === '.' || file === '..' || /[/\\\0]/.test(file)) {
    throw new Error(`Invalid model file name: ${JSON.stringify(file)}`);
  }
  return file;
}
