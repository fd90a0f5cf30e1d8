/** Fetching models and embeddings, with progress, in the page or in a worker. */
import type { ImageEmbedding } from '@tsam/core';

/** A response that is not 2xx, with its status (a 404 for an image id: the server forgot it). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** Bytes received so far and the total (0 when the server gave no Content-Length). */
export type ProgressFn = (loaded: number, total: number) => void;

/** GETs `url` as bytes, reporting progress as chunks arrive. Throws with the status on errors. */
export async function fetchBytes(url: string, onProgress?: ProgressFn, init?: RequestInit): Promise<Uint8Array> {
  const res = await fetch(url, init);
  if (!res.ok) throw new HttpStatusError(res.status, `GET ${url}: ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Parses `"1,256,64,64"`-style header values. */
function parseInts(v: string | null, what: string): number[] {
  const xs = (v ?? '').split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`bad ${what} header: ${JSON.stringify(v)}`);
  return xs;
}

/**
 * Raw float32 little-endian embedding bytes + shape + image size → an `ImageEmbedding` for
 * `SamPredictor.setEmbedding`. Copies when the bytes are not 4-aligned.
 */
export function parseEmbedding(bytes: Uint8Array, dims: readonly number[], width: number, height: number): ImageEmbedding {
  const n = dims.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * 4)
    throw new Error(`embedding: expected ${n} float32 values for [${dims.join(', ')}], got ${bytes.byteLength} bytes`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const data = new Float32Array(aligned.buffer, aligned.byteOffset, n);
  return { data, dims: [...dims], width, height };
}

/**
 * GETs a server's `/api/images/:id/embedding`: raw float32 LE with headers
 * `x-tsam-shape: 1,256,64,64` and `x-tsam-image-size: W,H`.
 */
export async function fetchEmbedding(url: string, onProgress?: ProgressFn): Promise<ImageEmbedding> {
  const res = await fetch(url);
  if (!res.ok) throw new HttpStatusError(res.status, `GET ${url}: ${res.status} ${res.statusText}`);
  const dims = parseInts(res.headers.get('x-tsam-shape'), 'x-tsam-shape');
  const size = parseInts(res.headers.get('x-tsam-image-size'), 'x-tsam-image-size');
  if (size.length !== 2) throw new Error(`bad x-tsam-image-size header: ${res.headers.get('x-tsam-image-size')}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  onProgress?.(bytes.length, bytes.length);
  return parseEmbedding(bytes, dims, size[0]!, size[1]!);
}
