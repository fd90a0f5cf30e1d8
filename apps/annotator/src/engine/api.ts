/** The `tsam serve` REST API (relative URLs: the server serves this app at its root). */
import type { AmgRecord } from '@tsam/core';

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
  files?: { encoder?: string; decoder?: string; decoderBatched?: string };
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
    throw new Error(`${what}: ${msg}`);
  }
  return (await res.json()) as T;
}

export const api = {
  base: 'api/',

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
    return json<ServerImage[]>(await fetch(`${this.base}images`), 'list images');
  },

  async upload(file: Blob, name: string): Promise<ServerImage> {
    const type = file.type || 'application/octet-stream';
    const res = await fetch(`${this.base}images?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: file,
    });
    return json<ServerImage>(res, `upload ${name}`);
  },

  imageUrl(id: string): string {
    return `${this.base}images/${encodeURIComponent(id)}`;
  },

  embeddingUrl(id: string): string {
    return `${this.base}images/${encodeURIComponent(id)}/embedding`;
  },

  async amg(id: string, params?: Record<string, unknown>): Promise<AmgRecord[]> {
    const res = await fetch(`${this.base}images/${encodeURIComponent(id)}/amg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params ? { params } : {}),
    });
    return (await json<{ records: AmgRecord[] }>(res, 'everything')).records;
  },
};
