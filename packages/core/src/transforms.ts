/**
 * The conversions between coordinate spaces (coords.ts). ResizeLongestSide
 * (segment_anything/utils/transforms.py): the geometry of SAM's image resize and of moving prompts
 * from the encoder's image (`ImagePx`, or `CropPx` for an AMG crop) to the model input space
 * (`ModelPx`); the model → low-res scale; and AMG's crop → image offset.
 *
 * The image of size H×W is resized to `[newH, newW]` with its longest side equal to `longSide`
 * (1024), then padded bottom/right to `longSide`×`longSide`. Prompts are scaled per axis by
 * `newW / W` and `newH / H` (not by one common factor, because of the rounding of newH/newW).
 */
import type { Box, CropPx, EncodedPx, ImagePx, LowResPx, ModelPx, Point } from './coords.js';
import { LOW_RES_SIZE, MODEL_INPUT_SIZE, imageBox, imagePoint, lowResPoint, modelBox, modelPoint } from './coords.js';

/**
 * Output size `[newH, newW]` of the longest-side resize of an `oldH`×`oldW` image.
 * `scale = longSide / max(oldH, oldW)`, each side `floor(side * scale + 0.5)` (Python `int(x + 0.5)`).
 */
export function getPreprocessShape(oldH: number, oldW: number, longSide: number = MODEL_INPUT_SIZE): [newH: number, newW: number] {
  if (!(oldH > 0 && oldW > 0)) throw new RangeError(`image size must be positive, got ${oldH}×${oldW} (H×W)`);
  const scale = (longSide * 1.0) / Math.max(oldH, oldW);
  const newH = Math.trunc(oldH * scale + 0.5);
  const newW = Math.trunc(oldW * scale + 0.5);
  return [newH, newW];
}

/** Per-axis factors `[sx, sy] = [newW / oldW, newH / oldH]` taking `ImagePx` to `ModelPx`. */
export function modelScale(oldH: number, oldW: number, longSide: number = MODEL_INPUT_SIZE): [sx: number, sy: number] {
  const [newH, newW] = getPreprocessShape(oldH, oldW, longSide);
  return [newW / oldW, newH / oldH];
}

/**
 * Map points `[x, y]` from the pixels of an `origH`×`origW` encoder image (the original image, or
 * an AMG crop of that size) to the model input space.
 * Computed in float64 like the reference (which converts to float32 afterwards).
 */
export function applyCoords(
  points: ReadonlyArray<Point<EncodedPx>>,
  origH: number,
  origW: number,
  longSide: number = MODEL_INPUT_SIZE,
): Point<ModelPx>[] {
  const [sx, sy] = modelScale(origH, origW, longSide);
  return points.map(([x, y]) => modelPoint(x * sx, y * sy));
}

/** Map XYXY boxes from encoder-image pixels to the model input space (via their two corners). */
export function applyBoxes(
  boxes: ReadonlyArray<Box<EncodedPx>>,
  origH: number,
  origW: number,
  longSide: number = MODEL_INPUT_SIZE,
): Box<ModelPx>[] {
  const [sx, sy] = modelScale(origH, origW, longSide);
  return boxes.map(([x0, y0, x1, y1]) => modelBox(x0 * sx, y0 * sy, x1 * sx, y1 * sy));
}

/** Model px → the 256 low-res mask space (the decoder's masks are 1/4 of the model input). */
export function modelToLowRes(p: Point<ModelPx>): Point<LowResPx> {
  const s = LOW_RES_SIZE / MODEL_INPUT_SIZE;
  return lowResPoint(p[0] * s, p[1] * s);
}

/** `uncrop_points` (amg.py): a point in `crop` (a `Box<ImagePx>`) → image pixels, by the crop's offset. */
export function uncropPoint(p: Point<CropPx>, crop: Box<ImagePx>): Point<ImagePx> {
  return imagePoint(p[0] + crop[0], p[1] + crop[1]);
}

/** `uncrop_boxes_xyxy` (amg.py): an XYXY box in `crop` (a `Box<ImagePx>`) → image pixels. */
export function uncropBox(b: Box<CropPx>, crop: Box<ImagePx>): Box<ImagePx> {
  const [x0, y0] = crop;
  return imageBox(b[0] + x0, b[1] + y0, b[2] + x0, b[3] + y0);
}
