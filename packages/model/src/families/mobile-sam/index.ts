/**
 * MobileSAM (`build_sam_vit_t`, the model registry's `vit_t`): the TinyViT encoder, keys
 * `image_encoder.patch_embed.seq.*` and `image_encoder.layers.{i}.*`.
 */
import type { StateDict } from '../../checkpoint/index.js';
import { MOBILE_SAM_TINYVIT, buildTinyVitEncoder, inferTinyVitConfig, type TinyVitConfig } from './image-encoder.js';
import type { StateDictBuilder } from '../../random-tensors.js';
import type { SamFamilyDef } from '../family.js';

const P = 'image_encoder';

/** `image_encoder.*` of MobileSAM's TinyViT, including the unused classifier head it ships with. */
function randomTinyVitEncoder(b: StateDictBuilder, c: TinyVitConfig): void {
  const d0 = c.embedDims[0]!;
  b.convBn(`${P}.patch_embed.seq.0`, d0 / 2, 3, 3);
  b.convBn(`${P}.patch_embed.seq.2`, d0, d0 / 2, 3);
  c.depths.forEach((depth, i) => {
    const dim = c.embedDims[i]!;
    const k = `${P}.layers.${i}`;
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
  b.norm(`${P}.norm_head`, last);
  b.linear(`${P}.head`, 1000, last); // ImageNet classifier, unused by SAM
  b.neck(P, last, c.outChans);
}

export const mobileSam: SamFamilyDef<'mobile_sam', TinyVitConfig, 'mobile_sam'> = {
  id: 'mobile_sam',
  layout: `${P}.patch_embed.seq.* and ${P}.layers.{i}.*`,
  // TinyViT stores stages as `layers.{i}`, SAM's ViT as `blocks.{i}`.
  detect: (sd: StateDict) => sd.has(`${P}.patch_embed.seq.0.c.weight`) || [...sd.keys()].some((k) => k.startsWith(`${P}.layers.`)),
  inferConfig: (sd) => inferTinyVitConfig((k) => sd.get(k)),
  // The ViT's build options (attention chunking) have no TinyViT counterpart.
  buildEncoder: (w, image, cfg) => buildTinyVitEncoder(w, image, cfg),
  randomStateDict: randomTinyVitEncoder,
  describe: (c) => `TinyViT dims ${c.embedDims.join('/')}`,
  variants: { mobile_sam: MOBILE_SAM_TINYVIT },
};
