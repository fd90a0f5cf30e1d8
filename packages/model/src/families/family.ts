/**
 * What a model family is (segment-anything's `sam_model_registry` entry, widened): everything that
 * differs between SAM's ViT, MobileSAM's TinyViT and a future encoder lives behind this, so the
 * rest of the package (config inference, the encoder graph, random checkpoints) never switches
 * on a family id. The prompt encoder and mask decoder are shared by every family.
 */
import type { SymTensor, Weights } from '@tsam/onnx';
import type { StateDict } from '../checkpoint/index.js';
import type { VitBuildOptions } from './sam-vit/image-encoder.js';
import type { StateDictBuilder } from '../random-tensors.js';

/** Build options of the encoder graph (speed/memory trade-offs; the results do not change). */
export type EncoderGraphOptions = VitBuildOptions;

/**
 * One family. `Id` is what model.json's `family` and the model registry say; `C` is the encoder's
 * configuration without the `family` field; `V` names the configurations of `variants`.
 */
export interface SamFamilyDef<Id extends string, C, V extends string> {
  readonly id: Id;
  /** The image-encoder keys that identify the family, as the unknown-layout error lists them. */
  readonly layout: string;
  /** Whether `sd` has this family's image-encoder key layout (keys only, no shapes). */
  detect(sd: StateDict): boolean;
  /** The encoder configuration, from the shapes of the state dict's `image_encoder.*` alone. */
  inferConfig(sd: StateDict): C;
  /**
   * The encoder: `image` [1, 3, S, S] (normalised, zero-padded) → image embedding
   * [1, outChans, S/16, S/16], weights read through `w` under `image_encoder.`.
   */
  buildEncoder(w: Weights, image: SymTensor, cfg: C, opts: EncoderGraphOptions): SymTensor;
  /** Appends the `image_encoder.*` tensors of a random checkpoint to `b` (official keys, shapes and order). */
  randomStateDict(b: StateDictBuilder, cfg: C): void;
  /** One line for logs, e.g. "ViT embed 768, depth 12, heads 12". */
  describe(cfg: C): string;
  /** Named configurations (`build_sam.py`'s `vit_b`…; the model registry's names), for random checkpoints. */
  readonly variants: Readonly<Record<V, C>>;
}
