/**
 * Deterministic random SAM state dicts in the official key layout (segment-anything's `Sam` and
 * MobileSAM's TinyViT `state_dict()`, same keys, shapes and order), so full-size models can be
 * exported, benchmarked and tested without downloading weights.
 *
 * Values: weights and biases ~ U(-1/√fan_in, 1/√fan_in) (PyTorch's default Linear/Conv range),
 * norm weights ~ 1 ± 0.1, norm biases ~ ±0.1, embeddings ~ U(-1, 1), position tables ~ ±0.02,
 * BatchNorm running_var in [0.5, 1.5]. Each tensor has its own stream seeded by (seed, key), so a
 * tensor's values do not depend on the rest of the model (e.g. `tiny` and `vit_b` share decoders).
 */
import type { StateDict } from './checkpoint/index.js';
import type { EncoderConfig } from './config.js';
import type { VitConfig } from './image-encoder-vit.js';
import { MOBILE_SAM_TINYVIT, type TinyVitConfig } from './image-encoder-tinyvit.js';

export type RandomSamVariant = 'vit_b' | 'vit_l' | 'vit_h' | 'mobile_sam' | 'tiny';

const vit = (embedDim: number, depth: number, numHeads: number, globalAttnIndexes: number[]): VitConfig => ({
  embedDim,
  depth,
  numHeads,
  globalAttnIndexes,
  windowSize: 14,
  patchSize: 16,
  imgSize: 1024,
  outChans: 256,
});

/** Encoders of `build_sam.py` (vit_b/l/h), MobileSAM's `build_sam_vit_t`, and a small test ViT. */
export const RANDOM_SAM_ENCODERS: Record<RandomSamVariant, EncoderConfig> = {
  vit_b: { family: 'sam_vit', ...vit(768, 12, 12, [2, 5, 8, 11]) },
  vit_l: { family: 'sam_vit', ...vit(1024, 24, 16, [5, 11, 17, 23]) },
  vit_h: { family: 'sam_vit', ...vit(1280, 32, 16, [7, 15, 23, 31]) },
  mobile_sam: { family: 'mobile_sam', ...MOBILE_SAM_TINYVIT },
  // Tiny trunk, full-size prompt encoder and mask decoder: the whole pipeline in a few MB.
  tiny: { family: 'sam_vit', ...vit(32, 2, 2, [1]) },
};

export interface RandomSamOptions {
  /** Seed of the pseudo-random values; default 0. */
  seed?: number;
}

/**
 * A random SAM state dict (float32; `num_batches_tracked` holds whole numbers) for a named variant
 * or any encoder config. The prompt encoder and mask decoder are SAM's fixed ones (256 channels,
 * 2-layer two-way transformer, 4 mask tokens).
 */
export function randomSamStateDict(variant: RandomSamVariant | EncoderConfig, opts: RandomSamOptions = {}): StateDict {
  return build(variant, new Builder(opts.seed ?? 0, true)).sd;
}

/** Key → shape of `randomSamStateDict(variant)`, in order, without allocating any values (ViT-H is 2.6 GB). */
export function samStateDictShapes(variant: RandomSamVariant | EncoderConfig): Map<string, number[]> {
  return new Map([...build(variant, new Builder(0, false)).sd].map(([k, t]) => [k, t.shape]));
}

function build(variant: RandomSamVariant | EncoderConfig, b: Builder): Builder {
  const enc = typeof variant === 'string' ? RANDOM_SAM_ENCODERS[variant] : variant;
  if (enc.family === 'sam_vit') vitEncoder(b, enc);
  else tinyVitEncoder(b, enc);
  promptEncoder(b, 256);
  maskDecoder(b, 256);
  return b;
}

/** `image_encoder.*` of ImageEncoderViT. */
function vitEncoder(b: Builder, c: VitConfig): void {
  const p = 'image_encoder';
  const grid = c.imgSize / c.patchSize;
  const hd = c.embedDim / c.numHeads;
  b.uniform(`${p}.pos_embed`, [1, grid, grid, c.embedDim], 0.02);
  b.conv(`${p}.patch_embed.proj`, c.embedDim, 3, c.patchSize);
  for (let i = 0; i < c.depth; i++) {
    const k = `${p}.blocks.${i}`;
    // Global blocks see the whole grid; windowed ones a window: 2S − 1 relative offsets per axis.
    const span = c.globalAttnIndexes.includes(i) ? grid : c.windowSize;
    b.norm(`${k}.norm1`, c.embedDim);
    b.uniform(`${k}.attn.rel_pos_h`, [2 * span - 1, hd], 0.02);
    b.uniform(`${k}.attn.rel_pos_w`, [2 * span - 1, hd], 0.02);
    b.linear(`${k}.attn.qkv`, 3 * c.embedDim, c.embedDim);
    b.linear(`${k}.attn.proj`, c.embedDim, c.embedDim);
    b.norm(`${k}.norm2`, c.embedDim);
    b.linear(`${k}.mlp.lin1`, 4 * c.embedDim, c.embedDim);
    b.linear(`${k}.mlp.lin2`, c.embedDim, 4 * c.embedDim);
  }
  neck(b, p, c.embedDim, c.outChans);
}

