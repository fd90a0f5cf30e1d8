/**
 * `pullModel` for a file already on disk (a path or a `file://` URL): the offline way to fill the
 * cache with a checkpoint downloaded by hand. The file is hashed, matched to a registry entry (by
 * SHA-256, else by file name, whose hash must then match) and copied into the cache through a
 * `.part` file, so a file at the final path is always complete.
 */
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CacheOptions, modelPath, safeFileName } from './cache.js';
import type { PullOptions, PullResult } from './download.js';
import { ModelError } from './errors.js';
import { hashFilePrefix } from './hash.js';
import { type RegistryOptions, modelRegistry } from './registry.js';

/** A `file://` URL, or the path of an existing file. */
export async function localSource(arg: string): Promise<string | undefined> {
  if (/^file:\/\//i.test(arg)) {
    try {
      return fileURLToPath(arg);
    } catch {
      throw new ModelError('BAD_URL', `Invalid file URL: ${arg}`, { url: arg });
    }
  }
  const st = await stat(arg).catch(() => undefined);
  return st?.isFile() ? resolve(arg) : undefined;
}

const norm = (s: string): string => s.trim().toLowerCase();

export async function importLocalModel(source: string, opts: PullOptions & RegistryOptions & CacheOptions = {}): Promise<PullResult> {
  const st = await stat(source).catch(() => undefined);
  if (!st?.isFile()) {
    throw new ModelError('CHECKPOINT_NOT_FOUND', `No such file: ${source}. Give the path of a checkpoint downloaded by hand.`);
  }
  const report = (bytes: number) => opts.onProgress?.({ phase: 'verify', bytes, total: st.size, resumedFrom: 0 });
  const { hash, bytes } = await hashFilePrefix(source, undefined, report);
  const sha256 = hash.digest('hex');
  const registry = modelRegistry(opts);
  const byHash = registry.find((e) => e.sha256?.toLowerCase() === sha256);
  const byName = registry.find((e) => norm(e.file) === norm(basename(source)));
  if (!byHash && byName?.sha256) {
    throw new ModelError(
      'CHECKSUM_MISMATCH',
      `${source} is named like ${byName.name} (${byName.file}) but is not it: expected SHA-256 ${byName.sha256}, got ${sha256} (${bytes} bytes). ` +
        `Download it again from ${byName.url}.`,
      { expected: byName.sha256, actual: sha256 },
    );
  }
  const entry = byHash ?? byName;
  const dest = modelPath(entry?.file ?? safeFileName(basename(source)), opts);
  const result = { name: entry?.name, url: pathToFileURL(source).href, path: dest, sha256, bytes, resumed: false, verified: !!byHash };
  if (resolve(source) === dest) return { ...result, cached: true };
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  try {
    await copyFile(source, part);
    await rename(part, dest);
  } catch (err) {
    await rm(part, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new ModelError(
      'COPY_FAILED',
      `Could not copy ${source} to ${dest}: ${e.code ?? e.message}. Check that ${dirname(dest)} is writable (or set TSAM_CACHE_DIR).`,
      {},
      { cause: err },
    );
  }
  return { ...result, cached: false };
}
