/**
 * The one way a model folder's graphs become a predictor's sessions, for every runtime: the
 * caller says how its runtime opens a graph file (onnxruntime-node from a path, onnxruntime-web
 * from a URL or bytes); this decides which graphs a predictor uses. With `decoder_lowres.onnx`
 * present the predictor decodes with it and upscales only the returned masks (SamPredictor), so
 * no runtime computes the 4 full-size masks of `decoder.onnx` per prompt.
 */
import type { SessionLike } from './backend.js';
import type { PredictorSessions } from './predictor.js';

/** Graph file names of a model folder, relative to it (model.json's `files`). */
export interface SamModelFiles {
  /** `image` [1,3,S,S] → `image_embeddings` [1,256,S/16,S/16]. */
  encoder: string;
  /** The official SAM ONNX decoder signature (with `orig_im_size` and full-size `masks`). */
  decoder: string;
  /** B prompts × N points → `iou_predictions` [B,4], `low_res_masks` [B,4,256,256]. */
  decoderBatched: string;
  /** The official decoder's inputs without `orig_im_size` → `iou_predictions`, `low_res_masks` only. */
  decoderLowRes?: string;
}

/** What a runtime needs to know of a model folder: its files and the encoder's input side S. */
export interface SamModelLayout {
  files: SamModelFiles;
  modelSize: number;
}

/**
 * The sessions of one model: what a SamPredictor (or a subclass) takes as it is, plus the batched
 * decoder on demand.
 */
export interface SamModelSessions extends PredictorSessions {
  modelSize: number;
  /** Opens a new batched-decoder session (the caller releases it), for automatic mask generation. */
  openBatchedDecoder(): Promise<SessionLike>;
}

/** Opens a model folder's encoder, decoder and (when the folder has it) low-res decoder. */
export async function openSamSessions(model: SamModelLayout, open: (file: string) => Promise<SessionLike>): Promise<SamModelSessions> {
  const { files, modelSize } = model;
  // Decoders first: a runtime that loads one at a time (a browser download) can take prompts soonest.
  const [decoder, lowResDecoder, encoder] = await Promise.all([
    open(files.decoder),
    files.decoderLowRes ? open(files.decoderLowRes) : undefined,
    open(files.encoder),
  ]);
  return {
    encoder,
    decoder,
    ...(lowResDecoder && { lowResDecoder }),
    modelSize,
    openBatchedDecoder: () => open(files.decoderBatched),
  };
}
