/**
 * SAM's mask decoder: output tokens (IoU + 4 mask tokens) joined to the prompt tokens, the
 * two-way transformer, 4x transposed-conv upscaling, per-token hypernetwork MLPs and the IoU head.
 */
import { Weights, nn, ops, type SymTensor } from '@tsam/onnx';
import { twoWayTransformer, type TwoWayConfig } from './two-way-transformer.js';

const P = 'mask_decoder';

export interface MaskDecoderConfig extends TwoWayConfig {
  /** Mask tokens: 1 single-mask output + 3 multimask outputs in SAM. */
  numMaskTokens: number;
}

/** nn-style MLP `${p}.layers.{i}` with ReLU between layers. */
function mlp(w: Weights, x: SymTensor, p: string, numLayers: number): SymTensor {
  let h = x;
  for (let i = 0; i < numLayers; i++) {
    h = nn.linear(w, h, `${p}.layers.${i}`);
    if (i < numLayers - 1) h = ops.relu(w.g, h);
  }
  return h;
}

/**
 * image [1, C, h, w] embedding, imagePe [1, C, h, w], sparse [B, N, C], dense [1|B, C, h, w] →
 * { lowRes [B, M, 4h, 4w] mask logits, iou [B, M] } with M = numMaskTokens (all outputs; the
 * caller picks output 0 or 1..3).
 */
export function buildMaskDecoder(w: Weights, image: SymTensor, imagePe: SymTensor, sparse: SymTensor, dense: SymTensor, cfg: MaskDecoderConfig): { lowRes: SymTensor; iou: SymTensor } {
  const g = w.g;
  return g.scope(P, () => {
    const c = image.shape[1] as number;
    const [, , h, wd] = image.shape as [number, number, number, number];
    const m = cfg.numMaskTokens;
    const iouTok = w.raw(`${P}.iou_token.weight`, [1, c]);
    const maskTok = w.raw(`${P}.mask_tokens.weight`, [m, c]);
    const outTokens = new Float32Array((1 + m) * c);
    outTokens.set(iouTok.data, 0);
    outTokens.set(maskTok.data, c);
    let out = w.derived(`${P}.output_tokens`, outTokens, [1, 1 + m, c]);
    const batch = sparse.shape[0] as number | string;
    if (batch !== 1) {
      // [1, 1+M, C] → [B, 1+M, C], with B read from the prompts at run time.
      const b = ops.slice(g, ops.shapeOf(g, sparse), [0], [1], [0]);
      out = ops.expand(g, out, ops.concat(g, [b, ops.ints(g, [1 + m, c])], 0), [batch, 1 + m, c]);
    }
    const tokens = ops.concat(g, [out, sparse], 1);

    const src = ops.add(g, image, dense); // broadcasts to [B, C, h, w] when dense is batched
    const flat = (t: SymTensor) => ops.transpose(g, ops.reshape(g, t, [0, c, h * wd]), [0, 2, 1]);
    const { queries, keys } = twoWayTransformer(w, flat(src), flat(imagePe), tokens, cfg);

    // Upscale the attended image back to a grid: [B, C, h, w] → [B, C/8, 4h, 4w].
    let up = ops.reshape(g, ops.transpose(g, keys, [0, 2, 1]), [0, c, h, wd]);
    up = nn.gelu(g, nn.layerNorm2d(w, nn.convTranspose2d(w, up, `${P}.output_upscaling.0`, 2), `${P}.output_upscaling.1`));
    up = nn.gelu(g, nn.convTranspose2d(w, up, `${P}.output_upscaling.3`, 2));
    const cUp = up.shape[1] as number;

    const hyper: SymTensor[] = [];
    for (let i = 0; i < m; i++) {
      const tok = ops.gatherIndex(g, queries, 1 + i, 1); // [B, C]
      hyper.push(ops.unsqueeze(g, mlp(w, tok, `${P}.output_hypernetworks_mlps.${i}`, 3), [1]));
    }
    const hyperIn = ops.concat(g, hyper, 1); // [B, M, C/8]
    const masks = ops.matmul(g, hyperIn, ops.reshape(g, up, [0, cUp, 16 * h * wd]));
    const lowRes = ops.reshape(g, masks, [0, m, 4 * h, 4 * wd]);
    const iou = mlp(w, ops.gatherIndex(g, queries, 0, 1), `${P}.iou_prediction_head`, 3);
    return { lowRes, iou };
  });
}
