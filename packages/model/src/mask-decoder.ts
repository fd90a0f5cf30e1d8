/**
 * SAM's mask decoder: output tokens (IoU + 4 mask tokens) joined to the prompt tokens, the
 * two-way transformer, 4x transposed-conv upscaling, per-token hypernetwork MLPs and the IoU head.
 */
import { Weights, nn, ops, type SymTensor } from '@tsam/onnx';
import { twoWayTransformer, type TwoWayConfig, type TwoWayOptions } from './two-way-transformer.js';

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
export function buildMaskDecoder(
  w: Weights,
  image: SymTensor,
  imagePe: SymTensor,
  sparse: SymTensor,
  dense: SymTensor,
  cfg: MaskDecoderConfig,
  opts: TwoWayOptions = {},
): { lowRes: SymTensor; iou: SymTensor } {
  const g = w.g;
  return g.scope(P, () => {
    const c = image.shape[1] as number;
    const [, , h, wd] = image.shape as [number, number, number, number];
    const m = cfg.numMaskTokens;
    let out: SymTensor; // [1, 1+M, C]: the IoU token then the mask tokens
    if (w.isParam(`${P}.iou_token.weight`) || w.isParam(`${P}.mask_tokens.weight`)) {
      const toks = ops.concat(g, [w.tensor(`${P}.iou_token.weight`, [1, c]), w.tensor(`${P}.mask_tokens.weight`, [m, c])], 0);
      out = ops.unsqueeze(g, toks, [0]);
    } else {
      const iouTok = w.raw(`${P}.iou_token.weight`, [1, c]);
      const maskTok = w.raw(`${P}.mask_tokens.weight`, [m, c]);
      const outTokens = new Float32Array((1 + m) * c);
      outTokens.set(iouTok.data, 0);
      outTokens.set(maskTok.data, c);
      out = w.derived(`${P}.output_tokens`, outTokens, [1, 1 + m, c]);
    }
    const batch = sparse.shape[0] as number | string;
    if (batch !== 1) {
      // [1, 1+M, C] → [B, 1+M, C], with B read from the prompts at run time.
      const b = ops.slice(g, ops.shapeOf(g, sparse), [0], [1], [0]);
      out = ops.expand(g, out, ops.concat(g, [b, ops.ints(g, [1 + m, c])], 0), [batch, 1 + m, c]);
    }
    const tokens = ops.concat(g, [out, sparse], 1);

    const src = ops.add(g, image, dense); // broadcasts to [B, C, h, w] when dense is batched
    const flat = (t: SymTensor) => ops.transpose(g, ops.reshape(g, t, [0, c, h * wd]), [0, 2, 1]);
    const { queries, keys } = twoWayTransformer(w, flat(src), flat(imagePe), tokens, cfg, opts);

    let hyperIn: SymTensor; // [B, M, C/8]
    if (opts.restructured) hyperIn = stackedHypernetworks(w, ops.slice(g, queries, [1], [1 + m], [1]), m);
    else {
      const hyper: SymTensor[] = [];
      for (let i = 0; i < m; i++) {
        const tok = ops.gatherIndex(g, queries, 1 + i, 1); // [B, C]
        hyper.push(ops.unsqueeze(g, mlp(w, tok, `${P}.output_hypernetworks_mlps.${i}`, 3), [1]));
      }
      hyperIn = ops.concat(g, hyper, 1);
    }
    const lowRes = opts.restructured ? upscaleMasksTokens(w, keys, hyperIn, h, wd) : upscaleMasksNchw(w, keys, hyperIn, c, h, wd);
    const iou = mlp(w, ops.gatherIndex(g, queries, 0, 1), `${P}.iou_prediction_head`, 3);
    return { lowRes, iou };
  });
}

/**
 * The M hypernetwork MLPs (3 Linears, ReLU between) as one batched MLP: mask tokens [B, M, C] →
 * [B, M, C/8], each token through its own weights (stacked [M, in, out]); the same per-token
 * products as M separate MLPs, in 6 graph nodes instead of ~30.
 */
function stackedHypernetworks(w: Weights, tokens: SymTensor, m: number): SymTensor {
  const g = w.g;
  let h = ops.unsqueeze(g, tokens, [2]); // [B, M, 1, C]
  for (let l = 0; l < 3; l++) {
    const first = w.raw(`${P}.output_hypernetworks_mlps.0.layers.${l}.weight`);
    const [out, inp] = first.shape as [number, number];
    const wt = new Float32Array(m * inp * out);
    const b = new Float32Array(m * out);
    for (let i = 0; i < m; i++) {
      const key = `${P}.output_hypernetworks_mlps.${i}.layers.${l}`;
      const wi = w.raw(`${key}.weight`, [out, inp]).data;
      for (let o = 0; o < out; o++) for (let k = 0; k < inp; k++) wt[(i * inp + k) * out + o] = wi[o * inp + k] as number;
      b.set(w.raw(`${key}.bias`, [out]).data, i * out);
    }
    const key = `${P}.output_hypernetworks_mlps.stacked.layers.${l}`;
    h = g.scope(key, () =>
      ops.add(g, ops.matmul(g, h, w.derived(`${key}.weight_t`, wt, [m, inp, out])), w.derived(`${key}.bias`, b, [m, 1, out])),
    );
    if (l < 2) h = ops.relu(g, h);
  }
  return ops.squeeze(g, h, [2]);
}

