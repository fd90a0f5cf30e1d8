/**
 * The model-family registry (segment-anything's `sam_model_registry`): the one list of families,
 * the one family id type, and the dispatch on a config's `family`. A new family (SAM 2.1) is a
 * folder beside `sam-vit/` with a `SamFamilyDef`, added to `SAM_FAMILIES`.
 */
import { CheckpointError, type StateDict } from '../checkpoint/index.js';
import type { SamFamilyDef } from './family.js';
import { mobileSam } from './mobile-sam/index.js';
import { samVit } from './sam-vit/index.js';

export type { EncoderGraphOptions, SamFamilyDef } from './family.js';
export { inferVitConfig } from './sam-vit/index.js';

/** Every known family, in the order errors list them. */
export const SAM_FAMILIES = [samVit, mobileSam] as const;

type Family = (typeof SAM_FAMILIES)[number];
/** A family id: model.json's `family`, the model registry's `family`. */
export type SamFamily = Family['id'];
/** An encoder configuration, tagged with its family. */
export type EncoderConfig = Family extends infer F
  ? F extends SamFamilyDef<infer Id, infer C, string>
    ? { family: Id } & C
    : never
  : never;
/** A named configuration of some family (`vit_b`, `mobile_sam`, …): the model registry's names, and `tiny`. */
export type RandomSamVariant = Family extends infer F ? (F extends SamFamilyDef<string, unknown, infer V> ? V : never) : never;

/** A family's config-taking operations, typed for any tagged config (each reads only its own fields). */
export type EncoderFamily = Pick<
  SamFamilyDef<SamFamily, EncoderConfig, RandomSamVariant>,
  'id' | 'buildEncoder' | 'randomStateDict' | 'describe'
>;

const knownFamilies = (): string => SAM_FAMILIES.map((f) => f.id).join(', ');

/** The family whose key layout `sd` has. Throws a CheckpointError listing the known families when none (or several) match. */
export function detectFamily(sd: StateDict): SamFamily {
  const hits = SAM_FAMILIES.filter((f) => f.detect(sd));
  if (hits.length === 1) return hits[0]!.id;
  if (hits.length > 1)
    throw new CheckpointError(
      `ambiguous SAM checkpoint: its image_encoder keys match several families (${hits.map((f) => f.id).join(', ')})`,
    );
  const seen = [...sd.keys()].filter((k) => k.startsWith('image_encoder.')).slice(0, 3);
  throw new CheckpointError(
    `not a SAM checkpoint: its image_encoder keys match no known family (known: ${knownFamilies()}). ` +
      `Expected ${SAM_FAMILIES.map((f) => `${f.id}: ${f.layout}`).join('; ')}; ` +
      (seen.length ? `found ${seen.join(', ')}, …` : 'found no image_encoder.* keys'),
  );
}

/** The tagged encoder configuration of `sd`, inferred by its family. */
export function inferEncoderConfig(sd: StateDict): EncoderConfig {
  const id = detectFamily(sd);
  const family: Family = SAM_FAMILIES.find((f) => f.id === id)!;
  // `family` first: model.json's key order is unchanged from before the registry.
  return { family: id, ...family.inferConfig(sd) } as EncoderConfig;
}

/** The family of a tagged config (or of model.json's `family`); unknown ids throw, listing the known ones. */
export function samFamily(id: SamFamily): EncoderFamily {
  const family = SAM_FAMILIES.find((f) => f.id === id);
  if (!family) throw new CheckpointError(`unknown model family "${String(id)}" (known: ${knownFamilies()})`);
  // Sound because callers pass configs tagged `id`, and each family reads only its own fields.
  return family as unknown as EncoderFamily;
}

/** Every family's variants by name, tagged (`build_sam.py`'s vit_b/l/h, MobileSAM's, a small test ViT). */
export const RANDOM_SAM_ENCODERS: Readonly<Record<RandomSamVariant, EncoderConfig>> = Object.freeze(
  Object.fromEntries(
    SAM_FAMILIES.flatMap((f) => Object.entries(f.variants).map(([name, c]) => [name, { family: f.id, ...(c as object) }])),
  ) as Record<RandomSamVariant, EncoderConfig>,
);
