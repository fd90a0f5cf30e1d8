/**
 * The engine: the decoder worker (onnxruntime-web, WASM) plus where images and embeddings come
 * from — the server (`tsam serve`), or the page itself (page-only mode: the encoder runs in the
 * worker too). Status and progress go to the store's UI state.
 */
import type { PromptInput, RgbImage } from '@tsam/core';
import {
  HttpStatusError,
  SamWorkerClient,
  decodeImage,
  fetchEmbedding,
  type InitRequest,
  type PredictResult,
  type Progress,
} from '@tsam/web/page';
import { shelf } from '../state/shelf.js';
import { store } from '../state/store.js';
import type { ImageInfo, Prompt } from '../state/types.js';
import { api, retryUnreachable, type ModelJson, type ServerImage } from './api.js';
import { LatestWins } from './scheduler.js';

const WASM_PATHS = new URL('ort/', document.baseURI).href;

export function toPromptInput(p: Prompt, multimask: boolean): PromptInput {
  return { points: p.points, labels: p.labels, ...(p.box ? { box: p.box } : {}), multimaskOutput: multimask };
}

function describe(p: Progress): string {
  if (p.stage === 'download') {
    const mb = (n: number) => (n / 1048576).toFixed(1);
    return `Downloading ${p.label}: ${mb(p.done)}${p.total ? ` / ${mb(p.total)}` : ''} MB`;
  }
  if (p.stage === 'load') return `Loading ${p.label} into onnxruntime-web (WASM)…`;
  if (p.stage === 'encode') return 'Running the image encoder in the page (WASM)…';
  return `Everything: ${p.done} / ${p.total} prompts decoded in the page`;
}

export class Engine {
  readonly client = new SamWorkerClient(new Worker(new URL('../worker.ts', import.meta.url), { type: 'module' }));
  readonly scheduler = new LatestWins();
  /** Worker-side decoder times (ms) and page round trips (ms), one per predict. */
  readonly latency = { worker: [] as number[], roundTrip: [] as number[] };
  /** The open image's bytes (server mode): re-sent when a restarted server no longer knows its id. */
  private blob: Blob | null = null;
  /** The decoded RGB image (page-only mode needs it for "everything"). */
  rgb: RgbImage | null = null;
  private pageAmg = false;

  private status(text: string, busy = false, extra: { progress?: number; error?: boolean } = {}): void {
    store.setUi({ status: { text, busy, ...extra } });
  }

  private onProgress = (p: Progress): void => this.status(describe(p), true, p.total ? { progress: p.done / p.total } : {});

  private async init(req: Omit<InitRequest, 'type'>, mode: 'server' | 'page'): Promise<void> {
    // The worker resolves relative URLs against its own script: make them absolute here.
    const abs = <T>(src: T): T => (typeof src === 'string' ? (new URL(src, document.baseURI).href as T) : src);
    // `?decoder=full` runs decoder.onnx (its in-graph upscale) instead of decoder_lowres.onnx, to compare.
    const full = new URLSearchParams(location.search).get('decoder') === 'full';
    const sources = {
      decoder: abs(req.decoder),
      ...(req.lowResDecoder !== undefined && !full && { lowResDecoder: abs(req.lowResDecoder) }),
      ...(req.encoder !== undefined && { encoder: abs(req.encoder) }),
      ...(req.batchedDecoder !== undefined && { batchedDecoder: abs(req.batchedDecoder) }),
    };
    const { decoder: _d, lowResDecoder: _l, encoder: _e, batchedDecoder: _b, ...rest } = req;
    const info = await this.client.init({ ...rest, ...sources, wasmPaths: WASM_PATHS }, this.onProgress);
    const runtime = `onnxruntime-web WASM SIMD, ${info.threads} thread${info.threads > 1 ? 's' : ''}${info.crossOriginIsolated ? ' (cross-origin isolated)' : ''}, ${info.lowRes ? 'decoder_lowres.onnx + exact upscale' : 'decoder.onnx'}`;
    store.setUi({ mode, runtime });
  }

  constructor() {
    api.onUnreachable = () => this.status('Server unreachable — retrying…', true);
  }

  /** Picks the mode: `?model=DIR` → page-only; a server answering /api/model → server; else wait for files. */
  async start(): Promise<void> {
    const dir = new URLSearchParams(location.search).get('model');
    if (dir) return this.startPage(dir.endsWith('/') ? dir : `${dir}/`);
    this.status('Connecting to the server…', true);
    const model = await api.model();
    if (model) {
      const lowRes = model.files?.['decoder_lowres.onnx']?.url;
      await this.init(
        {
          decoder: api.decoderUrl(),
          ...(lowRes && { lowResDecoder: lowRes }),
          ...(model.model_size ? { modelSize: model.model_size } : {}),
        },
        'server',
      );
      this.status(`Ready (${model.name ?? 'model'} from the server): open an image — file, drop, or one of the server’s.`);
      return;
    }
    this.status('No server found. Page-only mode: choose encoder.onnx and decoder.onnx (from `tsam export`).');
  }

