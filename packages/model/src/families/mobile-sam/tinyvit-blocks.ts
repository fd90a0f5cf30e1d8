/**
 * The building blocks of MobileSAM's TinyViT image encoder, as graph-builder functions.
 *
 * Two layouts are used, as in the reference:
 * - NCHW `[B, C, H, W]` for the convolutional parts (stem, MBConv stage, PatchMerging input);
 * - tokens `[B, L, C]` with `L = H * W` (row-major over H, W) for the transformer stages.
 *
 * Every `Conv2d_BN` of the reference is a bias-free conv followed by an eval-mode BatchNorm2d
 * (eps 1e-5); it is folded at build time from the running stats via `nn.conv2dBatchNorm`.
 * Every activation is torch's exact (erf) GELU. LayerNorms inside blocks use torch's default
 * eps 1e-5.
 */
import { nn, ops, type Dim, type Graph, type SymTensor, type Weights } from '@tsam/onnx';

/** torch.nn.LayerNorm's default epsilon, used by Attention.norm and Mlp.norm. */
export const TINYVIT_LN_EPS = 1e-5;
/** torch.nn.BatchNorm2d's default epsilon, used by every Conv2d_BN. */
export const TINYVIT_BN_EPS = 1e-5;

/** `Conv2d_BN` (`{prefix}.c.weight` + `{prefix}.bn.*`) with the BatchNorm folded in. */
export function conv2dBn(w: Weights, x: SymTensor, prefix: string, opts: nn.Conv2dOptions = {}): SymTensor {
  return nn.conv2dBatchNorm(w, x, `${prefix}.c`, `${prefix}.bn`, opts, TINYVIT_BN_EPS);
}

/** Kernel size of the square conv `{prefix}.c.weight` `[out, in/groups, k, k]`. */
function kernelOf(w: Weights, prefix: string): number {
  const shape = w.raw(`${prefix}.c.weight`).shape;
  const k = shape[2];
  if (shape.length !== 4 || k === undefined || shape[3] !== k)
    w.g.fail(`"${prefix}.c.weight" is not a square conv kernel: [${shape.join(', ')}]`);
  return k;
}

/** Static spatial dims of an NCHW tensor (the encoder needs them to lay out windows). */
function spatial(g: Graph, x: SymTensor): [number, number] {
  const [, , h, wd] = x.shape as [Dim, Dim, Dim, Dim];
  if (typeof h !== 'number' || typeof wd !== 'number') g.fail(`TinyViT needs static spatial dims, got [${x.shape.join(', ')}]`);
  return [h, wd];
}

/** `[B, C, H, W]` -> tokens `[B, H*W, C]` (torch `flatten(2).transpose(1, 2)`). */
export function nchwToTokens(g: Graph, x: SymTensor): SymTensor {
  const [h, wd] = spatial(g, x);
  return ops.transpose(g, ops.reshape(g, x, [0, 0, h * wd]), [0, 2, 1]);
}

/** Tokens `[B, H*W, C]` -> `[B, C, H, W]` (torch `transpose(1, 2).reshape(B, C, H, W)`). */
export function tokensToNchw(g: Graph, x: SymTensor, h: number, wd: number): SymTensor {
  return ops.reshape(g, ops.transpose(g, x, [0, 2, 1]), [0, 0, h, wd]);
}

/**
 * PatchEmbed: `[B, 3, H, W]` -> `[B, C0, H/4, W/4]`.
 * seq.0 = Conv2d_BN(3, C0/2, k3, s2, p1), seq.1 = GELU, seq.2 = Conv2d_BN(C0/2, C0, k3, s2, p1).
 */
export function patchEmbed(w: Weights, x: SymTensor, prefix: string): SymTensor {
  const g = w.g;
  const k0 = kernelOf(w, `${prefix}.seq.0`);
  const k2 = kernelOf(w, `${prefix}.seq.2`);
  const h = conv2dBn(w, x, `${prefix}.seq.0`, { stride: 2, padding: Math.floor(k0 / 2) });
  return conv2dBn(
    w,
    g.scope(`${prefix}.seq.1`, () => nn.gelu(g, h)),
    `${prefix}.seq.2`,
    { stride: 2, padding: Math.floor(k2 / 2) },
  );
}

