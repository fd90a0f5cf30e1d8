/**
 * Infers the whole SAM configuration from a state dict alone, so ViT-B/L/H, MobileSAM and any
 * custom size load without flags. Which key gives which value is said next to each line.
 */
import { CheckpointError, requireTensor, type StateDict } from './checkpoint/index.js';
import type { VitConfig } from './image-encoder-vit.js';
import type { MaskDecoderConfig } from './mask-decoder.js';
import { inferTinyVitConfig, type TinyVitConfig } from './image-encoder-tinyvit.js';
import { samStateDictShapes } from './random-checkpoint.js';

export type SamFamily = 'sam_vit' | 'mobile_sam';

export type EncoderConfig = ({ family: 'sam_vit' } & VitConfig) | ({ family: 'mobile_sam' } & TinyVitConfig);

export interface SamConfig {
  family: SamFamily;
  /** Model input side (the longest image side is resized to this). */
  imgSize: number;
  /** Channels of the image embedding and prompt tokens. */
  promptEmbedDim: number;
  /** Side of the image embedding grid (imgSize / 16). */
  imageEmbeddingSize: number;
  encoder: EncoderConfig;
  decoder: MaskDecoderConfig;
}

/** Counts `${prefix}.{i}.` groups: the number of blocks in a ModuleList. */
export function countIndexed(sd: StateDict, prefix: string): number {
  let n = 0;
  while ([...sd.keys()].some((k) => k.startsWith(`${prefix}.${n}.`))) n++;
  return n;
}

export function detectFamily(sd: StateDict): SamFamily {
  // TinyViT stores stages as `layers.{i}`, SAM's ViT as `blocks.{i}`.
  if (sd.has('image_encoder.patch_embed.seq.0.c.weight') || [...sd.keys()].some((k) => k.startsWith('image_encoder.layers.')))
    return 'mobile_sam';
  if (sd.has('image_encoder.patch_embed.proj.weight')) return 'sam_vit';
  throw new CheckpointError('not a SAM checkpoint: no image_encoder.patch_embed weights (expected SAM ViT or MobileSAM key names)');
}

export function inferVitConfig(sd: StateDict): VitConfig {
  const P = 'image_encoder';
  const patch = requireTensor(sd, `${P}.patch_embed.proj.weight`); // [embed, 3, p, p]
  const [embedDim, , patchSize] = patch.shape as [number, number, number];
  const grid = requireTensor(sd, `${P}.pos_embed`).shape[1] as number; // [1, grid, grid, embed]
  const depth = countIndexed(sd, `${P}.blocks`);
  if (depth === 0) throw new CheckpointError(`no ${P}.blocks.* in checkpoint`);
  const headDim = requireTensor(sd, `${P}.blocks.0.attn.rel_pos_h`).shape[1] as number; // [2S-1, headDim]
  const globalAttnIndexes: number[] = [];
  let windowSize = 0;
  for (let i = 0; i < depth; i++) {
    const len = requireTensor(sd, `${P}.blocks.${i}.attn.rel_pos_h`).shape[0] as number;
    // A global block's table spans the whole grid (2·grid − 1 rows); a windowed one 2·window − 1.
    if (len === 2 * grid - 1) globalAttnIndexes.push(i);
    else windowSize = (len + 1) / 2;
  }
  if (embedDim % headDim !== 0) throw new CheckpointError(`embed dim ${embedDim} is not a multiple of head dim ${headDim}`);
  return {
    embedDim,
    depth,
    numHeads: embedDim / headDim,
    globalAttnIndexes,
    windowSize: windowSize || 14,
    patchSize,
    imgSize: grid * patchSize,
    outChans: requireTensor(sd, `${P}.neck.0.weight`).shape[0] as number, // [out, embed, 1, 1]
  };
}

export function inferDecoderConfig(sd: StateDict): MaskDecoderConfig {
  return {
    depth: countIndexed(sd, 'mask_decoder.transformer.layers'),
    // Head count is not visible in the weights; every published SAM decoder uses 8.
    numHeads: 8,
    numMaskTokens: requireTensor(sd, 'mask_decoder.mask_tokens.weight').shape[0] as number, // [M, 256]
  };
}

export function inferSamConfig(sd: StateDict): SamConfig {
  const family = detectFamily(sd);
  const encoder: EncoderConfig =
    family === 'sam_vit' ? { family, ...inferVitConfig(sd) } : { family, ...inferTinyVitConfig((k) => sd.get(k)) };
  const promptEmbedDim = requireTensor(sd, 'prompt_encoder.no_mask_embed.weight').shape[1] as number; // [1, 256]
  const imgSize = encoder.imgSize;
  return { family, imgSize, promptEmbedDim, imageEmbeddingSize: imgSize / 16, encoder, decoder: inferDecoderConfig(sd) };
}

/**
 * The keys of `sd` that no part of the model reads: anything outside the layout of
 * `samStateDictShapes(config.encoder)` (segment-anything's / MobileSAM's `state_dict()`), such as
 * SAM-HQ's `mask_decoder.hf_token.weight` and `mask_decoder.hf_mlp.*`. A decoder with more
 * transformer layers or mask tokens than SAM's 2 and 4 counts those indexes as used.
 */
export function unusedCheckpointKeys(sd: StateDict, config: SamConfig): string[] {
  const expected = new Set(samStateDictShapes(config.encoder).keys());
  const { depth, numMaskTokens } = config.decoder;
  // Indexed decoder blocks past SAM's own count: compare them as block 0.
  const asFirst = (k: string): string =>
    k
      .replace(/^(mask_decoder\.transformer\.layers\.)(\d+)\./, (m, p: string, i: string) => (+i < depth ? `${p}0.` : m))
      .replace(/^(mask_decoder\.output_hypernetworks_mlps\.)(\d+)\./, (m, p: string, i: string) => (+i < numMaskTokens ? `${p}0.` : m));
  return [...sd.keys()].filter((k) => !expected.has(k) && !expected.has(asFirst(k)));
}

/** "ignored N checkpoint keys the model does not use: a, b, c, … (e.g. SAM-HQ extras)". */
export function describeUnusedKeys(keys: readonly string[], shown = 4): string {
  const list = keys.slice(0, shown).join(', ') + (keys.length > shown ? `, … (${keys.length - shown} more)` : '');
  return `ignored ${keys.length} checkpoint key${keys.length === 1 ? '' : 's'} the model does not use: ${list}`;
}
