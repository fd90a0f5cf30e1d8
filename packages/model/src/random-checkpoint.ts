/**
 * Deterministic random SAM state dicts in the official key layout (segment-anything's `Sam` and
 * MobileSAM's TinyViT `state_dict()`, same keys, shapes and order), so full-size models can be
 * exported, benchmarked and tested without downloading weights. The image encoder comes from its
 * family (`families/`); the prompt encoder and mask decoder, shared by all, are here. How the
 * values are drawn: `random-tensors.ts`.
 */
import type { StateDict } from './checkpoint/index.js';
import { RANDOM_SAM_ENCODERS, samFamily, type EncoderConfig, type RandomSamVariant } from './families/index.js';
import { StateDictBuilder } from './random-tensors.js';

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
  return build(variant, new StateDictBuilder(opts.seed ?? 0, true)).sd;
}

/** Key → shape of `randomSamStateDict(variant)`, in order, without allocating any values (ViT-H is 2.6 GB). */
export function samStateDictShapes(variant: RandomSamVariant | EncoderConfig): Map<string, number[]> {
  return new Map([...build(variant, new StateDictBuilder(0, false)).sd].map(([k, t]) => [k, t.shape]));
}

function build(variant: RandomSamVariant | EncoderConfig, b: StateDictBuilder): StateDictBuilder {
  const enc = typeof variant === 'string' ? RANDOM_SAM_ENCODERS[variant] : variant;
  if (!enc) throw new Error(`unknown SAM variant "${String(variant)}" (known: ${Object.keys(RANDOM_SAM_ENCODERS).join(', ')})`);
  samFamily(enc.family).randomStateDict(b, enc);
  promptEncoder(b, 256);
  maskDecoder(b, 256);
  return b;
}

/** `prompt_encoder.*`: random Fourier features, point/box embeddings, mask downscaling (mask_in_chans 16). */
function promptEncoder(b: StateDictBuilder, dim: number): void {
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
function maskDecoder(b: StateDictBuilder, dim: number): void {
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