/** `image_encoder.*` of MobileSAM's TinyViT, including the unused classifier head it ships with. */
function tinyVitEncoder(b: Builder, c: TinyVitConfig): void {
  const p = 'image_encoder';
  const d0 = c.embedDims[0]!;
  b.convBn(`${p}.patch_embed.seq.0`, d0 / 2, 3, 3);
  b.convBn(`${p}.patch_embed.seq.2`, d0, d0 / 2, 3);
  c.depths.forEach((depth, i) => {
    const dim = c.embedDims[i]!;
    const k = `${p}.layers.${i}`;
    for (let j = 0; j < depth; j++) {
      const blk = `${k}.blocks.${j}`;
      if (c.convStages[i]) {
        const hidden = dim * c.mbconvExpandRatio; // MBConv: expand 1x1, depthwise 3x3, project 1x1
        b.convBn(`${blk}.conv1`, hidden, dim, 1);
        b.convBn(`${blk}.conv2`, hidden, 1, 3);
        b.convBn(`${blk}.conv3`, dim, hidden, 1);
      } else {
        const ws = c.windowSizes[i]!;
        // One bias per head and distinct (|dy|, |dx|) offset: ws² of them in a ws×ws window.
        b.uniform(`${blk}.attn.attention_biases`, [c.numHeads[i]!, ws * ws], 0.1);
        b.norm(`${blk}.attn.norm`, dim);
        b.linear(`${blk}.attn.qkv`, 3 * dim, dim);
        b.linear(`${blk}.attn.proj`, dim, dim);
        b.norm(`${blk}.mlp.norm`, dim);
        b.linear(`${blk}.mlp.fc1`, c.mlpRatio * dim, dim);
        b.linear(`${blk}.mlp.fc2`, dim, c.mlpRatio * dim);
        b.convBn(`${blk}.local_conv`, dim, 1, c.localConvSize);
      }
    }
    if (i < c.depths.length - 1) {
      const out = c.embedDims[i + 1]!; // PatchMerging: 1x1, depthwise 3x3 (strided), 1x1
      b.convBn(`${k}.downsample.conv1`, out, dim, 1);
      b.convBn(`${k}.downsample.conv2`, out, 1, 3);
      b.convBn(`${k}.downsample.conv3`, out, out, 1);
    }
  });
  const last = c.embedDims[c.embedDims.length - 1]!;
  b.norm(`${p}.norm_head`, last);
  b.linear(`${p}.head`, 1000, last); // ImageNet classifier, unused by SAM
  neck(b, p, last, c.outChans);
}

/** Conv 1x1 → LayerNorm2d → Conv 3x3 → LayerNorm2d, convs without bias. */
function neck(b: Builder, p: string, inChans: number, out: number): void {
  b.conv(`${p}.neck.0`, out, inChans, 1, false);
  b.norm(`${p}.neck.1`, out);
  b.conv(`${p}.neck.2`, out, out, 3, false);
  b.norm(`${p}.neck.3`, out);
}

/** `prompt_encoder.*`: random Fourier features, point/box embeddings, mask downscaling (mask_in_chans 16). */
function promptEncoder(b: Builder, dim: number): void {
  const p = 'prompt_encoder';
  b.uniform(`${p}.pe_layer.positional_encoding_gaussian_matrix`, [2, dim / 2], 1);
  for (let i = 0; i < 4; i++) b.uniform(`${p}.point_embeddings.${i}.weight`, [1, dim], 1);
  b.uniform(`${p}.not_a_point_embed.weight`, [1, dim], 1);
  b.conv(`${p}.mask_downscaling.0`, 4, 1, 2);
  b.norm(`${p}.mask_downscaling.1`, 4);
  b.conv(`${p}.mask_downscaling.3`, 16, 4, 2);
  b.norm(`${p}.mask_downscaling.4`, 16);
  b.conv(`${p}.mask_downscaling.6`, dim, 16, 1);
  b.uniform(`${p}.no_mask_embed.weight`, [1, dim], 1);
}

