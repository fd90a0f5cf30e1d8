/**
 * The image encoder graph: input `image` [1, 3, S, S] (normalised, zero-padded) →
 * `image_embeddings` [1, 256, S/16, S/16]. Preprocessing stays outside the graph so the
 * resize can match Pillow exactly in TypeScript.
 */
import { Graph, Weights, type ParamSource } from '@tsam/onnx';
import type { SamConfig } from './config.js';
import { samFamily, type EncoderGraphOptions } from './families/index.js';

export function buildEncoderGraph(params: ParamSource, cfg: SamConfig, opts: EncoderGraphOptions = {}): Graph {
  const g = new Graph('sam_encoder');
  const w = new Weights(g, params);
  const x = g.input('image', 'float32', [1, 3, cfg.imgSize, cfg.imgSize]);
  const enc = cfg.encoder;
  g.output(samFamily(enc.family).buildEncoder(w, x, enc, opts), 'image_embeddings');
  return g;
}
