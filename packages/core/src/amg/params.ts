/**
 * Parameters of the automatic mask generator, with the reference defaults
 * (segment_anything/automatic_mask_generator.py `SamAutomaticMaskGenerator.__init__`), in camelCase.
 */

/** How records carry their mask. */
export type OutputMode = 'binary_mask' | 'uncompressed_rle' | 'coco_rle';

/** A point grid: `[x, y]` pairs normalised to [0, 1]. */
export type PointGrid = ReadonlyArray<readonly [x: number, y: number]>;

export interface AmgParams {
  /** Points sampled along each side (the grid has pointsPerSide² points); null → `pointGrids`. */
  pointsPerSide: number | null;
  /** Prompts decoded per batched-decoder run. */
  pointsPerBatch: number;
  /** Keep masks with predicted IoU `>` this (0 disables the filter). */
  predIouThresh: number;
  /** Keep masks with stability score `>=` this (0 disables the filter). */
  stabilityScoreThresh: number;
  /** Logit offset around the mask threshold (0) for the stability score. */
  stabilityScoreOffset: number;
  /** Box IoU above which NMS drops duplicates within one crop. */
  boxNmsThresh: number;
  /** Extra crop layers (layer i has (2^i)² crops). */
  cropNLayers: number;
  /** Box IoU above which NMS drops duplicates between crops. */
  cropNmsThresh: number;
  /** Crop overlap as a fraction of the short image side (first layer). */
  cropOverlapRatio: number;
  /** Points per side in layer n are divided by this^n. */
  cropNPointsDownscaleFactor: number;
  /** Explicit grids per crop layer (normalised to [0, 1]); exclusive with `pointsPerSide`. */
  pointGrids: PointGrid[] | null;
  /** If > 0, remove holes and islands smaller than this many pixels, then re-run NMS. */
  minMaskRegionArea: number;
  outputMode: OutputMode;
}

export const AMG_DEFAULTS: Readonly<AmgParams> = Object.freeze({
  pointsPerSide: 32,
  pointsPerBatch: 64,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1.0,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  pointGrids: null,
  minMaskRegionArea: 0,
  outputMode: 'binary_mask',
});

const OUTPUT_MODES: readonly OutputMode[] = ['binary_mask', 'uncompressed_rle', 'coco_rle'];

/**
 * Defaults + overrides, validated. Passing `pointGrids` without `pointsPerSide` selects the grids
 * (the reference requires `points_per_side=None` with `point_grids`); passing both is an error.
 */
export function resolveAmgParams(overrides: Partial<AmgParams> = {}): AmgParams {
  const p: AmgParams = { ...AMG_DEFAULTS, ...overrides };
  if (overrides.pointGrids != null && overrides.pointsPerSide === undefined) p.pointsPerSide = null;
  if ((p.pointsPerSide == null) === (p.pointGrids == null)) {
    throw new RangeError('AMG: exactly one of pointsPerSide or pointGrids must be provided');
  }
  if (p.pointsPerSide != null && !(Number.isInteger(p.pointsPerSide) && p.pointsPerSide > 0)) {
    throw new RangeError(`AMG: pointsPerSide must be a positive integer, got ${p.pointsPerSide}`);
  }
  if (p.pointGrids != null && p.pointGrids.length < p.cropNLayers + 1) {
    throw new RangeError(`AMG: pointGrids needs one grid per crop layer (${p.cropNLayers + 1}), got ${p.pointGrids.length}`);
  }
  if (!(Number.isInteger(p.pointsPerBatch) && p.pointsPerBatch > 0))
    throw new RangeError(`AMG: pointsPerBatch must be a positive integer, got ${p.pointsPerBatch}`);
  if (!(Number.isInteger(p.cropNLayers) && p.cropNLayers >= 0))
    throw new RangeError(`AMG: cropNLayers must be a non-negative integer, got ${p.cropNLayers}`);
  if (!(p.cropNPointsDownscaleFactor > 0))
    throw new RangeError(`AMG: cropNPointsDownscaleFactor must be positive, got ${p.cropNPointsDownscaleFactor}`);
  if (!(p.minMaskRegionArea >= 0)) throw new RangeError(`AMG: minMaskRegionArea must be >= 0, got ${p.minMaskRegionArea}`);
  if (!OUTPUT_MODES.includes(p.outputMode)) throw new RangeError(`AMG: unknown outputMode ${JSON.stringify(p.outputMode)}`);
  return p;
}

const SNAKE: Record<string, keyof AmgParams> = {
  points_per_side: 'pointsPerSide',
  points_per_batch: 'pointsPerBatch',
  pred_iou_thresh: 'predIouThresh',
  stability_score_thresh: 'stabilityScoreThresh',
  stability_score_offset: 'stabilityScoreOffset',
  box_nms_thresh: 'boxNmsThresh',
  crop_n_layers: 'cropNLayers',
  crop_nms_thresh: 'cropNmsThresh',
  crop_overlap_ratio: 'cropOverlapRatio',
  crop_n_points_downscale_factor: 'cropNPointsDownscaleFactor',
  point_grids: 'pointGrids',
  min_mask_region_area: 'minMaskRegionArea',
  output_mode: 'outputMode',
};

/** The reference's keyword arguments (snake_case, e.g. from a JSON file) → `Partial<AmgParams>`. */
export function amgParamsFromReference(kwargs: Record<string, unknown>): Partial<AmgParams> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    const key = SNAKE[k];
    if (!key) throw new RangeError(`AMG: unknown reference parameter ${JSON.stringify(k)}`);
    out[key] = v;
  }
  return out as Partial<AmgParams>;
}
