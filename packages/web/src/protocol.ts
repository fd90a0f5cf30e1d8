/**
 * The decoder worker protocol: messages between the page (`SamWorkerClient`) and a Web Worker
 * running `serveSamWorker`. Every request carries an `id`; the worker answers with one `result`
 * or `error` of that id, and may send `progress` messages for it before.
 *
 * The worker owns a core `SamPredictor` on onnxruntime-web sessions, so prompts → decoder inputs
 * → masks is the same code as the Node predictor's.
 */
import type { AmgParams, AmgRecord, ImageEmbedding, PromptInput, RgbImage } from '@tsam/core';
import type { WebRuntimeInfo } from './env.js';

/** A graph to load: a URL, or its bytes (transferred). */
export type ModelSource = string | ArrayBuffer;

export interface InitRequest {
  type: 'init';
  decoder: ModelSource;
  /**
   * decoder_lowres.onnx (the official decoder without the full-size upscale), when there is one:
   * the predictor then upscales only the returned masks, in core, as the Node predictor does.
   */
  lowResDecoder?: ModelSource;
  /** Only for page-only mode (the encoder runs in the page). */
  encoder?: ModelSource;
  /** Only for "everything" in page-only mode. */
  batchedDecoder?: ModelSource;
  modelSize?: number;
  threads?: number;
  wasmPaths?: string;
}
export interface SetEmbeddingRequest {
  type: 'setEmbedding';
  embedding: ImageEmbedding;
}
/** Runs the encoder in the worker and makes the image current. */
export interface EncodeRequest {
  type: 'encode';
  image: RgbImage;
}
export interface PredictRequest {
  type: 'predict';
  prompt: PromptInput;
}
/** Automatic mask generation in the worker (needs `encoder` and `batchedDecoder`). */
export interface AmgRequest {
  type: 'amg';
  image: RgbImage;
  params?: Partial<AmgParams>;
}
export type SamRequest = InitRequest | SetEmbeddingRequest | EncodeRequest | PredictRequest | AmgRequest;

export interface InitResult extends WebRuntimeInfo {
  /** Whether prompts run on decoder_lowres.onnx (else decoder.onnx). */
  lowRes: boolean;
  /** Milliseconds to fetch and create the sessions. */
  ms: number;
}
export interface EncodeResult {
  width: number;
  height: number;
  dims: number[];
  ms: number;
}
export interface PredictResult {
  masks: Uint8Array[];
  iouPredictions: number[];
  lowResLogits: Float32Array;
  width: number;
  height: number;
  /** Milliseconds of `SamPredictor.predict` in the worker (decoder + post-processing). */
  ms: number;
}
export interface AmgResult {
  records: AmgRecord[];
  ms: number;
}

/** Result type per request type. */
export interface SamResults {
  init: InitResult;
  setEmbedding: { ms: number };
  encode: EncodeResult;
  predict: PredictResult;
  amg: AmgResult;
}

/** What a long request is doing, e.g. `{stage: 'download', label: 'encoder.onnx', done, total}`. */
export interface Progress {
  stage: 'download' | 'load' | 'encode' | 'amg';
  label: string;
  done: number;
  total: number;
}

export type ToWorker = { id: number; req: SamRequest };
export type FromWorker =
  | { id: number; kind: 'result'; result: SamResults[keyof SamResults] }
  | { id: number; kind: 'error'; message: string }
  | { id: number; kind: 'progress'; progress: Progress };
