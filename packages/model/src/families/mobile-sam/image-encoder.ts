/**
 * MobileSAM's image encoder (TinyViT, `mobile_sam/modeling/tiny_vit_sam.py`) as an ONNX graph.
 *
 * Pipeline for a `[B, 3, 1024, 1024]` normalised, zero-padded image:
 *   patch_embed           [B, 3, 1024, 1024] -> [B, 64, 256, 256]     (two stride-2 3x3 Conv2d_BN)
 *   layers.0 (ConvLayer)  2 x MBConv at 256², then PatchMerging s2  -> tokens [B, 128², 128]
 *   layers.1 (BasicLayer) 2 x TinyViTBlock (4 heads, window 7), PatchMerging s2 -> [B, 64², 160]
 *   layers.2 (BasicLayer) 6 x TinyViTBlock (5 heads, window 14), PatchMerging s1 -> [B, 64², 320]
 *   layers.3 (BasicLayer) 2 x TinyViTBlock (10 heads, window 7)       -> [B, 64², 320]
 *   view [B, 64, 64, C] -> permute to [B, C, 64, 64]
 *   neck: Conv 1x1 (no bias) -> LayerNorm2d -> Conv 3x3 pad 1 (no bias) -> LayerNorm2d  -> [B, 256, 64, 64]
 * (The numbers are MobileSAM's `build_sam_vit_t`; everything is read from the state dict.)
 */
import { nn, ops, type Dim, type SymTensor, type Weights } from '@tsam/onnx';
import { mbConv, nchwToTokens, patchEmbed, patchMerging, tinyVitBlock, tokensToNchw } from './tinyvit-blocks.js';

export interface TinyVitConfig {
  /** Channels per stage. Stage 0: `layers.0.blocks.0.conv1.c.weight` [hidden, C, 1, 1] dim 1; others: `layers.i.blocks.0.attn.norm.weight` [C]. */
  embedDims: number[];
  /** Blocks per stage: how many `layers.i.blocks.j.*` exist. */
  depths: number[];
  /** Heads per stage: `layers.i.blocks.0.attn.attention_biases` [heads, offsets] dim 0; 0 for conv stages. */
  numHeads: number[];
  /**
   * Window side per stage: sqrt(offsets) of `attention_biases` [heads, ws²] (a square window has
   * ws² distinct (|dy|, |dx|) offsets), or sqrt(N) of `attention_bias_idxs` [N, N] when present;
   * 0 for conv stages (they have no window).
   */
  windowSizes: number[];
  /** Stage kind: true for ConvLayer (MBConv blocks, has `blocks.0.conv1`), false for BasicLayer. */
  convStages: boolean[];
  /** Mlp hidden / dim: `mlp.fc1.weight` [hidden, C] of the first transformer block. */
  mlpRatio: number;
  /** MBConv hidden / dim: `conv1.c.weight` [hidden, C, 1, 1] of the first MBConv block. */
  mbconvExpandRatio: number;
  /** Depthwise kernel of TinyViTBlock.local_conv: `local_conv.c.weight` [C, 1, k, k] dim 2. */
  localConvSize: number;
  /**
   * Depthwise stride of each stage's PatchMerging (length = stages - 1, from `layers.i.downsample.*`).
   * The reference hard-codes stride 1 when the merge's out_dim (`downsample.conv1.c.weight` dim 0)
   * is 320, 448 or 576 (the last merge of SAM's TinyViTs), else 2.
   */
  mergeStrides: number[];
  /**
   * Input side. Not stored in the state dict: the reference reshapes the last stage to a hard-coded
   * 64x64 grid, so this is 64 x 4 (patch_embed) x the product of the merge strides (1024 for vit_t).
   */
  imgSize: number;
  /** Neck output channels: `neck.0.weight` [out, C_last, 1, 1] dim 0. */
  outChans: number;
}

/** MobileSAM's `build_sam_vit_t` encoder, for reference (what `inferTinyVitConfig` finds). */
export const MOBILE_SAM_TINYVIT: TinyVitConfig = {
  embedDims: [64, 128, 160, 320],
  depths: [2, 2, 6, 2],
  numHeads: [0, 4, 5, 10],
  windowSizes: [0, 7, 14, 7],
  convStages: [true, false, false, false],
  mlpRatio: 4,
  mbconvExpandRatio: 4,
  localConvSize: 3,
  mergeStrides: [2, 2, 1],
  imgSize: 1024,
  outChans: 256,
};

