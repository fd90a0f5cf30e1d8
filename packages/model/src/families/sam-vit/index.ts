/**
 * SAM's own family (`build_sam.py`: vit_b, vit_l, vit_h): ImageEncoderViT, keys
 * `image_encoder.patch_embed.proj.*`, `image_encoder.pos_embed`, `image_encoder.blocks.{i}.*`.
 */
import { CheckpointError, countIndexed, requireTensor, type StateDict } from '../../checkpoint/index.js';
import { buildVitEncoder, type VitConfig } from './image-encoder.js';
import type { StateDictBuilder } from '../../random-tensors.js';
import type { SamFamilyDef } from '../family.js';

const P = 'image_encoder';

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

/** Which key gives which value is said next to each line. */
export function inferVitConfig(sd: StateDict): VitConfig {
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

/** `image_encoder.*` of ImageEncoderViT. */
function randomVitEncoder(b: StateDictBuilder, c: VitConfig): void {
  const grid = c.imgSize / c.patchSize;
  const hd = c.embedDim / c.numHeads;
  b.uniform(`${P}.pos_embed`, [1, grid, grid, c.embedDim], 0.02);
  b.conv(`${P}.patch_embed.proj`, c.embedDim, 3, c.patchSize);
  for (let i = 0; i < c.depth; i++) {
    const k = `${P}.blocks.${i}`;
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
  b.neck(P, c.embedDim, c.outChans);
}

export const samVit: SamFamilyDef<'sam_vit', VitConfig, 'vit_b' | 'vit_l' | 'vit_h' | 'tiny'> = {
  id: 'sam_vit',
  layout: `${P}.patch_embed.proj.weight and ${P}.blocks.{i}.*`,
  detect: (sd) => sd.has(`${P}.patch_embed.proj.weight`),
  inferConfig: inferVitConfig,
  buildEncoder: (w, image, cfg, opts) => buildVitEncoder(w, image, cfg, opts),
  randomStateDict: randomVitEncoder,
  describe: (c) => `ViT embed ${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}`,
  variants: {
    vit_b: vit(768, 12, 12, [2, 5, 8, 11]),
    vit_l: vit(1024, 24, 16, [5, 11, 17, 23]),
    vit_h: vit(1280, 32, 16, [7, 15, 23, 31]),
    // Tiny trunk, full-size prompt encoder and mask decoder: the whole pipeline in a few MB.
    tiny: vit(32, 2, 2, [1]),
  },
};
