/**
 * Small torch.nn blocks over the graph builder. Each takes the module's state-dict prefix
 * (e.g. "mask_decoder.iou_prediction_head.layers.0") and reads `${prefix}.weight` / `.bias`.
 */
import type { Graph } from './graph.js';
import { add, div, erf, matmul, mul, reduceMean, reshape, scalar, sqrt, sub, transpose } from './ops.js';
import { dimsAgree, formatShape, type Dim, type SymTensor } from './tensor.js';
import { transpose2d, type Weights } from './weights.js';

/** nn.Linear: x [..., in] -> [..., out]; weight [out, in] is transposed at build time. */
export function linear(w: Weights, x: SymTensor, prefix: string, bias = true): SymTensor {
  const g = w.g;
  return g.scope(prefix, () => {
    const wt = w.raw(`${prefix}.weight`);
    const [out, inp] = wt.shape as [number, number];
    const last = x.shape[x.shape.length - 1] as Dim;
    if (!dimsAgree(last, inp)) g.fail(`Linear input ${formatShape(x.shape)} does not fit weight [${out}, ${inp}]`);
    const weightT = w.view(`${prefix}.weight`, `${prefix}.weight_t`, transpose2d, (p) => transpose(g, p, [1, 0]));
    let y = matmul(g, x, weightT);
    if (bias) y = add(g, y, w.tensor(`${prefix}.bias`, [out]));
    return y;
  });
}

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}

/** nn.Conv2d on NCHW; weight [out, in/groups, kh, kw]. */
export function conv2d(w: Weights, x: SymTensor, prefix: string, opts: Conv2dOptions = {}): SymTensor {
  const weight = w.tensor(`${prefix}.weight`);
  const bias = opts.bias === false ? null : w.tensor(`${prefix}.bias`);
  return w.g.scope(prefix, () => convNode(w.g, x, weight, bias, opts));
}

/** The Conv node itself, for callers that fold weights first (BatchNorm). */
export function convNode(g: Graph, x: SymTensor, weight: SymTensor, bias: SymTensor | null, opts: Conv2dOptions = {}): SymTensor {
  const { stride = 1, padding = 0, groups = 1 } = opts;
  const [out, inPerGroup, kh, kw] = weight.shape as [number, number, number, number];
  const [n, c, h, wd] = x.shape as [Dim, Dim, Dim, Dim];
  if (x.shape.length !== 4) g.fail(`Conv2d expects NCHW, got ${formatShape(x.shape)}`);
  if (!dimsAgree(c, inPerGroup * groups))
    g.fail(`Conv2d input ${formatShape(x.shape)} has ${c} channels, weight expects ${inPerGroup * groups}`);
  const o = (d: Dim, k: number) => (typeof d === 'number' ? Math.floor((d + 2 * padding - k) / stride) + 1 : d);
  return g.node1('Conv', bias ? [x, weight, bias] : [x, weight], 'float32', [n, out, o(h, kh), o(wd, kw)], {
    kernel_shape: [kh, kw],
    strides: [stride, stride],
    pads: [padding, padding, padding, padding],
    group: groups,
  });
}

/** nn.ConvTranspose2d with kernel == stride (SAM's 2x upscaling); weight [in, out, k, k]. */
export function convTranspose2d(w: Weights, x: SymTensor, prefix: string, stride: number): SymTensor {
  const g = w.g;
  return g.scope(prefix, () => {
    const weight = w.tensor(`${prefix}.weight`);
    const [inC, out, kh, kw] = weight.shape as [number, number, number, number];
    const [n, c, h, wd] = x.shape as [Dim, Dim, Dim, Dim];
    if (!dimsAgree(c, inC)) g.fail(`ConvTranspose2d input has ${c} channels, weight expects ${inC}`);
    const o = (d: Dim, k: number) => (typeof d === 'number' ? (d - 1) * stride + k : d);
    return g.node1('ConvTranspose', [x, weight, w.tensor(`${prefix}.bias`, [out])], 'float32', [n, out, o(h, kh), o(wd, kw)], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
    });
  });
}

/** nn.LayerNorm over the last dim (ONNX LayerNormalization, opset 17). */
export function layerNorm(w: Weights, x: SymTensor, prefix: string, eps = 1e-5): SymTensor {
  const g = w.g;
  return g.scope(prefix, () => {
    const c = x.shape[x.shape.length - 1] as number;
    const scale = w.tensor(`${prefix}.weight`, [c]);
    const bias = w.tensor(`${prefix}.bias`, [c]);
    return g.node1('LayerNormalization', [x, scale, bias], 'float32', x.shape, { axis: -1, epsilon: { float: eps } });
  });
}

/** SAM's LayerNorm2d: normalise NCHW over C only, then per-channel affine. */
export function layerNorm2d(w: Weights, x: SymTensor, prefix: string, eps = 1e-6): SymTensor {
  const g = w.g;
  return g.scope(prefix, () => {
    const c = x.shape[1] as number;
    const u = reduceMean(g, x, [1]);
    const d = sub(g, x, u);
    const s = reduceMean(g, mul(g, d, d), [1]);
    const y = div(g, d, sqrt(g, add(g, s, eps)));
    const c11 = (key: string, name: string) =>
      w.view(
        key,
        name,
        (t) => ({ data: t.data, shape: [c, 1, 1] }),
        (p) => reshape(g, p, [c, 1, 1]),
        [c],
      );
    return add(g, mul(g, y, c11(`${prefix}.weight`, `${prefix}.weight_c11`)), c11(`${prefix}.bias`, `${prefix}.bias_c11`));
  });
}

/**
 * Exact (erf) GELU, as torch.nn.GELU(). Opset 17 has no Gelu op; this is the exact pattern ONNX
 * Runtime's GeluFusion rewrites into one com.microsoft Gelu kernel: `x / √2` (a Div: the same
 * with a Mul by 1/√2 is left unfused, three elementwise passes and a separate Erf), `+ 1`, `· x`,
 * `· 0.5`.
 */
export function gelu(g: Graph, x: SymTensor): SymTensor {
  const inner = add(g, erf(g, div(g, x, Math.SQRT2)), 1);
  return mul(g, mul(g, x, inner), scalar(g, 0.5));
}

/**
 * Conv2d (no bias) followed by eval-mode BatchNorm2d, folded at build time from the running
 * stats: w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps).
 */
export function conv2dBatchNorm(
  w: Weights,
  x: SymTensor,
  convPrefix: string,
  bnPrefix: string,
  opts: Conv2dOptions = {},
  eps = 1e-5,
): SymTensor {
  const weight = w.raw(`${convPrefix}.weight`);
  const out = weight.shape[0] as number;
  const gamma = w.raw(`${bnPrefix}.weight`, [out]).data;
  const beta = w.raw(`${bnPrefix}.bias`, [out]).data;
  const mean = w.raw(`${bnPrefix}.running_mean`, [out]).data;
  const variance = w.raw(`${bnPrefix}.running_var`, [out]).data;
  const per = weight.data.length / out;
  const fw = new Float32Array(weight.data.length);
  const fb = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const s = (gamma[o] as number) / Math.sqrt((variance[o] as number) + eps);
    for (let i = 0; i < per; i++) fw[o * per + i] = (weight.data[o * per + i] as number) * s;
    fb[o] = (beta[o] as number) - (mean[o] as number) * s;
  }
  const wt = w.derived(`${convPrefix}.weight_bnfolded`, fw, weight.shape);
  const bt = w.derived(`${convPrefix}.bias_bnfolded`, fb, [out]);
  return w.g.scope(convPrefix, () => convNode(w.g, x, wt, bt, opts));
}