/** The side of the last stage's grid, hard-coded in the reference's forward_features. */
const FINAL_GRID = 64;
/** LayerNorm2d's epsilon in the neck. */
const NECK_LN_EPS = 1e-6;

/** Looks up a state-dict entry's shape; `Map.get` of a state dict fits. */
export type ShapeLookup = (key: string) => { shape: readonly number[] } | undefined;

export class TinyVitConfigError extends Error {
  override name = 'TinyVitConfigError';
}

/** Infers the TinyViT configuration from the state dict alone. `prefix` is the encoder's key prefix. */
export function inferTinyVitConfig(lookup: ShapeLookup, prefix = 'image_encoder'): TinyVitConfig {
  const shape = (key: string): readonly number[] => {
    const t = lookup(`${prefix}.${key}`);
    if (!t) throw new TinyVitConfigError(`TinyViT: missing "${prefix}.${key}"`);
    return t.shape;
  };
  const has = (key: string) => lookup(`${prefix}.${key}`) !== undefined;
  const blockExists = (i: number, j: number) =>
    has(`layers.${i}.blocks.${j}.conv1.c.weight`) || has(`layers.${i}.blocks.${j}.attn.qkv.weight`);
  const dim = (s: readonly number[], i: number, key: string): number => {
    const d = s[i];
    if (d === undefined) throw new TinyVitConfigError(`TinyViT: "${prefix}.${key}" has shape [${s.join(', ')}], no dim ${i}`);
    return d;
  };
  const sqrtExact = (n: number, key: string): number => {
    const r = Math.round(Math.sqrt(n));
    if (r * r !== n) throw new TinyVitConfigError(`TinyViT: "${prefix}.${key}" size ${n} is not a square window's`);
    return r;
  };

  const cfg: TinyVitConfig = {
    embedDims: [],
    depths: [],
    numHeads: [],
    windowSizes: [],
    convStages: [],
    mlpRatio: 0,
    mbconvExpandRatio: 0,
    localConvSize: 0,
    mergeStrides: [],
    imgSize: 0,
    outChans: 0,
  };
  for (let i = 0; blockExists(i, 0); i++) {
    let depth = 0;
    while (blockExists(i, depth)) depth++;
    cfg.depths.push(depth);
    const b0 = `layers.${i}.blocks.0`;
    if (has(`${b0}.conv1.c.weight`)) {
      const k = `${b0}.conv1.c.weight`;
      const s = shape(k);
      cfg.convStages.push(true);
      cfg.embedDims.push(dim(s, 1, k));
      cfg.numHeads.push(0);
      cfg.windowSizes.push(0);
      cfg.mbconvExpandRatio ||= dim(s, 0, k) / dim(s, 1, k);
    } else {
      const kb = `${b0}.attn.attention_biases`;
      const bias = shape(kb);
      const c = dim(shape(`${b0}.attn.norm.weight`), 0, `${b0}.attn.norm.weight`);
      const heads = dim(bias, 0, kb);
      const idxKey = `${b0}.attn.attention_bias_idxs`;
      const ws = has(idxKey) ? sqrtExact(dim(shape(idxKey), 0, idxKey), idxKey) : sqrtExact(dim(bias, 1, kb), kb);
      if (c % heads !== 0) throw new TinyVitConfigError(`TinyViT: stage ${i} has ${c} channels, not divisible by ${heads} heads`);
      cfg.convStages.push(false);
      cfg.embedDims.push(c);
      cfg.numHeads.push(heads);
      cfg.windowSizes.push(ws);
      cfg.mlpRatio ||= dim(shape(`${b0}.mlp.fc1.weight`), 0, `${b0}.mlp.fc1.weight`) / c;
      cfg.localConvSize ||= dim(shape(`${b0}.local_conv.c.weight`), 2, `${b0}.local_conv.c.weight`);
    }
  }
  const stages = cfg.depths.length;
  if (stages === 0) throw new TinyVitConfigError(`TinyViT: no "${prefix}.layers.0.blocks.0" in the state dict`);
  for (let i = 0; i < stages - 1; i++) {
    const k = `layers.${i}.downsample.conv1.c.weight`;
    const out = dim(shape(k), 0, k);
    if (out !== cfg.embedDims[i + 1])
      throw new TinyVitConfigError(`TinyViT: "${prefix}.${k}" outputs ${out} channels, stage ${i + 1} has ${cfg.embedDims[i + 1]}`);
    cfg.mergeStrides.push(out === 320 || out === 448 || out === 576 ? 1 : 2);
  }
  if (has(`layers.${stages - 1}.downsample.conv1.c.weight`))
    throw new TinyVitConfigError(`TinyViT: the last stage has a downsample, the reference has none`);
  cfg.imgSize = FINAL_GRID * 4 * cfg.mergeStrides.reduce((a, s) => a * s, 1);
  cfg.outChans = dim(shape('neck.0.weight'), 0, 'neck.0.weight');
  return cfg;
}

