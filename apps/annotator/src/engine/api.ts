/** The `tsam serve` REST API (relative URLs: the server serves this app at its root). */
import type { AmgRecord } from '@tsam/core';
import { HttpStatusError } from '@tsam/web/page';

export interface ServerImage {
  id: string;
  width: number;
  height: number;
  name: string;
}

/** The part of `tsam export`'s model.json the app reads (page-only mode). */
export interface ModelJson {
  family?: string;
  modelSize?: number;
  files?: { encoder?: string; decoder?: string; decoderBatched?: string; decoderLowRes?: string };
  checkpoint?: { file?: string };
}

/** The part of the server's GET /api/model the app reads. */
export interface ServerModel {
  name?: string;
  family?: string;
  model_size?: number;
  files?: Record<string, { url: string; bytes: number }>;
}

async function json<T>(res: Response, what: string): Promise<T> {
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { message?: string };
      if (body.message) msg = body.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new HttpStatusError(res.status, `${what}: ${msg}`);
  }
  return (await res.json()) as T;
}

/** How long the page keeps retrying an unreachable server before it gives up on a request. */
const RETRY_FOR_MS = 5 * 60_000;
const RETRY_EVERY_MS = 1000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/**
 * `run` (one or more fetches), retried while the server cannot be reached (fetch rejects with a
 * TypeError: stopped, restarting, network down). `api.onUnreachable` is told each time, so the
 * page can say so. HTTP errors are not retried: they are answers.
 */
export async function retryUnreachable<T>(what: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await run();
    } catch (e) {
      if (!(e instanceof TypeError) || signal?.aborted) throw e;
      if (Date.now() - t0 > RETRY_FOR_MS)
        throw new Error(`${what}: the server is unreachable (tried for ${RETRY_FOR_MS / 60_000} min); start tsam serve and try again`);
      api.onUnreachable?.(what);
      await sleep(RETRY_EVERY_MS, signal);
    }
  }
}

const fetchRetrying = (url: string, init: RequestInit, what: string): Promise<Response> =>
  retryUnreachable(what, () => fetch(url, init), init.signal ?? undefined);

export const api = {
  base: 'api/',
  /** Called while a request waits for an unreachable server (set by the engine to show it). */
  onUnreachable: undefined as ((what: string) => void) | undefined,

  /** The server's model description if a server answers, else null (page-only mode). */
  async model(): Promise<ServerModel | null> {
    try {
      const res = await fetch(`${this.base}model`);
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
      return (await res.json()) as ServerModel;
    } catch {
      return null;
    }
  },

  decoderUrl(): string {
    return `${this.base}model/decoder.onnx`;
  },

  async listImages(): Promise<ServerImage[]> {
    return json<ServerImage[]>(await fetchRetrying(`${this.base}images`, {}, 'list images'), 'list images');
  },

  async upload(file: Blob, name: string): Promise<ServerImage> {
    const type = file.type || 'application/octet-stream';
    const res = await fetchRetrying(
      `${this.base}images?name=${encodeURIComponent(name)}`,
      { method: 'POST', headers: { 'content-type': type }, body: file },
      `upload ${name}`,
    );
    return json<ServerImage>(res, `upload ${name}`);
  },

  imageUrl(id: string): string {
    return `${this.base}images/${encodeURIComponent(id)}`;
  },

  embeddingUrl(id: string): string {
    return `${this.base}images/${encodeURIComponent(id)}/embedding`;
  },

  /** The image's bytes as the server stores them. */
  async imageBlob(id: string): Promise<Blob> {
    const res = await fetchRetrying(this.imageUrl(id), {}, 'fetch the image');
    if (!res.ok) await json(res, 'fetch the image');
    return res.blob();
  },

  /** `signal` aborts the request (Esc on a running "everything"). */
  async amg(id: string, params?: Record<string, unknown>, signal?: AbortSignal): Promise<AmgRecord[]> {
    const res = await fetchRetrying(
      `${this.base}images/${encodeURIComponent(id)}/amg`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params ? { params } : {}),
        ...(signal && { signal }),
      },
      'everything',
    );
    return (await json<{ records: AmgRecord[] }>(res, 'everything')).records;
  },
};