/**
 * MBConv (inverted residual), NCHW in and out, `[B, C, H, W]`:
 * conv1 1x1 C->hidden, GELU, conv2 3x3 depthwise, GELU, conv3 1x1 hidden->C, + shortcut, GELU.
 */
export function mbConv(w: Weights, x: SymTensor, prefix: string): SymTensor {
  const g = w.g;
  const c = x.shape[1] as number;
  const hidden = w.raw(`${prefix}.conv1.c.weight`, [-1, c, 1, 1]).shape[0] as number;
  const k = kernelOf(w, `${prefix}.conv2`);
  w.raw(`${prefix}.conv2.c.weight`, [hidden, 1, k, k]);
  w.raw(`${prefix}.conv3.c.weight`, [c, hidden, 1, 1]);
  const act = (t: SymTensor, name: string) => g.scope(`${prefix}.${name}`, () => nn.gelu(g, t));
  let h = act(conv2dBn(w, x, `${prefix}.conv1`), 'act1');
  h = act(conv2dBn(w, h, `${prefix}.conv2`, { padding: Math.floor(k / 2), groups: hidden }), 'act2');
  h = conv2dBn(w, h, `${prefix}.conv3`);
  return act(
    g.scope(prefix, () => ops.add(g, h, x)),
    'act3',
  );
}

/**
 * PatchMerging: NCHW `[B, C, H, W]` -> tokens `[B, H'*W', C']` with `H' = floor((H - 1) / stride) + 1`.
 * conv1 1x1 C->C', GELU, conv2 3x3 depthwise with `stride`, GELU, conv3 1x1, flatten.
 */
export function patchMerging(w: Weights, x: SymTensor, prefix: string, stride: number): SymTensor {
  const g = w.g;
  const out = w.raw(`${prefix}.conv1.c.weight`, [-1, x.shape[1] as number, 1, 1]).shape[0] as number;
  const k = kernelOf(w, `${prefix}.conv2`);
  w.raw(`${prefix}.conv2.c.weight`, [out, 1, k, k]);
  w.raw(`${prefix}.conv3.c.weight`, [out, out, 1, 1]);
  const act = (t: SymTensor) => g.scope(`${prefix}.act`, () => nn.gelu(g, t));
  let h = act(conv2dBn(w, x, `${prefix}.conv1`));
  h = act(conv2dBn(w, h, `${prefix}.conv2`, { stride, padding: Math.floor(k / 2), groups: out }));
  h = conv2dBn(w, h, `${prefix}.conv3`);
  return g.scope(prefix, () => nchwToTokens(g, h));
}

/**
 * The `attention_bias_idxs` buffer of the reference (non-persistent, so not in the state dict):
 * for window points p1, p2 in row-major order, the index of the offset `(|dy|, |dx|)` in the order
 * offsets are first met. Returns the `[N, N]` indices (N = ws²) and the number of offsets (ws²).
 */
export function attentionBiasIndices(ws: number): { idxs: Int32Array; offsets: number } {
  const n = ws * ws;
  const seen = new Map<number, number>();
  const idxs = new Int32Array(n * n);
  for (let p1 = 0; p1 < n; p1++) {
    for (let p2 = 0; p2 < n; p2++) {
      const key = Math.abs(Math.floor(p1 / ws) - Math.floor(p2 / ws)) * ws + Math.abs((p1 % ws) - (p2 % ws));
      let idx = seen.get(key);
      if (idx === undefined) seen.set(key, (idx = seen.size));
      idxs[p1 * n + p2] = idx;
    }
  }
  return { idxs, offsets: seen.size };
}

/**
 * The eval-mode attention bias `attention_biases[:, attention_bias_idxs]`, `[heads, N, N]`,
 * gathered at build time into one constant.
 */
function attentionBias(w: Weights, prefix: string, heads: number, ws: number): SymTensor {
  const { idxs, offsets } = attentionBiasIndices(ws);
  const key = `${prefix}.attention_biases`;
  const table = w.raw(key, [heads, offsets]).data;
  const n = ws * ws;
  const out = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) for (let i = 0; i < n * n; i++) out[h * n * n + i] = table[h * offsets + (idxs[i] as number)] as number;
  return w.derived(`${key}.gathered`, out, [heads, n, n]);
}

