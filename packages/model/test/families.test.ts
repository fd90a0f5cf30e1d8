/**
 * The model-family registry: each fixture checkpoint (written by real `torch.save`) is detected as
 * the family the fixtures' manifest gives it, each named variant's key layout as its own family, and
 * a layout no family knows is refused with the known families listed.
 */
import { describe, expect, it } from 'vitest';
import { describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';
import {
  CheckpointError,
  RANDOM_SAM_ENCODERS,
  SAM_FAMILIES,
  detectFamily,
  inferSamConfig,
  randomSamStateDict,
  readCheckpoint,
  samFamily,
  samStateDictShapes,
  type RandomSamVariant,
  type SamFamily,
  type StateDict,
} from '../src/index.js';

/** A state dict with `keys` (shapes only): detection reads keys, not values. */
const layout = (keys: Iterable<[string, number[]]>): StateDict =>
  new Map([...keys].map(([k, shape]) => [k, { shape, data: new Float32Array(0) }]));

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
};

describeFixtures('family detection on the fixture checkpoints', () => {
  const models = Object.entries(manifest().models);

  it('covers both families', () => {
    expect(new Set(models.map(([, m]) => m.family))).toEqual(new Set(['sam_vit', 'mobile_sam']));
  });

  for (const [name, entry] of models) {
    it(`${name} is ${entry.family}`, () => {
      const sd = readCheckpoint(new Uint8Array(readFixture(entry.checkpoint)));
      expect(detectFamily(sd)).toBe(entry.family);
      const cfg = inferSamConfig(sd);
      expect(cfg.family).toBe(entry.family);
      expect(cfg.encoder.family).toBe(entry.family);
    });
  }
});

describe('family registry', () => {
  it('lists each family once, and every variant name once', () => {
    const ids = SAM_FAMILIES.map((f) => f.id);
    expect(ids).toEqual(['sam_vit', 'mobile_sam']);
    const names = SAM_FAMILIES.flatMap((f) => Object.keys(f.variants));
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(RANDOM_SAM_ENCODERS).sort()).toEqual([...names].sort());
  });

  const variants = Object.keys(RANDOM_SAM_ENCODERS) as RandomSamVariant[];
  for (const v of variants) {
    it(`${v}'s layout is detected as ${RANDOM_SAM_ENCODERS[v].family} and its config read back`, () => {
      const sd = layout(samStateDictShapes(v));
      expect(detectFamily(sd)).toBe(RANDOM_SAM_ENCODERS[v].family);
      expect(inferSamConfig(sd).encoder).toEqual(RANDOM_SAM_ENCODERS[v]);
    });
  }

  it('an unknown image-encoder layout is refused naming the known families, their keys and what was found', () => {
    // SAM 2's Hiera trunk (not a family yet) with SAM's prompt encoder and mask decoder.
    const decoder = [...samStateDictShapes('tiny')].filter(([k]) => !k.startsWith('image_encoder.'));
    const sd = layout([
      ['image_encoder.trunk.patch_embed.proj.weight', [96, 3, 7, 7]],
      ['image_encoder.trunk.blocks.0.attn.qkv.weight', [288, 96]],
      ...decoder,
    ]);
    const err = thrown(() => inferSamConfig(sd));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toContain('not a SAM checkpoint');
    expect(err.message).toContain('known: sam_vit, mobile_sam');
    expect(err.message).toContain('sam_vit: image_encoder.patch_embed.proj.weight and image_encoder.blocks.{i}.*');
    expect(err.message).toContain('mobile_sam: image_encoder.patch_embed.seq.* and image_encoder.layers.{i}.*');
    expect(err.message).toContain('found image_encoder.trunk.patch_embed.proj.weight, image_encoder.trunk.blocks.0.attn.qkv.weight');
  });

  it('a state dict without an image encoder says so', () => {
    const err = thrown(() => detectFamily(new Map()));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toContain('known: sam_vit, mobile_sam');
    expect(err.message).toContain('found no image_encoder.* keys');
  });

  it('a layout matching two families is refused naming both, not guessed', () => {
    const sd = layout([...samStateDictShapes('tiny'), ...samStateDictShapes('mobile_sam')]);
    const err = thrown(() => detectFamily(sd));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toContain('match several families (sam_vit, mobile_sam)');
  });

  it('an unknown family id (e.g. from a newer model.json) and an unknown variant name list the known ones', () => {
    expect(thrown(() => samFamily('sam2_hiera' as SamFamily)).message).toBe(
      'unknown model family "sam2_hiera" (known: sam_vit, mobile_sam)',
    );
    expect(thrown(() => randomSamStateDict('vit_x' as RandomSamVariant)).message).toContain(
      'unknown SAM variant "vit_x" (known: vit_b, vit_l, vit_h, tiny, mobile_sam)',
    );
  });

  it('describes each family’s encoder in one line', () => {
    expect(samFamily('sam_vit').describe(RANDOM_SAM_ENCODERS.vit_b)).toBe('ViT embed 768, depth 12, heads 12');
    expect(samFamily('mobile_sam').describe(RANDOM_SAM_ENCODERS.mobile_sam)).toBe('TinyViT dims 64/128/160/320');
  });
});
