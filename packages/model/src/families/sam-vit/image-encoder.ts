/**
 * SAM's ViT image encoder (ImageEncoderViT): 16x16 patch embed, absolute position embedding,
 * transformer blocks with windowed or global attention and decomposed relative positions, and
 * the conv neck to 256 channels.
 */
import { Weights, nn, ops, type Graph, type SymTensor, type TensorData } from '@tsam/onnx';

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

export interface VitBuildOptions {
  /**
   * Upper bound, in bytes, of one attention-logits chunk (heads × queries × keys float32). Attention
   * is computed in chunks of whole query rows (and, for windowed blocks, groups of windows) no
   * larger than this, so the global blocks' 12 × 4096 × 4096 maps (805 MB each, several alive at
   * once) are never materialised and each chunk's bias adds and softmax stay in cache. The result
   * is the same per query row. Default 16 MiB; Infinity disables chunking.
   */
  attentionChunkBytes?: number;
}

export const DEFAULT_ATTENTION_CHUNK_BYTES = 16 * 2 ** 20;

/**
 * x: [1, 3, imgSize, imgSize] normalised, padded image → [1, outChans, imgSize/16, imgSize/16].
 */
export function buildVitEncoder(w: Weights, x: SymTensor, cfg: VitConfig, opts: VitBuildOptions = {}): SymTensor {
  const g = w.g;
  return g.scope(P, () => {
    const grid = cfg.imgSize / cfg.patchSize;
    let h = nn.conv2d(w, x, `${P}.patch_embed.proj`, { stride: cfg.patchSize });
    h = ops.transpose(g, h, [0, 2, 3, 1]); // [1, grid, grid, C]
    h = ops.add(g, h, w.tensor(`${P}.pos_embed`, [1, grid, grid, cfg.embedDim]));
    for (let i = 0; i < cfg.depth; i++) {
      const window = cfg.globalAttnIndexes.includes(i) ? 0 : cfg.windowSize;
      h = g.scope(`blocks.${i}`, () => vitBlock(w, h, `${P}.blocks.${i}`, cfg, window, grid, opts));
    }
    h = ops.transpose(g, h, [0, 3, 1, 2]); // [1, C, grid, grid]
    h = nn.layerNorm2d(w, nn.conv2d(w, h, `${P}.neck.0`, { bias: false }), `${P}.neck.1`);
    h = nn.conv2d(w, h, `${P}.neck.2`, { padding: 1, bias: false });
    return nn.layerNorm2d(w, h, `${P}.neck.3`);
  });
}

/** One transformer block on [1, H, W, C]; window 0 means global attention. */
function vitBlock(w: Weights, x: SymTensor, p: string, cfg: VitConfig, window: number, grid: number, opts: VitBuildOptions): SymTensor {
  const g = w.g;
  const h = attention(w, nn.layerNorm(w, x, `${p}.norm1`, 1e-6), `${p}.attn`, cfg, window, grid, opts);
  const x1 = ops.add(g, x, h);
  const m = nn.linear(w, nn.gelu(g, nn.linear(w, nn.layerNorm(w, x1, `${p}.norm2`, 1e-6), `${p}.mlp.lin1`)), `${p}.mlp.lin2`);
  return ops.add(g, x1, m);
}

/**
 * The reference's Attention (qkv Linear, multi-head attention with decomposed relative positions,
 * proj Linear) on [1, S, S, C], globally (window 0) or within ws×ws windows of the map zero-padded
 * bottom/right to a multiple of ws (window_partition / window_unpartition).
 *
 * The reference pads the block input and runs qkv and proj on every padded token. Here qkv runs on
 * the S² real tokens only and the padded tokens get qkv(0) = the qkv bias, which is exactly what a
 * zero token gives; proj runs after the crop, on the real tokens (it is per token). That skips
 * (P² − S²)/P² of both projections (20 % for ViT-B's 64 → 70).
 */
function attention(w: Weights, x: SymTensor, p: string, cfg: VitConfig, window: number, grid: number, opts: VitBuildOptions): SymTensor {
  const g = w.g;
  const heads = cfg.numHeads;
  const c = cfg.embedDim;
  const hd = c / heads;
  const ws = window > 0 ? window : grid; // attention side
  const padded = Math.ceil(grid / ws) * ws;
  const nw = padded / ws; // windows per side
  const nWin = nw * nw;
  let qkv = nn.linear(w, x, `${p}.qkv`); // [1, S, S, 3C]
  return g.scope(p, () => {
    if (padded > grid) {
      const bias = w.raw(`${p}.qkv.bias`, [3 * c]);
      const fill = (shape: number[]) => ops.expand(g, w.derived(`${p}.qkv.bias_row`, bias.data, [3 * c]), ops.ints(g, shape), shape);
      qkv = ops.concat(g, [qkv, fill([1, grid, padded - grid, 3 * c])], 2);
      qkv = ops.concat(g, [qkv, fill([1, padded - grid, padded, 3 * c])], 1);
    }
    // [1, nw, ws, nw, ws, 3, heads, hd] → [3, nw, nw, heads, ws, ws, hd]: windows and heads in one transpose.
    qkv = ops.reshape(g, qkv, [1, nw, ws, nw, ws, 3, heads, hd]);
    qkv = ops.transpose(g, qkv, [5, 0, 1, 3, 6, 2, 4, 7]);
    qkv = ops.reshape(g, qkv, [3, nWin * heads, ws, ws, hd]);
    const q = ops.gatherIndex(g, qkv, 0, 0); // [B·heads, ws, ws, hd]
    const k = ops.gatherIndex(g, qkv, 1, 0);
    const v = ops.gatherIndex(g, qkv, 2, 0);
    const rh = relPosTable(w.raw(`${p}.rel_pos_h`, [-1, hd]), ws, ws);
    const rw = relPosTable(w.raw(`${p}.rel_pos_w`, [-1, hd]), ws, ws);
    let out = relPosAttention(
      g,
      q,
      k,
      v,
      transposeTable(rh, ws, hd),
      transposeTable(rw, ws, hd),
      p,
      w,
      opts.attentionChunkBytes ?? DEFAULT_ATTENTION_CHUNK_BYTES,
    );
    // [nw, nw, heads, ws, ws, hd] → [1, nw, ws, nw, ws, heads, hd] → [1, P, P, C] → crop → proj
    out = ops.reshape(g, out, [nw, nw, heads, ws, ws, hd]);
    out = ops.transpose(g, out, [0, 3, 1, 4, 2, 5]);
    out = ops.reshape(g, out, [1, padded, padded, c]);
    if (padded > grid) out = ops.slice(g, out, [0, 0], [grid, grid], [1, 2]);
    return nn.linear(w, out, `${p}.proj`);
  });
}

