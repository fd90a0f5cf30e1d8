/**
 * The training-step graph: SAM's prompt encoder and mask decoder built by the model code with the
 * trainable state-dict tensors as graph inputs, SAM's loss, and the backward pass from autodiff.
 *
 * Inputs: every trainable tensor the forward uses (named by its state-dict key, official shape),
 * `image_embeddings` [1, C, 64, 64], `point_coords` [B, N, 2] (1024 model frame), `point_labels`
 * [B, N] (1 fg, 0 bg, 2/3 box corners, −1 padding), when `hasMask` also `mask_input`
 * [B, 1, 256, 256] logits and `has_mask_input` [1], and `gt_masks` [B, 1, 256, 256] (0/1 float).
 * Outputs: `loss`, `focal`, `dice`, `iou` (scalars), `low_res_masks` and `iou_predictions` of the
 * supervised outputs, and `grad:<key>` for every input parameter the loss reaches (the others'
 * gradients are exactly zero).
 *
 * Shapes are static (one graph per B, N, mask/no mask, multimask), and the mask decoder is built
 * op for op like the reference (not the reassociated inference build), so every weight enters the
 * graph in its official layout and only transposes/reshapes sit between it and its use.
 */
import { Graph, Weights, gradients, ops, type ParamSource, type SymTensor } from '@tsam/onnx';
import { buildMaskDecoder, embedMask, embedPoints, imagePositionalEncoding, noMaskEmbedding, type SamConfig } from '@tsam/model';
import { samLoss, type LossWeights, SAM_LOSS } from './loss.js';

export interface StepShape {
  /** Prompts in the batch. */
  batch: number;
  /** Points per prompt, box corners and the padding point included. */
  points: number;
  hasMask: boolean;
  /** Supervise outputs 1–3 (min over them) instead of output 0. */
  multimask: boolean;
}

/** The trainable tensors of SAM fine-tuning: prompt encoder and mask decoder, without the positional-encoding buffer. */
export function isTrainableKey(key: string, prefixes: readonly string[] = ['prompt_encoder.', 'mask_decoder.']): boolean {
  return prefixes.some((p) => key.startsWith(p)) && !key.endsWith('pe_layer.positional_encoding_gaussian_matrix');
}

export interface TrainStepGraph {
  graph: Graph;
  /** State-dict keys that are graph inputs, in input order. */
  params: string[];
  /** Keys whose gradient is a graph output (`grad:<key>`); the rest of `params` get zeros. */
  withGrad: string[];
}

export function buildTrainStepGraph(
  source: ParamSource,
  cfg: SamConfig,
  shape: StepShape,
  opts: { trainable?: (key: string) => boolean; loss?: LossWeights } = {},
): TrainStepGraph {
  const g = new Graph('sam_train_step');
  const w = new Weights(g, source, opts.trainable ?? ((k) => isTrainableKey(k)));
  const e = cfg.promptEmbedDim;
  const s = cfg.imageEmbeddingSize;
  const { batch: b, points: n } = shape;
  const image = g.input('image_embeddings', 'float32', [1, e, s, s]);
  const coords = g.input('point_coords', 'float32', [b, n, 2]);
  const labels = g.input('point_labels', 'float32', [b, n]);
  let dense: SymTensor;
  if (shape.hasMask) {
    const mask = g.input('mask_input', 'float32', [b, 1, 4 * s, 4 * s]);
    dense = embedMask(w, mask, g.input('has_mask_input', 'float32', [1]));
  } else dense = noMaskEmbedding(w);
  const target = g.input('gt_masks', 'float32', [b, 1, 4 * s, 4 * s]);
  const sparse = embedPoints(w, coords, labels, cfg.imgSize);
  const pe = imagePositionalEncoding(w.raw('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix', [2, e / 2]), s, s);
  const imagePe = w.derived('prompt_encoder.image_pe', pe.data, pe.shape);
  const { lowRes, iou } = buildMaskDecoder(w, image, imagePe, sparse, dense, cfg.decoder, { restructured: false });
  const m = cfg.decoder.numMaskTokens;
  const [from, to] = shape.multimask ? [1, m] : [0, 1];
  const logits = ops.slice(g, lowRes, [from], [to], [1]);
  const iouPred = ops.slice(g, iou, [from], [to], [1]);
  const parts = samLoss(g, logits, iouPred, target, opts.loss ?? SAM_LOSS);
  const params = [...w.params];
  const grads = gradients(
    g,
    parts.loss,
    params.map((k) => g.values.get(k) as SymTensor),
  );
  for (const [name, t] of Object.entries(parts)) g.output(t, name);
  g.output(logits, 'low_res_masks');
  g.output(iouPred, 'iou_predictions');
  const withGrad = params.filter((k) => grads.has(k));
  for (const k of withGrad) g.output(grads.get(k) as SymTensor, `grad:${k}`);
  return { graph: g, params, withGrad };
}
