/**
 * The model registry speaks the model package's family ids: each downloadable checkpoint names its
 * family, and its name is that family's variant of the same name (so `tsam models pull vit_b` and a
 * random `vit_b` have one layout).
 */
import { describe, expect, it } from 'vitest';
import { RANDOM_SAM_ENCODERS, SAM_FAMILIES, type RandomSamVariant } from '@tsam/model';
import { BUILTIN_MODELS, listModels } from '../src/index.js';

describe('model registry families', () => {
  it('every built-in model is a variant of the family it names', () => {
    const ids: readonly string[] = SAM_FAMILIES.map((f) => f.id);
    expect(BUILTIN_MODELS.length).toBe(4);
    for (const m of BUILTIN_MODELS) {
      expect(ids, m.name).toContain(m.family);
      expect(RANDOM_SAM_ENCODERS[m.name as RandomSamVariant]?.family, m.name).toBe(m.family);
    }
    expect(BUILTIN_MODELS.map((m) => [m.name, m.family])).toEqual([
      ['mobile_sam', 'mobile_sam'],
      ['vit_b', 'sam_vit'],
      ['vit_l', 'sam_vit'],
      ['vit_h', 'sam_vit'],
    ]);
  });

  it('`models list` reports the family', () => {
    const rows = listModels({ cacheDir: '/nonexistent-tsam-cache', env: {} });
    expect(rows.find((r) => r.name === 'mobile_sam')?.family).toBe('mobile_sam');
    expect(rows.find((r) => r.name === 'vit_h')?.family).toBe('sam_vit');
  });
});