  private async startPage(dir: string): Promise<void> {
    this.status(`Page-only mode: loading the model from ${dir}…`, true);
    const res = await fetch(`${dir}model.json`);
    const model: ModelJson = res.ok ? ((await res.json()) as ModelJson) : {};
    const f = model.files ?? {};
    await this.init(
      {
        encoder: dir + (f.encoder ?? 'encoder.onnx'),
        decoder: dir + (f.decoder ?? 'decoder.onnx'),
        ...(f.decoderLowRes && { lowResDecoder: dir + f.decoderLowRes }),
        batchedDecoder: dir + (f.decoderBatched ?? 'decoder_batched.onnx'),
        ...(model.modelSize ? { modelSize: model.modelSize } : {}),
      },
      'page',
    );
    this.pageAmg = true;
    this.status('Page-only mode (no server): open an image; the encoder runs in this page.');
  }

  /** Page-only mode from user-picked files (encoder.onnx, decoder.onnx, optional decoder_batched.onnx). */
  async loadModelFiles(files: File[]): Promise<void> {
    const find = (name: string) => files.find((f) => f.name === name);
    const enc = find('encoder.onnx');
    const dec = find('decoder.onnx');
    if (!enc || !dec) throw new Error('pick encoder.onnx and decoder.onnx (and decoder_batched.onnx for “everything”)');
    const batched = find('decoder_batched.onnx');
    const lowRes = find('decoder_lowres.onnx');
    this.status('Page-only mode: reading the model files…', true);
    await this.init(
      {
        encoder: await enc.arrayBuffer(),
        decoder: await dec.arrayBuffer(),
        ...(lowRes ? { lowResDecoder: await lowRes.arrayBuffer() } : {}),
        ...(batched ? { batchedDecoder: await batched.arrayBuffer() } : {}),
      },
      'page',
    );
    this.pageAmg = !!batched;
    this.status('Page-only mode (no server): open an image; the encoder runs in this page.');
  }

  /** Opens one of the server's images: its bytes for display, its embedding for the decoder. */
  async openServerImage(img: ServerImage): Promise<void> {
    this.status(`Fetching ${img.name} and its embedding from the server…`, true);
    const [blob, emb] = await retryUnreachable('fetch the image', () =>
      Promise.all([api.imageBlob(img.id), fetchEmbedding(api.embeddingUrl(img.id))]),
    );
    await this.client.setEmbedding(emb);
    await this.show(blob, { id: img.id, name: img.name, width: emb.width, height: emb.height }, null);
    this.status(`${img.name}: ${emb.width}×${emb.height}, embedding from the server. Hover to preview, click to segment.`);
  }

  /** Opens a local file: uploaded to the server, or encoded in the page (page-only mode). */
  async openFile(file: File): Promise<void> {
    if (store.state.ui.mode === 'server') {
      this.status(`Uploading ${file.name}; the server computes its embedding…`, true);
      return this.openServerImage(await api.upload(file, file.name));
    }
    if (store.state.ui.mode !== 'page') throw new Error('load a model first (encoder.onnx + decoder.onnx)');
    const rgb = await decodeImage(file);
    const t0 = performance.now();
    const enc = await this.client.encode(rgb, this.onProgress);
    await this.show(file, { id: null, name: file.name, width: enc.width, height: enc.height }, rgb);
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    this.status(`${file.name}: ${enc.width}×${enc.height}, encoded in this page in ${s} s (WASM). Hover to preview, click to segment.`);
  }

  /**
   * Runs `request` with the open image's server id. A 404 means the server no longer knows it (it
   * restarted): the page re-sends the bytes it holds, then runs `request` again with the new id.
   */
  async withServerImage<T>(request: (id: string) => Promise<T>): Promise<T> {
    const image = store.state.doc.image;
    if (!image?.id) throw new Error('no server image is open');
    try {
      return await request(image.id);
    } catch (e) {
      if (!(e instanceof HttpStatusError && e.status === 404) || !this.blob) throw e;
      this.status(`Server restarted — re-sending the image (${image.name})…`, true);
      const again = await api.upload(this.blob, image.name);
      return request(again.id);
    }
  }

  private async show(blob: Blob, info: ImageInfo, rgb: RgbImage | null): Promise<void> {
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'none' });
    store.state.ui.bitmap?.close();
    this.rgb = rgb;
    this.blob = info.id !== null ? blob : null;
    store.setUi({ bitmap, hover: null, everything: null });
    shelf.stash(store.state.doc); // the masks of the image being left, until it is opened again
    const restore = shelf.restore(info);
    store.dispatch({ type: 'openImage', image: info, ...(restore && { restore }) });
  }

  /** One decoder run in the worker; records its latency. */
  async predict(prompt: PromptInput): Promise<PredictResult> {
    const t0 = performance.now();
    const r = await this.client.predict(prompt);
    this.latency.roundTrip.push(performance.now() - t0);
    this.latency.worker.push(r.ms);
    return r;
  }

  get canEverythingInPage(): boolean {
    return this.pageAmg && this.rgb !== null;
  }

  /** Progress reporter for long jobs outside the worker. */
  report(text: string, busy = true): void {
    this.status(text, busy);
  }

  fail(e: unknown): void {
    this.status(e instanceof Error ? e.message : String(e), false, { error: true });
  }
}

export const engine = new Engine();
