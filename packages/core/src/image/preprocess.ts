/**
 * SAM image preprocessing (Sam.preprocess + ResizeLongestSide.apply_image).
 *
 * `applyImage`: RGB `H×W×3` → RGB `newH×newW×3`, longest side 1024 (Pillow bilinear).
 * `preprocessImage`: resized RGB → float32 tensor `1×3×1024×1024` (NCHW), each channel
 * normalised as `(x - mean) / std` in float32, then zero-padded bottom/right to 1024×1024
 * (padding comes after normalisation in the reference, so padded values are exactly 0).
 */
import { MODEL_INPUT_SIZE } from '../coords.js';
import { getPreprocessShape } from '../transforms.js';
import { resizeRgb } from './resize.js';

/** SAM's `pixel_mean` (RGB, 0–255 scale). */
export const PIXEL_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53];
/** SAM's `pixel_std` (RGB, 0–255 scale). */
export const PIXEL_STD: readonly [number, number, number] = [58.395, 57.12, 57.375];

/** A resized RGB image (HWC, row-major). */
export interface ResizedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * ResizeLongestSide.apply_image: resize an RGB image (`h × w × 3`, HWC) so its longest side is
 * `longSide`, with the size from `getPreprocessShape` and Pillow-exact bilinear resampling.
 */
export function applyImage(rgb: Uint8Array, w: number, h: number, longSide: number = MODEL_INPUT_SIZE): ResizedImage {
  const [newH, newW] = getPreprocessShape(h, w, longSide);
  return { data: resizeRgb(rgb, w, h, newW, newH), width: newW, height: newH };
}

/**
 * Normalise and pad a resized RGB image (`h × w × 3`, HWC, both sides ≤ `size`) into the model input:
 * a `Float32Array` of shape `1×3×size×size` (CHW), `(x - PIXEL_MEAN[c]) / PIXEL_STD[c]` with
 * float32 arithmetic, zeros in the bottom/right padding.
 */
export function preprocessImage(rgb: Uint8Array, w: number, h: number, size: number = MODEL_INPUT_SIZE): Float32Array {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || w > size || h > size) {
    throw new RangeError(`preprocessImage: image must be at most ${size}×${size}, got ${w}×${h} (W×H)`);
  }
  if (rgb.length !== w * h * 3) {
    throw new RangeError(`preprocessImage: expected ${w}×${h}×3 = ${w * h * 3} bytes, got ${rgb.length}`);
  }
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(PIXEL_MEAN[c] ?? 0);
    const std = Math.fround(PIXEL_STD[c] ?? 1);
    // Lookup table: float32 subtraction, then float32 division (a float64 divide of float32
    // operands rounded once to float32 is exactly the float32 divide).
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = Math.fround(v - mean) / std;
    const base = c * plane;
    for (let y = 0; y < h; y++) {
      const row = base + y * size;
      let p = y * w * 3 + c;
      for (let x = 0; x < w; x++, p += 3) out[row + x] = lut[rgb[p] ?? 0] ?? 0;
    }
  }
  return out;
}
