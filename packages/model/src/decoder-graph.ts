/**
 * The decoder graphs. `buildDecoderGraph` keeps the official SAM ONNX signature so other tools
 * can run our decoder.onnx:
 *   image_embeddings [1,256,64,64], point_coords [1,N,2] (1024 space), point_labels [1,N],
 *   mask_input [1,1,256,256], has_mask_input [1], orig_im_size [2] (h, w)
 *   → masks [1,4,H,W] logits at original size, iou_predictions [1,4], low_res_masks [1,4,256,256].
 * The low-res variant (decoder_lowres.onnx) is the same without `orig_im_size` and `masks`.
 * The batched variant takes B prompts of N points each against one embedding (no mask input)
 * and returns only iou_predictions [B,4] and low_res_masks [B,4,256,256]: the automatic mask
 * generator filters by IoU first and upscales survivors itself (ONNX Runtime would otherwise
 * compute every full-size mask even when only the low-res output is fetched).
 */
import { Graph, Weights, ops, type ParamSource, type SymTensor } from '@tsam/onnx';
import { buildMaskDecoder } from './mask-decoder.js';
import { embedMask, embedPoints, imagePositionalEncoding, noMaskEmbedding } from './prompt-encoder.js';
import type { SamConfig } from './config.js';

export interface DecoderGraphOptions {
  /** Symbolic prompt batch "B" instead of 1, and no mask prompt. */
  batched?: boolean;
  /**
   * The official inputs without `orig_im_size`, and only `iou_predictions` and `low_res_masks` out
   * (decoder_lowres.onnx): the predictor upscales just the masks it returns, so the runtime need
   * not compute all four at full size (ONNX Runtime runs every node even for unfetched outputs).
   */
  lowResOnly?: boolean;
  /**
   * Build the mask decoder op for op like the reference instead of the reassociated graph (see
   * two-way-transformer.ts and mask-decoder.ts); same results to float rounding, about 2× slower.
   */
  referenceOrder?: boolean;
}

export function buildDecoderGraph(params: ParamSource, cfg: SamConfig, opts: DecoderGraphOptions = {}): Graph {
  const g = new Graph(opts.batched ? 'sam_decoder_batched' : opts.lowResOnly ? 'sam_decoder_lowres' : 'sam_decoder');
  const w = new Weights(g, params);
  const e = cfg.promptEmbedDim;
  const s = cfg.imageEmbeddingSize;
  const batch = opts.batched ? 'B' : 1;
  const image = g.input('image_embeddings', 'float32', [1, e, s, s]);
  const coords = g.input('point_coords', 'float32', [batch, 'num_points', 2]);
  const labels = g.input('point_labels', 'float32', [batch, 'num_points']);
  let dense: SymTensor;
  if (opts.batched) dense = noMaskEmbedding(w);
  else {
    const mask = g.input('mask_input', 'float32', [1, 1, 4 * s, 4 * s]);
    const hasMask = g.input('has_mask_input', 'float32', [1]);
    dense = embedMask(w, mask, hasMask);
  }
  const sparse = embedPoints(w, coords, labels, cfg.imgSize);
  const pe = imagePositionalEncoding(w.raw('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix', [2, e / 2]), s, s);
  const imagePe = w.derived('prompt_encoder.image_pe', pe.data, pe.shape);
  const { lowRes, iou } = buildMaskDecoder(w, image, imagePe, sparse, dense, cfg.decoder, { restructured: !opts.referenceOrder });
  if (!opts.batched && !opts.lowResOnly) {
    const origSize = g.input('orig_im_size', 'float32', [2]);
    const masks = g.scope('postprocess', () => postprocessMasks(g, lowRes, origSize, cfg.imgSize));
    g.output(masks, 'masks', [batch, cfg.decoder.numMaskTokens, 'height', 'width']);
  }
  g.output(iou, 'iou_predictions');
  g.output(lowRes, 'low_res_masks');
  return g;
}

/**
 * Low-res logits [B, M, 256, 256] → logits at the original image size, as the reference does:
 * bilinear up to imgSize², crop the unpadded region (longest side → imgSize, rounded half up),
 * bilinear to (h, w). origSize is a float [h, w] tensor.
 */
function postprocessMasks(g: Graph, lowRes: SymTensor, origSize: SymTensor, imgSize: number): SymTensor {
  const low = lowRes.shape[2] as number;
  const up = ops.resizeBilinearScales(g, lowRes, [1, 1, imgSize / low, imgSize / low]);
  const longest = ops.max(g, ops.gatherIndex(g, origSize, 0, 0), ops.gatherIndex(g, origSize, 1, 0));
  const scaled = ops.floor(g, ops.add(g, ops.mul(g, ops.div(g, imgSize, longest), origSize), 0.5));
  const cropped = ops.sliceDynamic(g, up, ops.ints(g, [0, 0]), ops.cast(g, scaled, 'int64'), [2, 3], ['input_h', 'input_w']);
  const lead = ops.slice(g, ops.shapeOf(g, lowRes), [0], [2], [0]);
  const sizes = ops.concat(g, [lead, ops.cast(g, origSize, 'int64')], 0);
  return ops.resizeBilinear(g, cropped, sizes, [lowRes.shape[0] as number, lowRes.shape[1] as number, 'height', 'width']);
}