export interface TinyVitBuildOptions {
  /** State-dict prefix of the encoder; default `image_encoder`. */
  prefix?: string;
  /**
   * Called with intermediate tensors, for debugging and per-stage parity: `patch_embed`
   * `[B, C0, H/4, W/4]`, `layers.{i}` (the stage output: tokens `[B, L, C]` after a PatchMerging or
   * a transformer stage, NCHW after a conv stage without one) and `trunk` `[B, C_last, 64, 64]`.
   */
  tap?: (name: string, t: SymTensor) => void;
}

/**
 * Builds the encoder: `x` `[B, 3, imgSize, imgSize]` (normalised, zero-padded) -> image embedding
 * `[B, outChans, 64, 64]`. Weights are read as `${prefix}.…` (default `image_encoder.…`).
 */
export function buildTinyVitEncoder(w: Weights, x: SymTensor, cfg: TinyVitConfig, opts: TinyVitBuildOptions = {}): SymTensor {
  const g = w.g;
  const prefix = opts.prefix ?? 'image_encoder';
  const tap = opts.tap ?? (() => undefined);
  const [, c, h, wd] = x.shape as [Dim, Dim, Dim, Dim];
  if (x.shape.length !== 4 || c !== 3 || h !== cfg.imgSize || wd !== cfg.imgSize) {
    g.fail(`TinyViT expects [B, 3, ${cfg.imgSize}, ${cfg.imgSize}], got [${x.shape.join(', ')}]`);
  }
  let t = patchEmbed(w, x, `${prefix}.patch_embed`);
  tap('patch_embed', t);
  let res = cfg.imgSize / 4;
  let tokens = false; // layout of `t`: NCHW [B, C, res, res] or tokens [B, res², C]
  const stages = cfg.depths.length;
  for (let i = 0; i < stages; i++) {
    const layer = `${prefix}.layers.${i}`;
    const depth = cfg.depths[i] ?? 0;
    if (cfg.convStages[i]) {
      if (tokens) t = g.scope(layer, () => tokensToNchw(g, t, res, res));
      tokens = false;
      for (let j = 0; j < depth; j++) t = mbConv(w, t, `${layer}.blocks.${j}`);
    } else {
      if (!tokens) t = g.scope(layer, () => nchwToTokens(g, t));
      tokens = true;
      const heads = cfg.numHeads[i] ?? 0;
      const ws = cfg.windowSizes[i] ?? 0;
      for (let j = 0; j < depth; j++) t = tinyVitBlock(w, t, `${layer}.blocks.${j}`, res, res, heads, ws);
    }
    if (i < stages - 1) {
      const stride = cfg.mergeStrides[i] ?? 2;
      if (tokens) t = g.scope(layer, () => tokensToNchw(g, t, res, res));
      t = patchMerging(w, t, `${layer}.downsample`, stride);
      tokens = true;
      res = Math.floor((res - 1) / stride) + 1; // 3x3 conv, padding 1
    }
    tap(`layers.${i}`, t);
  }
  if (res !== FINAL_GRID) g.fail(`TinyViT's last stage is ${res}x${res}; the reference reshapes it to ${FINAL_GRID}x${FINAL_GRID}`);
  // view(B, 64, 64, C).permute(0, 3, 1, 2)
  const dimLast = cfg.embedDims[stages - 1] ?? 0;
  const trunk = tokens ? g.scope(prefix, () => ops.transpose(g, ops.reshape(g, t, [0, res, res, dimLast]), [0, 3, 1, 2])) : t;
  tap('trunk', trunk);
  const k = w.raw(`${prefix}.neck.2.weight`, [cfg.outChans, cfg.outChans, -1, -1]).shape[2] as number;
  let n = nn.conv2d(w, trunk, `${prefix}.neck.0`, { bias: false });
  n = nn.layerNorm2d(w, n, `${prefix}.neck.1`, NECK_LN_EPS);
  n = nn.conv2d(w, n, `${prefix}.neck.2`, { padding: Math.floor(k / 2), bias: false });
  return nn.layerNorm2d(w, n, `${prefix}.neck.3`, NECK_LN_EPS);
}