/** `mask_decoder.*`: TwoWayTransformer (depth 2, mlp 2048, attention downsample 2), 4 mask tokens, heads. */
function maskDecoder(b: Builder, dim: number): void {
  const p = 'mask_decoder';
  const attn = (k: string, inner: number) => {
    for (const n of ['q_proj', 'k_proj', 'v_proj']) b.linear(`${k}.${n}`, inner, dim);
    b.linear(`${k}.out_proj`, dim, inner);
  };
  for (let i = 0; i < 2; i++) {
    const k = `${p}.transformer.layers.${i}`;
    attn(`${k}.self_attn`, dim);
    b.norm(`${k}.norm1`, dim);
    attn(`${k}.cross_attn_token_to_image`, dim / 2);
    b.norm(`${k}.norm2`, dim);
    b.linear(`${k}.mlp.lin1`, 2048, dim);
    b.linear(`${k}.mlp.lin2`, dim, 2048);
    b.norm(`${k}.norm3`, dim);
    b.norm(`${k}.norm4`, dim);
    attn(`${k}.cross_attn_image_to_token`, dim / 2);
  }
  attn(`${p}.transformer.final_attn_token_to_image`, dim / 2);
  b.norm(`${p}.transformer.norm_final_attn`, dim);
  b.uniform(`${p}.iou_token.weight`, [1, dim], 1);
  b.uniform(`${p}.mask_tokens.weight`, [4, dim], 1);
  b.convTranspose(`${p}.output_upscaling.0`, dim, dim / 4, 2);
  b.norm(`${p}.output_upscaling.1`, dim / 4);
  b.convTranspose(`${p}.output_upscaling.3`, dim / 4, dim / 8, 2);
  const head = (k: string, out: number) => {
    b.linear(`${k}.layers.0`, dim, dim);
    b.linear(`${k}.layers.1`, dim, dim);
    b.linear(`${k}.layers.2`, out, dim);
  };
  for (let i = 0; i < 4; i++) head(`${p}.output_hypernetworks_mlps.${i}`, dim / 8);
  head(`${p}.iou_prediction_head`, 4);
}

/** Appends tensors in order, each filled from a mulberry32 stream seeded by hash(seed, key). */
class Builder {
  readonly sd: StateDict = new Map();
  /** `fill` false records shapes only (every `data` is empty). */
  constructor(
    private readonly seed: number,
    private readonly fill: boolean,
  ) {}

  /** Values uniform in [center − scale, center + scale). */
  uniform(key: string, shape: number[], scale: number, center = 0): void {
    let n = 1;
    for (const d of shape) n *= d;
    if (!this.fill) n = 0;
    const data = new Float32Array(n);
    let s = hashKey(this.seed, key);
    for (let i = 0; i < n; i++) {
      // mulberry32
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      data[i] = center + scale * (((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1);
    }
    this.sd.set(key, { shape, data });
  }
  /** Linear `[out, in]` + bias `[out]`. */
  linear(p: string, out: number, inF: number): void {
    this.uniform(`${p}.weight`, [out, inF], 1 / Math.sqrt(inF));
    this.uniform(`${p}.bias`, [out], 1 / Math.sqrt(inF));
  }
  /** Conv2d `[out, in, k, k]` (+ bias `[out]`); PyTorch's fan_in is in·k². */
  conv(p: string, out: number, inC: number, k: number, bias = true): void {
    const bound = 1 / Math.sqrt(inC * k * k);
    this.uniform(`${p}.weight`, [out, inC, k, k], bound);
    if (bias) this.uniform(`${p}.bias`, [out], bound);
  }
  /** ConvTranspose2d `[in, out, k, k]` + bias `[out]`; PyTorch's fan_in is dim 1 × k², i.e. out·k². */
  convTranspose(p: string, inC: number, out: number, k: number): void {
    const bound = 1 / Math.sqrt(out * k * k);
    this.uniform(`${p}.weight`, [inC, out, k, k], bound);
    this.uniform(`${p}.bias`, [out], bound);
  }
  /** LayerNorm / LayerNorm2d `weight`, `bias` `[c]`. */
  norm(p: string, c: number): void {
    this.uniform(`${p}.weight`, [c], 0.1, 1);
    this.uniform(`${p}.bias`, [c], 0.1);
  }
  /** TinyViT's Conv2d_BN: `c.weight [out, in, k, k]` (no bias) and BatchNorm2d `bn.*` with running stats. */
  convBn(p: string, out: number, inC: number, k: number): void {
    this.conv(`${p}.c`, out, inC, k, false);
    this.norm(`${p}.bn`, out);
    this.uniform(`${p}.bn.running_mean`, [out], 0.1);
    this.uniform(`${p}.bn.running_var`, [out], 0.5, 1); // positive: it is divided by (via its sqrt)
    this.sd.set(`${p}.bn.num_batches_tracked`, { shape: [], data: new Float32Array(this.fill ? [1000] : []) });
  }
}

/** FNV-1a of the key, mixed with the seed: an independent 32-bit stream start per tensor. */
function hashKey(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