/** Head split of the reference's qkv Linear: per head [q (kd) | k (kd) | v (d)]. */
function qkvSplit(w: Weights, prefix: string, dim: number, heads: number): { kd: number; d: number; dh: number } {
  const qkvOut = w.raw(`${prefix}.qkv.weight`, [-1, dim]).shape[0] as number;
  const dh = w.raw(`${prefix}.proj.weight`, [dim, -1]).shape[1] as number; // heads * d
  const d = dh / heads;
  const kd = (qkvOut - dh) / (2 * heads);
  if (!Number.isInteger(d) || !Number.isInteger(kd))
    w.g.fail(`${prefix}: qkv [${qkvOut}] / proj [${dim}, ${dh}] do not split over ${heads} heads`);
  return { kd, d, dh };
}

/**
 * The reference's qkv Linear split into its q, k and v parts (three Linears whose weight rows are
 * gathered at build time, so no run-time slicing): each output is [..., heads · width] with the
 * heads in order. part 0 = q (kd per head), 1 = k (kd), 2 = v (d).
 */
function qkvPart(w: Weights, x: SymTensor, prefix: string, heads: number, kd: number, d: number, part: 0 | 1 | 2): SymTensor {
  const g = w.g;
  const key = `${prefix}.qkv`;
  const weight = w.raw(`${key}.weight`);
  const bias = w.raw(`${key}.bias`);
  const inDim = weight.shape[1] as number;
  const per = 2 * kd + d;
  const off = part === 0 ? 0 : part === 1 ? kd : 2 * kd;
  const width = part === 2 ? d : kd;
  const wt = new Float32Array(inDim * heads * width); // transposed: [in, heads·width]
  const b = new Float32Array(heads * width);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < width; j++) {
      const row = h * per + off + j;
      const col = h * width + j;
      b[col] = bias.data[row] as number;
      for (let i = 0; i < inDim; i++) wt[i * heads * width + col] = weight.data[row * inDim + i] as number;
    }
  }
  const name = ['q', 'k', 'v'][part] as string;
  return g.scope(key, () =>
    ops.add(
      g,
      ops.matmul(g, x, w.derived(`${key}.weight_t_${name}`, wt, [inDim, heads * width])),
      w.derived(`${key}.bias_${name}`, b, [heads * width]),
    ),
  );
}

/**
 * LeViT-style Attention over ws×ws windows of tokens `[B, H*W, C]` -> `[B, H*W, C]`:
 * norm (LayerNorm) -> qkv Linear C->3C viewed as `[.., heads, kd | kd | d]` -> per window
 * softmax(q kᵀ · kd^-0.5 + bias) v -> proj Linear.
 *
 * The reference zero-pads the `[B, H, W, C]` map bottom/right to a multiple of ws, and the padded
 * tokens take part in attention (it does not mask them). A zero token's norm + qkv is the constant
 * qkv(LayerNorm(0)) = qkv(norm.bias), so here norm and qkv run on the real tokens only and the
 * padded positions get that constant; proj runs after the crop (it is per token). Attention itself
 * is one com.microsoft MultiHeadAttention per stage with the gathered bias (same arithmetic as
 * MatMul, Mul, Add, Softmax, MatMul, without the head transposes and slices).
 */
