/**
 * `pullModel`: resumable, verified, streaming checkpoint download.
 *
 * Downloads go to `<file>.part` and are renamed into place only after the SHA-256
 * matches, so a file at the final path is always complete. An interrupted download
 * is resumed with `Range: bytes=N-` (the prefix is re-hashed, not trusted).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type CacheOptions, modelPath } from './cache.js';
import { ModelError, describeNetworkError } from './errors.js';
import { hashFilePrefix } from './hash.js';
import { importLocalModel, localSource } from './local.js';
import { type ModelEntry, type RegistryOptions, findModel, isUrl, modelRegistry } from './registry.js';

export interface PullProgress {
  /** `verify`: hashing bytes already on disk; `download`: receiving new bytes. */
  phase: 'verify' | 'download';
  /** Bytes done so far in this phase (for `download`, includes the resumed prefix). */
  bytes: number;
  /** Total file size when known. */
  total?: number;
  /** Bytes that were already on disk when this download started. */
  resumedFrom: number;
}

export interface PullOptions extends RegistryOptions, CacheOptions {
  /** Injected for tests or proxies; defaults to the global (undici) fetch. */
  fetchImpl?: typeof fetch;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Download again even if a verified file is already cached. */
  force?: boolean;
}

export interface PullResult {
  /** Registry name, when the argument named (or its URL matched) a registry entry. */
  name?: string;
  url: string;
  path: string;
  sha256: string;
  bytes: number;
  /** True when an existing `.part` prefix was kept and continued. */
  resumed: boolean;
  /** True when the file was already present (and verified, if a hash is known): nothing downloaded. */
  cached: boolean;
  /** True when the SHA-256 was checked against a known value. */
  verified: boolean;
}

interface Target {
  entry?: ModelEntry;
  url: string;
  file: string;
  sha256?: string;
  bytes?: number;
}

/** Thrown internally to start over from byte 0 (server ignored or mangled our Range). */
class Restart extends Error {}

const PROGRESS_INTERVAL_MS = 100;

function resolveTarget(nameOrUrl: string, opts: RegistryOptions): Target {
  if (isUrl(nameOrUrl)) {
    const entry = modelRegistry(opts).find((e) => e.url === nameOrUrl);
    if (entry) return { entry, url: entry.url, file: entry.file, sha256: entry.sha256, bytes: entry.bytes };
    let file: string;
    try {
      file = decodeURIComponent(new URL(nameOrUrl).pathname.split('/').pop() ?? '');
    } catch {
      throw new ModelError('BAD_URL', `Invalid URL: ${nameOrUrl}`, { url: nameOrUrl });
    }
    if (!file || file === '.' || file === '..' || /[/\\\0]/.test(file)) {
      throw new ModelError('BAD_URL', `Cannot derive a file name from URL: ${nameOrUrl}`, { url: nameOrUrl });
    }
    return { url: nameOrUrl, file };
  }
  const entry = findModel(nameOrUrl, opts);
  if (!entry) {
    const names = modelRegistry(opts)
      .map((e) => e.name)
      .join(', ');
    throw new ModelError('UNKNOWN_MODEL', `Unknown model "${nameOrUrl}". Known models: ${names} (or pass an https:// URL).`);
  }
  return { entry, url: entry.url, file: entry.file, sha256: entry.sha256, bytes: entry.bytes };
}

/** What to do without network: fetch the file elsewhere and hand it to `pull`. */
function byHand(t: Target, dest: string): string {
  return `Without network, download ${t.url} by hand, then run: npx tsam models pull /path/to/${t.file} (it is checked and copied to ${dest})`;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Parses `bytes a-b/total` and `bytes *\/total`. */
function parseContentRange(h: string | null): { start?: number; total?: number } | undefined {
  const m = h?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!m) return undefined;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

/**
 * Downloads a registry model (by name/alias) or an arbitrary URL into the cache, or copies in a
 * local file (a path or `file://` URL, e.g. downloaded by hand), checking it against the registry.
 * Never buffers the file in memory; safe to re-run after an interruption (resumes).
 */
export async function pullModel(nameOrUrl: string, opts: PullOptions = {}): Promise<PullResult> {
  const local = await localSource(nameOrUrl);
  if (local) return importLocalModel(local, opts);
  const t = resolveTarget(nameOrUrl, opts);
  const dest = modelPath(t.file, opts);
  await mkdir(dirname(dest), { recursive: true });
  const expected = t.sha256?.toLowerCase();
  const base = { name: t.entry?.name, url: t.url, path: dest };

  const existing = opts.force ? undefined : await fileSize(dest);
  if (existing !== undefined && (t.bytes === undefined || existing === t.bytes)) {
    const report = (bytes: number) => opts.onProgress?.({ phase: 'verify', bytes, total: existing, resumedFrom: 0 });
    const { hash, bytes } = await hashFilePrefix(dest, undefined, report);
    const sha256 = hash.digest('hex');
    if (!expected || sha256 === expected) {
      return { ...base, sha256, bytes, resumed: false, cached: true, verified: !!expected };
    }
    // A wrong file at the final path: download a fresh copy; the rename replaces it.
  }

  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(t, dest, expected, opts, base);
    } catch (err) {
      if (err instanceof Restart && attempt < 2) continue;
      if (err instanceof Restart)
        throw new ModelError('HTTP_ERROR', `Server kept sending inconsistent ranges for ${t.url}`, { url: t.url });
      throw err;
    }
  }
}

