/** Fetching models and embeddings, with progress, in the page or in a worker. */
import { parseEmbedding, parseEmbeddingHeaders, type ImageEmbedding } from '@tsam/core';

/** The wire's embedding parser (core's wire.ts), for bytes fetched some other way. */
export { parseEmbedding };

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

/**
 * GETs a server's `/api/images/:id/embedding`: raw float32 LE with headers
 * `x-tsam-shape: 1,256,64,64` and `x-tsam-image-size: W,H` (WIRE_HEADERS).
 */
export async function fetchEmbedding(url: string, onProgress?: ProgressFn): Promise<ImageEmbedding> {
  const res = await fetch(url);
  if (!res.ok) throw new HttpStatusError(res.status, `GET ${url}: ${res.status} ${res.statusText}`);
  const { dims, width, height } = parseEmbeddingHeaders((name) => res.headers.get(name));
  const bytes = new Uint8Array(await res.arrayBuffer());
  onProgress?.(bytes.length, bytes.length);
  return parseEmbedding(bytes, dims, width, height);
}
