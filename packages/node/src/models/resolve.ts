/**
 * Maps a `--checkpoint` / `--model` argument to a file on disk without ever
 * downloading: commands that run a model must fail fast with the exact command to fix it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { type CacheOptions, modelPath, modelsDir } from './cache.js';
import { ModelError } from './errors.js';
import { DEFAULT_MODEL, type ModelEntry, type RegistryOptions, findModel, modelRegistry } from './registry.js';

export type ModelOptions = RegistryOptions & CacheOptions;

export interface ModelInfo {
  name: string;
  aliases: string[];
  file: string;
  url: string;
  sha256?: string;
  bytes?: number;
  family?: ModelEntry['family'];
  description?: string;
  /** Where the file lives (or would live) in the cache. */
  path: string;
  /** Present in the cache (with the expected size, when known). Not re-hashed: that is `pull`'s job. */
  cached: boolean;
  isDefault: boolean;
}

function isCached(path: string, bytes: number | undefined): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (bytes === undefined || st.size === bytes);
  } catch {
    return false;
  }
}

/** Every registry model with its cache status. */
export function listModels(opts: ModelOptions = {}): ModelInfo[] {
  return modelRegistry(opts).map((e) => {
    const path = modelPath(e.file, opts);
    return {
      name: e.name,
      aliases: e.aliases ?? [],
      file: e.file,
      url: e.url,
      sha256: e.sha256,
      bytes: e.bytes,
      family: e.family,
      description: e.description,
      path,
      cached: isCached(path, e.bytes),
      isDefault: e.name === DEFAULT_MODEL,
    };
  });
}

/** A file pulled from a custom URL or path, by its file name or its name without the extension. */
function customCached(arg: string, opts: CacheOptions): string | undefined {
  const dir = modelsDir(opts);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const key = arg.toLowerCase();
  const hit = names.find(
    (f) => !f.endsWith('.part') && (f.toLowerCase() === key || f.slice(0, f.length - extname(f).length).toLowerCase() === key),
  );
  return hit && statSync(join(dir, hit)).isFile() ? join(dir, hit) : undefined;
}

/**
 * Existing path → that path; registry name/alias → its cached file; the name of a file pulled
 * from a custom URL (`custom_sam` for `custom_sam.pth`) → that file; nothing → the default
 * model (mobile_sam). Throws a ModelError telling the user how to get a missing model.
 */
export function resolveCheckpoint(nameOrPath?: string, opts: ModelOptions = {}): string {
  const arg = nameOrPath?.trim() || DEFAULT_MODEL;
  if (existsSync(arg) && statSync(arg).isFile()) return resolve(arg);
  const entry = findModel(arg, opts);
  if (entry) {
    const path = modelPath(entry.file, opts);
    if (isCached(path, entry.bytes)) return path;
    throw new ModelError(
      'NOT_DOWNLOADED',
      `Model "${entry.name}" is not downloaded. Run: npx tsam models pull ${entry.name} (or pass --checkpoint PATH). ` +
        `Without network, download ${entry.url} by hand, then run: npx tsam models pull /path/to/${entry.file}`,
    );
  }
  const custom = /[/\\]/.test(arg) ? undefined : customCached(arg, opts);
  if (custom) return custom;
  if (/[/\\]/.test(arg) || /\.(pth?|onnx|bin|safetensors)$/i.test(arg)) {
    throw new ModelError('CHECKPOINT_NOT_FOUND', `Checkpoint file not found: ${resolve(arg)}`);
  }
  const names = modelRegistry(opts)
    .map((e) => e.name)
    .join(', ');
  throw new ModelError(
    'UNKNOWN_MODEL',
    `Unknown model "${arg}" and no such file. Known models: ${names}, or a file pulled into ${modelsDir(opts)} (see: npx tsam models list).`,
  );
}
