/**
 * The worker side of the decoder protocol: a core `SamPredictor` whose sessions are
 * onnxruntime-web WASM sessions, opened by core's `openSamSessions` as in Node and the server. Requests run one at a time, in arrival order (an ORT session
 * runs one inference at a time).
 */
import { AutomaticMaskGenerator, SamPredictor, openSamSessions, type SessionLike } from '@tsam/core';
import { configureOrt } from './env.js';
import { fetchBytes } from './fetch.js';
import type { FromWorker, ModelSource, Progress, SamRequest, SamResults, ToWorker } from './protocol.js';
import { createWebSession } from './session.js';

/** The part of `DedicatedWorkerGlobalScope` used here (so tests can pass a fake). */
export interface WorkerScopeLike {
  addEventListener(type: 'message', listener: (ev: MessageEvent<ToWorker>) => void): void;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}

type Report = (p: Progress) => void;

/** Turns a graph's bytes into a session (default: onnxruntime-web; tests pass another runtime). */
export type OpenSession = (bytes: Uint8Array) => Promise<SessionLike>;

const now = (): number => performance.now();

async function openSession(src: ModelSource, label: string, report: Report, open: OpenSession): Promise<SessionLike> {
  const bytes =
    typeof src === 'string'
      ? await fetchBytes(src, (done, total) => report({ stage: 'download', label, done, total }))
      : new Uint8Array(src);
  report({ stage: 'load', label, done: 0, total: bytes.length });
  return open(bytes);
}

/** Graph labels (progress, errors) of a model folder's files, as the server lists them. */
const FILES = {
  encoder: 'encoder.onnx',
  decoder: 'decoder.onnx',
  decoderBatched: 'decoder_batched.onnx',
  decoderLowRes: 'decoder_lowres.onnx',
};

/** Holds the sessions and the predictor; `handle` answers one request. */
export class SamWorkerState {
  private predictor: SamPredictor | undefined;
  private hasEncoder = false;
  private batched: SessionLike | undefined;

  constructor(private readonly open: OpenSession = (bytes) => createWebSession(bytes)) {}

  async handle(req: SamRequest, report: Report): Promise<{ result: SamResults[keyof SamResults]; transfer: Transferable[] }> {
    const t0 = now();
    switch (req.type) {
      case 'init': {
        const info = configureOrt({
          ...(req.threads ? { threads: req.threads } : {}),
          ...(req.wasmPaths ? { wasmPaths: req.wasmPaths } : {}),
        });
        const sources: Record<string, ModelSource | undefined> = {
          [FILES.encoder]: req.encoder,
          [FILES.decoder]: req.decoder,
          [FILES.decoderLowRes]: req.lowResDecoder,
          [FILES.decoderBatched]: req.batchedDecoder,
        };
        const { decoderLowRes, ...required } = FILES;
        // Core decides which graphs a predictor uses (decoder_lowres.onnx when given), as in Node and the server.
        const sessions = await openSamSessions(
          { files: { ...required, ...(req.lowResDecoder !== undefined && { decoderLowRes }) }, modelSize: req.modelSize ?? 1024 },
          async (file) => {
            const src = sources[file];
            // Without an encoder the predictor only ever gets embeddings (setEmbedding).
            if (src === undefined) return { run: () => Promise.reject(new Error(`no ${file} loaded: use setEmbedding`)) };
            return openSession(src, file, report, this.open);
          },
        );
        this.hasEncoder = req.encoder !== undefined;
        this.batched = req.batchedDecoder === undefined ? undefined : await sessions.openBatchedDecoder();
        this.predictor = new SamPredictor(sessions);
        return { result: { ...info, lowRes: sessions.lowResDecoder !== undefined, ms: now() - t0 }, transfer: [] };
      }
      case 'setEmbedding':
        this.need().setEmbedding(req.embedding);
        return { result: { ms: now() - t0 }, transfer: [] };
      case 'encode': {
        if (!this.hasEncoder) throw new Error('encode: no encoder loaded (init with an encoder for page-only mode)');
        report({ stage: 'encode', label: 'image encoder', done: 0, total: 1 });
        const emb = await this.need().setImage(req.image);
        return { result: { width: emb.width, height: emb.height, dims: [...emb.dims], ms: now() - t0 }, transfer: [] };
      }
      case 'predict': {
        const p = await this.need().predict({ ...req.prompt, returnLogits: false });
        const masks = p.masks as Uint8Array[];
        const result = {
          masks,
          iouPredictions: p.iouPredictions,
          lowResLogits: p.lowResLogits,
          width: p.width,
          height: p.height,
          ms: now() - t0,
        };
        return { result, transfer: [...masks.map((m) => m.buffer as ArrayBuffer), p.lowResLogits.buffer as ArrayBuffer] };
      }
      case 'amg': {
        if (!this.batched) throw new Error('amg: no batched decoder loaded');
        const gen = new AutomaticMaskGenerator(
          { predictor: this.need(), batchedDecoder: this.batched },
          { ...req.params, outputMode: 'coco_rle' },
        );
        const records = await gen.generate(req.image, {
          onProgress: (done, total) => report({ stage: 'amg', label: 'everything', done, total }),
        });
        return { result: { records, ms: now() - t0 }, transfer: [] };
      }
    }
  }

  private need(): SamPredictor {
    if (!this.predictor) throw new Error('the worker has no model yet: send init first');
    return this.predictor;
  }
}

/** Answers protocol messages on `scope` (call it once in the worker's entry module). */
export function serveSamWorker(scope: WorkerScopeLike, state = new SamWorkerState()): void {
  let queue: Promise<void> = Promise.resolve();
  scope.addEventListener('message', (ev) => {
    const { id, req } = ev.data;
    const report: Report = (progress) => scope.postMessage({ id, kind: 'progress', progress });
    queue = queue.then(async () => {
      try {
        const { result, transfer } = await state.handle(req, report);
        scope.postMessage({ id, kind: 'result', result }, transfer);
      } catch (e) {
        scope.postMessage({ id, kind: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    });
  });
}