/** The reference's output_upscaling on NCHW, then hyper_in @ upscaled: [B, M, 4h, 4w]. */
function upscaleMasksNchw(w: Weights, keys: SymTensor, hyperIn: SymTensor, c: number, h: number, wd: number): SymTensor {
  const g = w.g;
  const m = hyperIn.shape[1] as number;
  // Upscale the attended image back to a grid: [B, C, h, w] → [B, C/8, 4h, 4w].
  let up = ops.reshape(g, ops.transpose(g, keys, [0, 2, 1]), [0, c, h, wd]);
  up = nn.gelu(g, nn.layerNorm2d(w, nn.convTranspose2d(w, up, `${P}.output_upscaling.0`, 2), `${P}.output_upscaling.1`));
  up = nn.gelu(g, nn.convTranspose2d(w, up, `${P}.output_upscaling.3`, 2));
  const cUp = up.shape[1] as number;
  const masks = ops.matmul(g, hyperIn, ops.reshape(g, up, [0, cUp, 16 * h * wd]));
  return ops.reshape(g, masks, [0, m, 4 * h, 4 * wd]);
}

/**
 * The same on the tokens [B, h·w, C] (channels last), with no transposes of the upscaled
 * embeddings: each 2×2-stride-2 ConvTranspose2d is one MatMul per input pixel ([C_in] →
 * [2, 2, C_out]), LayerNorm2d is a LayerNormalization over the channels, and the sub-pixel
 * order (y, x, i1, j1, i2, j2) is resolved once, on the [B, M, 256²] masks, by one Transpose.
 */
function upscaleMasksTokens(w: Weights, keys: SymTensor, hyperIn: SymTensor, h: number, wd: number): SymTensor {
  const g = w.g;
  const m = hyperIn.shape[1] as number;
  const convT = (x: SymTensor, key: string): SymTensor => {
    const wt = w.raw(`${key}.weight`); // [in, out, 2, 2]
    const [cin, cout, kh, kw] = wt.shape as [number, number, number, number];
    if (kh !== 2 || kw !== 2) g.fail(`${key}: expected a 2x2 ConvTranspose2d kernel, got ${kh}x${kw}`);
    const b = w.raw(`${key}.bias`, [cout]).data;
    const wr = new Float32Array(cin * 4 * cout); // [in, (i, j, out)]
    const br = new Float32Array(4 * cout);
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++)
        for (let k = 0; k < 4; k++) wr[i * 4 * cout + k * cout + o] = wt.data[(i * cout + o) * 4 + k] as number;
    for (let k = 0; k < 4; k++) br.set(b, k * cout);
    return g.scope(key, () => {
      // On a [B·pixels, in] view so the runtime fuses MatMul + bias into one Gemm (no separate Add pass).
      const flat = ops.reshape(g, x, [-1, cin]);
      const y = ops.add(
        g,
        ops.matmul(g, flat, w.derived(`${key}.weight_pixel`, wr, [cin, 4 * cout])),
        w.derived(`${key}.bias_pixel`, br, [4 * cout]),
      );
      const pixels = x.shape[1] as number;
      return ops.reshape(g, y, [-1, pixels * 4, cout]); // [B, pixels·4, out] (B inferred)
    });
  };
  let up = convT(keys, `${P}.output_upscaling.0`); // [B, h·w·4, C/4]
  up = nn.gelu(g, nn.layerNorm(w, up, `${P}.output_upscaling.1`, 1e-6));
  up = nn.gelu(g, convT(up, `${P}.output_upscaling.3`)); // [B, h·w·16, C/8]
  // [B, (y, x, i1, j1, i2, j2), C/8] x [B, C/8, M]: reads the upscaled embedding once, in order.
  const masks = ops.matmul(g, up, ops.transpose(g, hyperIn, [0, 2, 1])); // [B, pixels, M]
  const ordered = ops.transpose(g, ops.reshape(g, masks, [0, h, wd, 2, 2, 2, 2, m]), [0, 7, 1, 3, 5, 2, 4, 6]);
  return ops.reshape(g, ordered, [0, m, 4 * h, 4 * wd]);
}
