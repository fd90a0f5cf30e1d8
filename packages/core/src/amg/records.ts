/**
 * The generator's per-mask data (the reference's `MaskData` rows), the steps that work on whole
 * lists of it (NMS, small-region cleanup) and the output records.
 */
import type { Box, EncodedPx, ImagePx, Point } from '../coords.js';
import { boxXyxyToXywh, maskToBox, type BoxXywh } from '../masks/boxes.js';
import { removeSmallRegions } from '../masks/components.js';
import { batchedNms } from '../masks/nms.js';
import { compressRle, maskToRle, rleArea, rleToMask, type CompressedRle, type Rle } from '../masks/rle.js';
import type { OutputMode } from './params.js';

/**
 * One mask while the generator runs. `box` and `point` are in space `S`: `CropPx` while its crop
 * is processed, `ImagePx` once the crop is done (`uncropBox` / `uncropPoint`).
 */
export interface MaskCandidate<S extends EncodedPx = ImagePx> {
  /** The mask at image size (uncropped), as uncompressed COCO RLE. */
  rle: Rle;
  /** XYXY box of the mask, inclusive pixel coordinates. */
  box: Box<S>;
  /** The model's predicted IoU (float32 value; `predicted_iou` in the record). */
  iouPrediction: number;
  /** The point prompt `[x, y]` that produced the mask. */
  point: Point<S>;
  stabilityScore: number;
  /** The crop the mask was generated in (exclusive end), in image pixels. */
  cropBox: Box<ImagePx>;
}

/** A mask record, with the reference's keys (so JSON output matches SamAutomaticMaskGenerator's). */
export interface AmgRecord {
  /** `binary_mask`: row-major `h × w` 0/1 bytes; `uncompressed_rle`: Rle; `coco_rle`: CompressedRle. */
  segmentation: Uint8Array | Rle | CompressedRle;
  /** Mask area in pixels. */
  area: number;
  /** XYWH box: `[x0, y0, x1 − x0, y1 − y0]` with inclusive x1/y1 (the reference's convention). */
  bbox: BoxXywh;
  predicted_iou: number;
  /** The point prompt, `[[x, y]]` in image pixels. */
  point_coords: [[x: number, y: number]];
  stability_score: number;
  /** The crop the mask came from, XYWH. */
  crop_box: BoxXywh;
}

/** `batched_nms` over candidates (one category) with the given scores; returns the kept, in NMS order. */
export function nmsCandidates<S extends EncodedPx>(
  cands: readonly MaskCandidate<S>[],
  scores: ArrayLike<number>,
  iouThreshold: number,
): MaskCandidate<S>[] {
  const boxes = new Float32Array(4 * cands.length);
  cands.forEach((c, i) => boxes.set(c.box, 4 * i));
  return batchedNms(boxes, scores, new Float32Array(cands.length), iouThreshold).map((i) => cands[i]!);
}

/**
 * `postprocess_small_regions`: fill holes, then remove islands, smaller than `minArea` in every
 * mask; NMS on the new boxes with score 1 for unchanged masks and 0 for changed ones (so unchanged
 * masks win); the kept changed masks get their new RLE and box. Returns the kept, in NMS order.
 */
export function postprocessSmallRegions(cands: readonly MaskCandidate[], minArea: number, nmsThresh: number): MaskCandidate[] {
  if (cands.length === 0) return [];
  const scores = new Float32Array(cands.length);
  const boxes = new Float32Array(4 * cands.length);
  const changedRle = new Map<number, { rle: Rle; box: Box<ImagePx> }>();
  cands.forEach((c, i) => {
    const [h, w] = c.rle.size;
    const mask = rleToMask(c.rle);
    const holes = removeSmallRegions(mask, h, w, minArea, 'holes');
    const islands = removeSmallRegions(holes.mask, h, w, minArea, 'islands');
    const box = maskToBox(islands.mask, h, w);
    boxes.set(box, 4 * i);
    const unchanged = !holes.changed && !islands.changed;
    scores[i] = unchanged ? 1 : 0;
    if (!unchanged) changedRle.set(i, { rle: maskToRle(islands.mask, h, w), box });
  });
  const keep = batchedNms(boxes, scores, new Float32Array(cands.length), nmsThresh);
  return keep.map((i) => {
    const c = cands[i]!;
    const changed = changedRle.get(i);
    return changed ? { ...c, rle: changed.rle, box: changed.box } : c;
  });
}

/** The output record of one candidate. */
export function toRecord(c: MaskCandidate, mode: OutputMode): AmgRecord {
  const segmentation = mode === 'coco_rle' ? compressRle(c.rle) : mode === 'binary_mask' ? rleToMask(c.rle) : c.rle;
  return {
    segmentation,
    area: rleArea(c.rle),
    bbox: boxXyxyToXywh(c.box),
    predicted_iou: c.iouPrediction,
    point_coords: [[c.point[0], c.point[1]]],
    stability_score: c.stabilityScore,
    crop_box: boxXyxyToXywh(c.cropBox),
  };
}
