/**
 * Infers the whole SAM configuration from a state dict alone, so ViT-B/L/H, MobileSAM and any
 * custom size load without flags: the encoder by its family (`families/`), the shared decoder
 * here. Which key gives which value is said next to each line.
 */
import { countIndexed, requireTensor, type StateDict } from './checkpoint/index.js';
import { inferEncoderConfig, type EncoderConfig, type SamFamily } from './families/index.js';
import type { MaskDecoderConfig } from './mask-decoder.js';
import { samStateDictShapes } from './random-checkpoint.js';

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

export function inferDecoderConfig(sd: StateDict): MaskDecoderConfig {
  return {
    depth: countIndexed(sd, 'mask_decoder.transformer.layers'),
    // Head count is not visible in the weights; every published SAM decoder uses 8.
    numHeads: 8,
    numMaskTokens: requireTensor(sd, 'mask_decoder.mask_tokens.weight').shape[0] as number, // [M, 256]
  };
}

export function inferSamConfig(sd: StateDict): SamConfig {
  const encoder = inferEncoderConfig(sd);
  const family = encoder.family;
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
