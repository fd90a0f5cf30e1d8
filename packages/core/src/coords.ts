/**
 * Branded coordinate spaces.
 *
 * SAM moves prompts and masks between four pixel spaces; mixing them up is the classic bug, so
 * points and boxes carry their space in the type (a compile-time brand only, no runtime cost):
 *
 * - `ImagePx`  — pixels of the original image, `x` in `[0, W)`, `y` in `[0, H)`.
 * - `CropPx`   — pixels of one automatic-mask-generation crop: the image region `crop` (a
 *                `Box<ImagePx>`), origin at its top-left corner. The encoder sees the crop as its
 *                image, so crop points go to `ModelPx` like image points (`applyCoords`); back to
 *                the image with `uncropPoint` / `uncropBox` (transforms.ts).
 * - `ModelPx`  — the model input space: the image (or crop) resized so its longest side is 1024
 *                (ResizeLongestSide), then padded bottom/right to 1024×1024.
 * - `LowResPx` — the 256×256 low-resolution mask / mask-input space (1/4 of `ModelPx`,
 *                `modelToLowRes`).
 *
 * Points are `[x, y]`; boxes are XYXY `[x0, y0, x1, y1]` (top-left, bottom-right), matching SAM.
 * (The crop itself, AMG's `cropBox`, is a `Box<ImagePx>`; `cropLocalBox` brands a box inside it.)
 * `Box<S>` is the one XYXY box type; whether `x1`/`y1` are inclusive (mask boxes) or exclusive
 * (crop boxes) is said where the box is made.
 */

/** Name of a pixel space. */
export type Space = 'ImagePx' | 'CropPx' | 'ModelPx' | 'LowResPx';
/** Pixels of the original image. */
export type ImagePx = 'ImagePx';
/** Pixels of an AMG crop, origin at the crop's top-left corner in the image. */
export type CropPx = 'CropPx';
/** Pixels of the image the encoder saw: the original image, or an AMG crop (its own image). */
export type EncodedPx = ImagePx | CropPx;
/** Pixels of the 1024 longest-side model input. */
export type ModelPx = 'ModelPx';
/** Pixels of the 256×256 low-res mask space. */
export type LowResPx = 'LowResPx';

declare const spaceBrand: unique symbol;

/** A point `[x, y]` in space `S`. */
export type Point<S extends Space> = readonly [x: number, y: number] & { readonly [spaceBrand]: S };

/** A box `[x0, y0, x1, y1]` (XYXY) in space `S`. */
export type Box<S extends Space> = readonly [x0: number, y0: number, x1: number, y1: number] & {
  readonly [spaceBrand]: S;
};

/** Side length of the square model input (`ModelPx`). */
export const MODEL_INPUT_SIZE = 1024;
/** Side length of the low-res mask space (`LowResPx`). */
export const LOW_RES_SIZE = 256;
/** Values in one low-res plane: `LOW_RES_SIZE²`. */
export const LOW_RES_PLANE = LOW_RES_SIZE * LOW_RES_SIZE;

/**
 * One 256×256 plane of low-res mask logits in `LowResPx`, row-major (index `y · 256 + x`): a
 * decoder output channel, or a `maskInput`. An alias that names what the array holds.
 */
export type LowResPlane = Float32Array;

/** Plane `i` of `n × 256 × 256` stacked low-res logits (e.g. the decoder's `low_res_masks`), as a view. */
export function lowResPlane(stack: Float32Array, i: number): LowResPlane {
  return stack.subarray(i * LOW_RES_PLANE, (i + 1) * LOW_RES_PLANE);
}

/** Brand `[x, y]` as a point in original-image pixels. */
export function imagePoint(x: number, y: number): Point<ImagePx> {
  return [x, y] as unknown as Point<ImagePx>;
}

/** Brand `[x, y]` as a point in crop pixels (origin at the crop's top-left corner). */
export function cropLocalPoint(x: number, y: number): Point<CropPx> {
  return [x, y] as unknown as Point<CropPx>;
}

/** Brand `[x, y]` as a point in 1024 model-input pixels. */
export function modelPoint(x: number, y: number): Point<ModelPx> {
  return [x, y] as unknown as Point<ModelPx>;
}

/** Brand `[x, y]` as a point in 256 low-res mask pixels. */
export function lowResPoint(x: number, y: number): Point<LowResPx> {
  return [x, y] as unknown as Point<LowResPx>;
}

/** Brand XYXY as a box in original-image pixels. */
export function imageBox(x0: number, y0: number, x1: number, y1: number): Box<ImagePx> {
  return [x0, y0, x1, y1] as unknown as Box<ImagePx>;
}

/** Brand XYXY as a box in crop pixels (origin at the crop's top-left corner). */
export function cropLocalBox(x0: number, y0: number, x1: number, y1: number): Box<CropPx> {
  return [x0, y0, x1, y1] as unknown as Box<CropPx>;
}

/** Brand XYXY as a box in 1024 model-input pixels. */
export function modelBox(x0: number, y0: number, x1: number, y1: number): Box<ModelPx> {
  return [x0, y0, x1, y1] as unknown as Box<ModelPx>;
}

/** Brand XYXY as a box in 256 low-res mask pixels. */
export function lowResBox(x0: number, y0: number, x1: number, y1: number): Box<LowResPx> {
  return [x0, y0, x1, y1] as unknown as Box<LowResPx>;
}