/** [i, j, hd] table → [i, hd, j] (so q · R[i]ᵀ is a plain batched MatMul). */
function transposeTable(t: Float32Array, n: number, hd: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let c = 0; c < hd; c++) out[(i * hd + c) * n + j] = t[(i * n + j) * hd + c] as number;
  return out;
}

/**
 * softmax(q·kᵀ·hd^-½ + relH + relW)·v for q, k, v [B, S, S, hd] (B = windows × heads, S×S queries
 * and keys), with the decomposed relative positions of MViTv2 on the unscaled q:
 *   relH[b, h, w, kh] = q[b, h, w] · Rh[h, kh],  relW[b, h, w, kw] = q[b, h, w] · Rw[w, kw],
 *   attn[b, (h, w), (kh, kw)] += relH[b, h, w, kh] + relW[b, h, w, kw].
 * rhT / rwT are the tables as [S, hd, S]. The logits are built in chunks (query rows × groups of
 * B) of at most `chunkBytes`; returns [B, S, S, hd].
 */
function relPosAttention(
  g: Graph,
  q: SymTensor,
  k: SymTensor,
  v: SymTensor,
  rhT: Float32Array,
  rwT: Float32Array,
  p: string,
  w: Weights,
  chunkBytes: number,
): SymTensor {
  const [b, s, , hd] = q.shape as [number, number, number, number];
  const n = s * s;
  const relH = ops.matmul(g, q, w.derived(`${p}.rel_pos_h_table_t`, rhT, [s, hd, s])); // [B, h, w, kh]
  const qT = ops.transpose(g, q, [0, 2, 1, 3]); // [B, w, h, hd]
  const relW = ops.transpose(g, ops.matmul(g, qT, w.derived(`${p}.rel_pos_w_table_t`, rwT, [s, hd, s])), [0, 2, 1, 3]); // [B, h, w, kw]
  const qs = ops.mul(g, q, hd ** -0.5);
  const kT = ops.transpose(g, ops.reshape(g, k, [b, n, hd]), [0, 2, 1]); // [B, hd, n]
  const vf = ops.reshape(g, v, [b, n, hd]);

  // Chunk: `rows` query rows of `bc` of the B maps, rows | s and bc | b.
  const rowBytes = n * s * 4; // one query row of one map
  const divisors = (m: number) => Array.from({ length: m }, (_, i) => i + 1).filter((d) => m % d === 0);
  let rows = s;
  let bc = b;
  if (b * rowBytes * s > chunkBytes) {
    const fitB = divisors(b).filter((d) => d * rowBytes * s <= chunkBytes);
    if (fitB.length > 0) bc = fitB[fitB.length - 1] as number;
    else {
      const fitR = divisors(s).filter((r) => b * rowBytes * r <= chunkBytes);
      rows = fitR.length > 0 ? (fitR[fitR.length - 1] as number) : 1;
      if (fitR.length === 0) {
        const fitB1 = divisors(b).filter((d) => d * rowBytes <= chunkBytes);
        bc = fitB1.length > 0 ? (fitB1[fitB1.length - 1] as number) : 1;
      }
    }
  }
  const byBatch: SymTensor[] = [];
  for (let b0 = 0; b0 < b; b0 += bc) {
    const sel = (t: SymTensor) => (bc === b ? t : ops.slice(g, t, [b0], [b0 + bc], [0]));
    const kTc = sel(kT);
    const vc = sel(vf);
    const byRow: SymTensor[] = [];
    for (let r0 = 0; r0 < s; r0 += rows) {
      const part = (t: SymTensor) => (rows === s ? sel(t) : ops.slice(g, sel(t), [r0], [r0 + rows], [1]));
      let a = ops.matmul(g, ops.reshape(g, part(qs), [bc, rows * s, hd]), kTc); // [bc, rows·s, n]
      a = ops.reshape(g, a, [bc, rows, s, s, s]);
      a = ops.add(g, a, ops.unsqueeze(g, part(relH), [4]));
      a = ops.add(g, a, ops.unsqueeze(g, part(relW), [3]));
      a = ops.softmax(g, ops.reshape(g, a, [bc, rows * s, n]), -1);
      byRow.push(ops.matmul(g, a, vc)); // [bc, rows·s, hd]
    }
    byBatch.push(byRow.length === 1 ? (byRow[0] as SymTensor) : ops.concat(g, byRow, 1));
  }
  const out = byBatch.length === 1 ? (byBatch[0] as SymTensor) : ops.concat(g, byBatch, 0);
  return ops.reshape(g, out, [b, s, s, hd]);
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
