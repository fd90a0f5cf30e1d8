/** The page side of the decoder protocol: promises over `postMessage` to a worker. */
import type { AmgParams, ImageEmbedding, PromptInput, RgbImage } from '@tsam/core';
import type { FromWorker, InitRequest, Progress, SamRequest, SamResults, ToWorker } from './protocol.js';

/** The part of `Worker` used here. */
export interface WorkerLike {
  addEventListener(type: 'message', listener: (ev: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', listener: (ev: ErrorEvent) => void): void;
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  terminate(): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress: ((p: Progress) => void) | undefined;
}

export class SamWorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (ev) => this.receive(ev.data));
    worker.addEventListener('error', (ev) => {
      const err = new Error(`decoder worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private receive(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'progress') {
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.kind === 'result') p.resolve(msg.result);
    else p.reject(new Error(msg.message));
  }

  private call<K extends SamRequest['type']>(
    req: Extract<SamRequest, { type: K }>,
    transfer: Transferable[] = [],
    onProgress?: (p: Progress) => void,
  ): Promise<SamResults[K]> {
    const id = this.nextId++;
    return new Promise<SamResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.worker.postMessage({ id, req }, transfer);
    });
  }

  /** Loads the graphs (URLs are fetched by the worker, with progress). */
  init(req: Omit<InitRequest, 'type'>, onProgress?: (p: Progress) => void): Promise<SamResults['init']> {
    const transfer = [req.decoder, req.lowResDecoder, req.encoder, req.batchedDecoder].filter(
      (x): x is ArrayBuffer => x instanceof ArrayBuffer,
    );
    return this.call({ type: 'init', ...req }, transfer, onProgress);
  }

  /** Sends a precomputed embedding (copied: the caller keeps its own). */
  setEmbedding(embedding: ImageEmbedding): Promise<SamResults['setEmbedding']> {
    return this.call({ type: 'setEmbedding', embedding });
  }

  /** Runs the encoder in the worker (page-only mode). */
  encode(image: RgbImage, onProgress?: (p: Progress) => void): Promise<SamResults['encode']> {
    return this.call({ type: 'encode', image }, [], onProgress);
  }

  predict(prompt: PromptInput): Promise<SamResults['predict']> {
    return this.call({ type: 'predict', prompt });
  }

  amg(image: RgbImage, params?: Partial<AmgParams>, onProgress?: (p: Progress) => void): Promise<SamResults['amg']> {
    return this.call({ type: 'amg', image, ...(params ? { params } : {}) }, [], onProgress);
  }

  terminate(): void {
    this.worker.terminate();
    const err = new Error('decoder worker terminated');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
