/**
 * SAM's ViT image encoder (ImageEncoderViT): 16x16 patch embed, absolute position embedding,
 * transformer blocks with windowed or global attention and decomposed relative positions, and
 * the conv neck to 256 channels.
 */
import { Graph, Weights, nn, ops, type SymTensor, type TensorData } from '@tsam/onnx';

export interface VitConfig {
  embedDim: number;
  depth: number;
  numHeads: number;
  /** Blocks that attend globally; all others attend within windows. */
  globalAttnIndexes: number[];
  windowSize: number;
  patchSize: number;
  imgSize: number;
  outChans: number;
}

const P = 'image_encoder';

/**
 * x: [1, 3, imgSize, imgSize] normalised, padded image → [1, outChans, imgSize/16, imgSize/16].
 */
export function buildVitEncoder(w: Weights, x: SymTensor, cfg: VitConfig): SymTensor {
  const g = w.g;
  return g.scope(P, () => {
    const grid = cfg.imgSize / cfg.patchSize;
    let h = nn.conv2d(w, x, `${P}.patch_embed.proj`, { stride: cfg.patchSize });
    h = ops.transpose(g, h, [0, 2, 3, 1]); // [1, grid, grid, C]
    h = ops.add(g, h, w.tensor(`${P}.pos_embed`, [1, grid, grid, cfg.embedDim]));
    for (let i = 0; i < cfg.depth; i++) {
      const window = cfg.globalAttnIndexes.includes(i) ? 0 : cfg.windowSize;
      h = g.scope(`blocks.${i}`, () => vitBlock(w, h, `${P}.blocks.${i}`, cfg, window, grid));
    }
    h = ops.transpose(g, h, [0, 3, 1, 2]); // [1, C, grid, grid]
    h = nn.layerNorm2d(w, nn.conv2d(w, h, `${P}.neck.0`, { bias: false }), `${P}.neck.1`);
    h = nn.conv2d(w, h, `${P}.neck.2`, { padding: 1, bias: false });
    return nn.layerNorm2d(w, h, `${P}.neck.3`);
  });
}

/** One transformer block on [1, H, W, C]; window 0 means global attention. */
function vitBlock(w: Weights, x: SymTensor, p: string, cfg: VitConfig, window: number, grid: number): SymTensor {
  const g = w.g;
  let h = nn.layerNorm(w, x, `${p}.norm1`, 1e-6);
  if (window > 0) {
    const padded = Math.ceil(grid / window) * window;
    h = windowPartition(g, h, grid, window, cfg.embedDim);
    h = attention(w, h, `${p}.attn`, cfg, window);
    h = windowUnpartition(g, h, padded, grid, window, cfg.embedDim);
  } else {
    h = attention(w, h, `${p}.attn`, cfg, grid);
  }
  const x1 = ops.add(g, x, h);
  const m = nn.linear(w, nn.gelu(g, nn.linear(w, nn.layerNorm(w, x1, `${p}.norm2`, 1e-6), `${p}.mlp.lin1`)), `${p}.mlp.lin2`);
  return ops.add(g, x1, m);
}

/** [1, S, S, C] → zero-pad bottom/right to a multiple of `ws` → [nWin, ws, ws, C]. */
function windowPartition(g: Graph, x: SymTensor, size: number, ws: number, c: number): SymTensor {
  const padded = Math.ceil(size / ws) * ws;
  let h = padded > size ? ops.pad(g, x, [0, 0, 0, 0, 0, padded - size, padded - size, 0]) : x;
  const n = padded / ws;
  h = ops.reshape(g, h, [1, n, ws, n, ws, c]);
  h = ops.transpose(g, h, [0, 1, 3, 2, 4, 5]);
  return ops.reshape(g, h, [n * n, ws, ws, c]);
}

/** Inverse of windowPartition, cropping the padding: [nWin, ws, ws, C] → [1, S, S, C]. */
function windowUnpartition(g: Graph, x: SymTensor, padded: number, size: number, ws: number, c: number): SymTensor {
  const n = padded / ws;
  let h = ops.reshape(g, x, [1, n, n, ws, ws, c]);
  h = ops.transpose(g, h, [0, 1, 3, 2, 4, 5]);
  h = ops.reshape(g, h, [1, padded, padded, c]);
  return padded > size ? ops.slice(g, h, [0, 0], [size, size], [1, 2]) : h;
}

