/**
 * Mask bounding boxes (segment_anything/utils/amg.py `batched_mask_to_box`, `box_xyxy_to_xywh`).
 *
 * Masks are row-major `h × w` bytes (index `y * w + x`), nonzero = in mask. Boxes are the branded
 * XYXY `Box<S>` (coords.ts) with INCLUSIVE pixel coordinates of the extreme set pixels (a one-pixel
 * mask at (3, 5) has box `[3, 5, 3, 5]`), as in the reference; an empty mask gives `[0, 0, 0, 0]`.
 * A mask box is in the mask's own pixel space `S` (`ImagePx` unless said otherwise).
 */
import type { Box, ImagePx, Space } from '../coords.js';

/** XYWH box `[x, y, w, h]`: the record format (`bbox`, `crop_box` in SA-1B / COCO / AMG records). */
export type BoxXywh = [x: number, y: number, w: number, h: number];

/**
 * Box around the set pixels of one `h × w` row-major mask; `[0, 0, 0, 0]` when empty. The box is in
 * the mask's space: `ImagePx`, or name it (`maskToBox<CropPx>(...)`); it is never inferred from
 * the variable it is assigned to.
 */
export function maskToBox<S extends Space = ImagePx>(mask: ArrayLike<number>, h: number, w: number): Box<NoInfer<S>> {
  if (mask.length !== h * w) throw new RangeError(`maskToBox: expected ${h}×${w} = ${h * w} values, got ${mask.length}`);
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let first = -1;
    for (let x = 0; x < w; x++) {
      if (mask[row + x]) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = first;
    for (let x = w - 1; x > first; x--) {
      if (mask[row + x]) {
        last = x;
        break;
      }
    }
    if (y0 === h) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return (x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1, y1]) as unknown as Box<NoInfer<S>>;
}

/**
 * `batched_mask_to_box`: one XYXY box per mask for `n` masks of `h × w` stored back to back
 * (`n × h × w`, row-major). Returns `n × 4` values, row-major.
 */
export function batchedMaskToBox(masks: Uint8Array, n: number, h: number, w: number): Int32Array {
  const plane = h * w;
  if (masks.length !== n * plane) throw new RangeError(`batchedMaskToBox: expected ${n}×${h}×${w} values, got ${masks.length}`);
  const out = new Int32Array(4 * n);
  for (let i = 0; i < n; i++) out.set(maskToBox(masks.subarray(i * plane, (i + 1) * plane), h, w), 4 * i);
  return out;
}

/** `box_xyxy_to_xywh`: `[x0, y0, x1 - x0, y1 - y0]` (no +1, as the reference). */
export function boxXyxyToXywh(box: Box<Space>): BoxXywh {
  const [x0, y0, x1, y1] = box;
  return [x0, y0, x1 - x0, y1 - y0];
}

/** Area `(x1 - x0) * (y1 - y0)` of an XYXY box (torchvision `box_area`, no +1). */
export function boxArea(box: Box<Space>): number {
  const [x0, y0, x1, y1] = box;
  return (x1 - x0) * (y1 - y0);
}