async function downloadOnce(
  t: Target,
  dest: string,
  expected: string | undefined,
  opts: PullOptions,
  base: { name?: string; url: string; path: string },
): Promise<PullResult> {
  const part = `${dest}.part`;
  let offset = (await fileSize(part)) ?? 0;
  if (t.bytes !== undefined && offset > t.bytes) {
    await rm(part, { force: true });
    offset = 0;
  }
  const finish = async (sha256: string, bytes: number, resumed: boolean): Promise<PullResult> => {
    if (expected && sha256 !== expected) {
      await rm(part, { force: true });
      throw new ModelError(
        'CHECKSUM_MISMATCH',
        `SHA-256 mismatch for ${t.url}: expected ${expected}, got ${sha256} (${bytes} bytes). The partial file was deleted; try again.`,
        { url: t.url, expected, actual: sha256 },
      );
    }
    if (t.bytes !== undefined && bytes !== t.bytes) {
      await rm(part, { force: true });
      throw new ModelError('CHECKSUM_MISMATCH', `Size mismatch for ${t.url}: expected ${t.bytes} bytes, got ${bytes}.`, { url: t.url });
    }
    await rename(part, dest);
    return { ...base, sha256, bytes, resumed, cached: false, verified: !!expected };
  };
  const verifyPart = async (length: number) => {
    const report = (bytes: number) => opts.onProgress?.({ phase: 'verify', bytes, total: length, resumedFrom: length });
    return hashFilePrefix(part, length, report);
  };

  // A complete .part left over (e.g. killed between download and rename): no request needed.
  if (offset > 0 && offset === t.bytes) {
    const { hash, bytes } = await verifyPart(offset);
    return finish(hash.digest('hex'), bytes, true);
  }

  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(t.url, { headers, signal: opts.signal, redirect: 'follow' });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ModelError(
      'NETWORK_ERROR',
      `Could not download ${t.url}: ${describeNetworkError(err)}. ${byHand(t, dest)}`,
      { url: t.url },
      { cause: err },
    );
  }

  let total: number | undefined;
  let append = false;
  const length = res.headers.get('content-length');
  if (res.status === 416 && offset > 0) {
    // Our prefix is already the whole file (or longer than it): verify it or start over.
    await res.body?.cancel();
    const cr = parseContentRange(res.headers.get('content-range'));
    if (cr?.total === offset) {
      const { hash, bytes } = await verifyPart(offset);
      return finish(hash.digest('hex'), bytes, true);
    }
    await rm(part, { force: true });
    throw new Restart();
  } else if (res.status === 206 && offset > 0) {
    const cr = parseContentRange(res.headers.get('content-range'));
    if (cr?.start !== offset) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new Restart();
    }
    total = cr.total ?? (length === null ? undefined : offset + Number(length));
    append = true;
  } else if (res.status === 200) {
    offset = 0; // no Range sent, or the server ignored it: rewrite from byte 0
    total = length === null ? t.bytes : Number(length);
  } else {
    await res.body?.cancel().catch(() => undefined);
    const text = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    throw new ModelError('HTTP_ERROR', `Download failed: HTTP ${text} for ${t.url}. ${byHand(t, dest)}`, {
      url: t.url,
      status: res.status,
    });
  }
  if (!res.body) throw new ModelError('HTTP_ERROR', `Empty response body from ${t.url}`, { url: t.url });

  const { hash } = append ? await verifyPart(offset) : await hashFilePrefix(part, 0);
  let bytes = offset;
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    opts.onProgress?.({ phase: 'download', bytes, total, resumedFrom: offset });
  };
  report(true);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      report(false);
      cb(null, chunk);
    },
  });
  try {
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    await pipeline(body, tap, createWriteStream(part, { flags: append ? 'a' : 'w' }), { signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const of = total === undefined ? '' : ` of ${total}`;
    throw new ModelError(
      'INCOMPLETE_DOWNLOAD',
      `Download of ${t.url} was interrupted after ${bytes}${of} bytes: ${describeNetworkError(err)}. Run the same command again to resume.`,
      { url: t.url },
      { cause: err },
    );
  }
  report(true);
  if (total !== undefined && bytes < total) {
    throw new ModelError(
      'INCOMPLETE_DOWNLOAD',
      `Download of ${t.url} ended early after ${bytes} of ${total} bytes. Run the same command again to resume.`,
      { url: t.url },
    );
  }
  return finish(hash.digest('hex'), bytes, append);
}
