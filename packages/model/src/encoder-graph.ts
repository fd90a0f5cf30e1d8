/**
 * The image encoder graph: input `image` [1, 3, S, S] (normalised, zero-padded) →
 * `image_embeddings` [1, 256, S/16, S/16]. Preprocessing stays outside the graph so the
 * resize can match Pillow exactly in TypeScript.
 */
import { Graph, Weights, type ParamSource } from '@tsam/onnx';
import type { SamConfig } from './config.js';
import { buildTinyVitEncoder } from './image-encoder-tinyvit.js';
import { buildVitEncoder, type VitBuildOptions } from './image-encoder-vit.js';

/** Build options of the encoder graph (speed/memory trade-offs; the results do not change). */
export type EncoderGraphOptions = VitBuildOptions;

export function buildEncoderGraph(params: ParamSource, cfg: SamConfig, opts: EncoderGraphOptions = {}): Graph {
  const g = new Graph('sam_encoder');
  const w = new Weights(g, params);
  const x = g.input('image', 'float32', [1, 3, cfg.imgSize, cfg.imgSize]);
  const enc = cfg.encoder;
  const y = enc.family === 'sam_vit' ? buildVitEncoder(w, x, enc, opts) : buildTinyVitEncoder(w, x, enc);
  g.output(y, 'image_embeddings');
  return g;
}
