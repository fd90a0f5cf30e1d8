/**
 * From crop frame to image frame (segment_anything/utils/amg.py `uncrop_masks`, and the RLE of
 * the uncropped mask without materialising it).
 *
 * A crop is the image region `x0 ≤ x < x0 + w`, `y0 ≤ y < y0 + h`; crop masks are row-major
 * `h × w` bytes (nonzero = set) and are zero-padded to the `origH × origW` image.
 */
import type { Rle } from './rle.js';

/** `uncrop_masks`: zero-pad a crop mask to `origH × origW` (row-major), placing it at (x0, y0). */
export function uncropMask(
  mask: ArrayLike<number>,
  h: number,
  w: number,
  x0: number,
  y0: number,
  origH: number,
  origW: number,
): Uint8Array {
  checkCrop(mask.length, h, w, x0, y0, origH, origW, 'uncropMask');
  const out = new Uint8Array(origH * origW);
  for (let y = 0; y < h; y++) {
    const src = y * w;
    const dst = (y + y0) * origW + x0;
    for (let x = 0; x < w; x++) out[dst + x] = mask[src + x] ? 1 : 0;
  }
  return out;
}

/**
 * COCO RLE (column-major, first count = zeros) of `uncropMask(mask, ...)`, computed directly from
 * the crop mask: equal to `maskToRle(uncropMask(...), origH, origW)`.
 */
export function uncropMaskToRle(mask: ArrayLike<number>, h: number, w: number, x0: number, y0: number, origH: number, origW: number): Rle {
  checkCrop(mask.length, h, w, x0, y0, origH, origW, 'uncropMaskToRle');
  const counts: number[] = [];
  let current = 0; // value of the current run (runs start with 0s)
  let run = 0;
  const zeros = (n: number): void => {
    if (n === 0) return;
    if (current === 0) run += n;
    else {
      counts.push(run);
      current = 0;
      run = n;
    }
  };
  const below = origH - y0 - h;
  zeros(x0 * origH); // empty columns left of the crop
  for (let x = 0; x < w; x++) {
    zeros(y0);
    for (let i = x; i < h * w; i += w) {
      const v = mask[i] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
    zeros(below);
  }
  zeros((origW - x0 - w) * origH); // empty columns right of the crop
  counts.push(run);
  return { size: [origH, origW], counts };
}

function checkCrop(len: number, h: number, w: number, x0: number, y0: number, origH: number, origW: number, what: string): void {
  if (len !== h * w) throw new RangeError(`${what}: expected ${h}×${w} = ${h * w} values, got ${len}`);
  if (x0 < 0 || y0 < 0 || x0 + w > origW || y0 + h > origH) {
    throw new RangeError(`${what}: crop ${w}×${h} at (${x0}, ${y0}) does not fit in ${origW}×${origH} (W×H)`);
  }
}