/**
 * Multi-head attention over [B, S, S, C] tokens with decomposed relative position bias:
 * attn[q, k] += q · Rh[qh, kh] + q · Rw[qw, kw] (unscaled q), as in MViTv2.
 */
function attention(w: Weights, x: SymTensor, p: string, cfg: VitConfig, size: number): SymTensor {
  const g = w.g;
  const heads = cfg.numHeads;
  const hd = cfg.embedDim / heads;
  const b = x.shape[0] as number;
  const n = size * size;
  let qkv = nn.linear(w, x, `${p}.qkv`); // [B, S, S, 3C]
  qkv = ops.reshape(g, qkv, [b, n, 3, heads, hd]);
  qkv = ops.transpose(g, qkv, [2, 0, 3, 1, 4]); // [3, B, heads, n, hd]
  qkv = ops.reshape(g, qkv, [3, b * heads, n, hd]);
  const q = ops.gatherIndex(g, qkv, 0, 0);
  const k = ops.gatherIndex(g, qkv, 1, 0);
  const v = ops.gatherIndex(g, qkv, 2, 0);
  let attn = ops.matmul(g, ops.mul(g, q, hd ** -0.5), ops.transpose(g, k, [0, 2, 1])); // [BH, n, n]

  const rh = relPosTable(w.raw(`${p}.rel_pos_h`, [-1, hd]), size, size);
  const rw = relPosTable(w.raw(`${p}.rel_pos_w`, [-1, hd]), size, size);
  const rq = ops.reshape(g, q, [b * heads, size, size, hd]);
  const relH = ops.einsum(g, 'bhwc,hkc->bhwk', rq, w.derived(`${p}.rel_pos_h_table`, rh, [size, size, hd]));
  const relW = ops.einsum(g, 'bhwc,wkc->bhwk', rq, w.derived(`${p}.rel_pos_w_table`, rw, [size, size, hd]));
  attn = ops.reshape(g, attn, [b * heads, size, size, size, size]);
  attn = ops.add(g, attn, ops.unsqueeze(g, relH, [4]));
  attn = ops.add(g, attn, ops.unsqueeze(g, relW, [3]));
  attn = ops.softmax(g, ops.reshape(g, attn, [b * heads, n, n]), -1);

  let out = ops.matmul(g, attn, v); // [BH, n, hd]
  out = ops.reshape(g, out, [b, heads, size, size, hd]);
  out = ops.transpose(g, out, [0, 2, 3, 1, 4]);
  out = ops.reshape(g, out, [b, size, size, cfg.embedDim]);
  return nn.linear(w, out, `${p}.proj`);
}

/**
 * Builds the [q, k, hd] table R[i, j] = relPos[(i - j) + (k - 1)] at build time (q == k here).
 * The checkpoint's table has 2·S−1 rows for the attention size S; other lengths are linearly
 * resized first, as the reference does for a different input size.
 */
export function relPosTable(relPos: TensorData, qSize: number, kSize: number): Float32Array {
  const [len, hd] = relPos.shape as [number, number];
  const need = 2 * Math.max(qSize, kSize) - 1;
  const src = len === need ? relPos.data : resizeRows(relPos.data, len, hd, need);
  const qRatio = Math.max(kSize / qSize, 1);
  const kRatio = Math.max(qSize / kSize, 1);
  const out = new Float32Array(qSize * kSize * hd);
  for (let i = 0; i < qSize; i++) {
    for (let j = 0; j < kSize; j++) {
      const row = Math.floor(i * qRatio - j * kRatio + (kSize - 1) * kRatio);
      out.set(src.subarray(row * hd, row * hd + hd), (i * kSize + j) * hd);
    }
  }
  return out;
}

/** Linear interpolation of table rows (torch interpolate "linear", align_corners=False). */
function resizeRows(data: Float32Array, len: number, hd: number, outLen: number): Float32Array {
  const out = new Float32Array(outLen * hd);
  const scale = len / outLen;
  for (let r = 0; r < outLen; r++) {
    const s = Math.max((r + 0.5) * scale - 0.5, 0);
    const r0 = Math.min(Math.floor(s), len - 1);
    const r1 = Math.min(r0 + 1, len - 1);
    const t = s - r0;
    for (let c = 0; c < hd; c++) out[r * hd + c] = (data[r0 * hd + c] as number) * (1 - t) + (data[r1 * hd + c] as number) * t;
  }
  return out;
}