export function windowedAttention(w: Weights, x: SymTensor, prefix: string, h: number, wd: number, heads: number, ws: number): SymTensor {
  const g = w.g;
  const c = x.shape[2] as number;
  const { kd, d, dh } = qkvSplit(w, prefix, c, heads);
  const bias = attentionBias(w, prefix, heads, ws);
  const padB = (ws - (h % ws)) % ws;
  const padR = (ws - (wd % ws)) % ws;
  const ph = h + padB;
  const pw = wd + padR;
  const nh = ph / ws;
  const nw = pw / ws;
  const n = ws * ws;
  const normed = nn.layerNorm(w, x, `${prefix}.norm`, TINYVIT_LN_EPS);
  const beta = padB > 0 || padR > 0 ? w.tensor(`${prefix}.norm.bias`, [c]) : null;
  const windows = (part: 0 | 1 | 2): SymTensor => {
    const t = qkvPart(w, normed, prefix, heads, kd, d, part); // [B, H*W, heads·width]
    const cw = t.shape[2] as number;
    return g.scope(`${prefix}.partition`, () => {
      let m = ops.reshape(g, t, [0, h, wd, cw]);
      if (beta) {
        // qkv(LayerNorm(0)) for the padded tokens; constant-folded by the runtime.
        const fill = qkvPart(w, ops.unsqueeze(g, beta, [0]), prefix, heads, kd, d, part); // [1, cw]
        const b = m.shape[0] as Dim;
        const batch = typeof b === 'number' ? b : 1;
        if (typeof b !== 'number') g.fail('TinyViT windows need a static batch');
        if (padR > 0) m = ops.concat(g, [m, ops.expand(g, fill, ops.ints(g, [batch, h, padR, cw]), [batch, h, padR, cw])], 2);
        if (padB > 0) m = ops.concat(g, [m, ops.expand(g, fill, ops.ints(g, [batch, padB, pw, cw]), [batch, padB, pw, cw])], 1);
      }
      if (nh === 1 && nw === 1) return ops.reshape(g, m, [-1, n, cw]);
      // [B, nH, ws, nW, ws, cw] -> [B, nH, nW, ws, ws, cw] -> [B*nH*nW, ws*ws, cw]
      return ops.reshape(g, ops.transpose(g, ops.reshape(g, m, [0, nh, ws, nw, ws, cw]), [0, 1, 3, 2, 4, 5]), [-1, n, cw]);
    });
  };
  const q = windows(0);
  const k = windows(1);
  const v = windows(2);
  const a = g.scope(prefix, () =>
    ops.multiHeadAttention(g, q, k, v, { numHeads: heads, scale: kd ** -0.5, attentionBias: ops.unsqueeze(g, bias, [0]) }),
  );
  const merged = g.scope(`${prefix}.reverse`, () => {
    if (nh === 1 && nw === 1 && padB === 0 && padR === 0) return ops.reshape(g, a, [-1, h * wd, dh]);
    // [B*nH*nW, N, dh] -> [B, nH, nW, ws, ws, dh] -> [B, nH, ws, nW, ws, dh] -> [B, pH, pW, dh]
    let r = ops.reshape(g, ops.transpose(g, ops.reshape(g, a, [-1, nh, nw, ws, ws, dh]), [0, 1, 3, 2, 4, 5]), [-1, ph, pw, dh]);
    if (padB > 0 || padR > 0) r = ops.slice(g, r, [0, 0], [h, wd], [1, 2]);
    return ops.reshape(g, r, [-1, h * wd, dh]);
  });
  return nn.linear(w, merged, `${prefix}.proj`);
}

/**
 * TinyViTBlock on tokens `[B, H*W, C]` -> `[B, H*W, C]`:
 * x += windowed attention(x); x = local_conv(x) (3x3 depthwise Conv2d_BN on the map, no residual);
 * x += mlp(x) with mlp = norm (LayerNorm) -> fc1 -> GELU -> fc2.
 */
export function tinyVitBlock(w: Weights, x: SymTensor, prefix: string, h: number, wd: number, heads: number, ws: number): SymTensor {
  const g = w.g;
  const c = x.shape[2] as number;
  const k = kernelOf(w, `${prefix}.local_conv`);
  w.raw(`${prefix}.local_conv.c.weight`, [c, 1, k, k]);
  const hidden = w.raw(`${prefix}.mlp.fc1.weight`, [-1, c]).shape[0] as number;
  w.raw(`${prefix}.mlp.fc2.weight`, [c, hidden]);
  const attn = windowedAttention(w, x, `${prefix}.attn`, h, wd, heads, ws);
  const map = g.scope(prefix, () => tokensToNchw(g, ops.add(g, x, attn), h, wd));
  const conv = conv2dBn(w, map, `${prefix}.local_conv`, { padding: Math.floor(k / 2), groups: c });
  const t = g.scope(prefix, () => nchwToTokens(g, conv));
  const fc1 = nn.linear(w, nn.layerNorm(w, t, `${prefix}.mlp.norm`, TINYVIT_LN_EPS), `${prefix}.mlp.fc1`);
  const m = nn.linear(
    w,
    g.scope(`${prefix}.mlp.act`, () => nn.gelu(g, fc1)),
    `${prefix}.mlp.fc2`,
  );
  return g.scope(prefix, () => ops.add(g, t, m));
}
