/**
 * Sam.postprocess_masks without the mask decoder: low-res logits (256×256) → logits at the
 * original (or crop) size, as the reference does it with torch
 * `F.interpolate(mode="bilinear", align_corners=False)`:
 *   1. bilinear 256² → 1024² (the padded model input),
 *   2. crop to the resized input `[newH, newW]` (`getPreprocessShape`, longest side → 1024,
 *      rounded half up), which drops the padding,
 *   3. bilinear → `[h, w]`.
 * Only the pixels that survive the crop, and only the intermediate rows step 3 reads, are
 * computed. Arithmetic is float32 per stage (each stage is separable: along x within two source
 * rows, then along y, like torch's CPU kernel).
 */
import { LOW_RES_SIZE, MODEL_INPUT_SIZE } from '../coords.js';
import { getPreprocessShape } from '../transforms.js';

/** Source taps and weights of one axis of torch's bilinear resize (align_corners=False). */
export interface LinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

/**
 * Taps for resizing `inSize` → `outSize` along one axis, for output indices `0..count-1`:
 * `src = max(0, scale·(dst + 0.5) − 0.5)` with `scale = inSize / outSize` in float32;
 * `i0 = floor(src)`, `i1 = min(i0 + 1, inSize − 1)`, `w1 = src − i0`, `w0 = 1 − w1`. Equal sizes
 * copy (`w0 = 1`).
 */
export function linearAxis(inSize: number, outSize: number, count: number = outSize): LinearAxis {
  const f = Math.fround;
  const ax: LinearAxis = { i0: new Int32Array(count), i1: new Int32Array(count), w0: new Float32Array(count), w1: new Float32Array(count) };
  const scale = f(inSize / outSize);
  for (let o = 0; o < count; o++) {
    if (inSize === outSize) {
      ax.i0[o] = ax.i1[o] = o;
      ax.w0[o] = 1;
      continue;
    }
    let src = f(f(scale * f(o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const w1 = Math.min(Math.max(f(src - i0), 0), 1);
    ax.i0[o] = i0;
    ax.i1[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    ax.w1[o] = w1;
    ax.w0[o] = f(1 - w1);
  }
  return ax;
}

/**
 * Upscales one low-res mask at a time for a fixed geometry (buffers and taps are reused, so
 * build one per image or crop). `run` takes one `lowResSize²` plane, row-major.
 */
export class MaskUpscaler {
  /** Resized input size `[newH, newW]` (the unpadded part of the 1024² model input). */
  readonly inputSize: [h: number, w: number];
  readonly height: number;
  readonly width: number;
  private readonly ax1x: LinearAxis;
  private readonly ax1y: LinearAxis;
  private readonly ax2x: LinearAxis;
  private readonly ax2y: LinearAxis;
  private readonly rows: number[]; // intermediate rows step 3 reads
  private readonly lowRows: Float32Array; // low-res rows resized along x: lowSize × newW
  private readonly lowDone: Uint8Array;
  private readonly mid: Float32Array; // intermediate (newH × newW), only `rows` filled
  private readonly midX: Float32Array; // intermediate rows resized along x: newH × w
  private readonly row: Float32Array; // one output row
  private readonly lowSize: number;

  /** `origSize` `[h, w]` is the image (or crop) size the masks are for. */
  constructor(origSize: readonly [h: number, w: number], modelSize: number = MODEL_INPUT_SIZE, lowSize: number = LOW_RES_SIZE) {
    const [h, w] = origSize;
    const [newH, newW] = getPreprocessShape(h, w, modelSize);
    this.inputSize = [newH, newW];
    this.height = h;
    this.width = w;
    this.lowSize = lowSize;
    this.ax1x = linearAxis(lowSize, modelSize, newW);
    this.ax1y = linearAxis(lowSize, modelSize, newH);
    this.ax2x = linearAxis(newW, w);
    this.ax2y = linearAxis(newH, h);
    const need = new Uint8Array(newH);
    for (let y = 0; y < h; y++) need[this.ax2y.i0[y]!] = need[this.ax2y.i1[y]!] = 1;
    this.rows = [];
    for (let r = 0; r < newH; r++) if (need[r]) this.rows.push(r);
    this.lowRows = new Float32Array(lowSize * newW);
    this.lowDone = new Uint8Array(lowSize);
    this.mid = new Float32Array(newH * newW);
    this.midX = new Float32Array(newH * w);
    this.row = new Float32Array(w);
  }

  /** One `lowSize × lowSize` plane of logits → `h × w` logits (row-major) in `out`. */
  run(low: ArrayLike<number>, out: Float32Array = new Float32Array(this.height * this.width)): Float32Array {
    if (out.length !== this.height * this.width) throw new RangeError(`MaskUpscaler: output must hold ${this.height}×${this.width}`);
    const w = this.width;
    this.runRows(low, (y, row) => out.set(row, y * w));
    return out;
  }

  /**
   * Like `run`, but hands each output row (`w` logits, a reused buffer valid only during the call)
   * to `onRow(y, row)` in order, so callers can threshold/count without storing `h × w` floats.
   */
  runRows(low: ArrayLike<number>, onRow: (y: number, row: Float32Array) => void): void {
    const ls = this.lowSize;
    if (low.length !== ls * ls) throw new RangeError(`MaskUpscaler: expected ${ls}×${ls} logits, got ${low.length}`);
    const [, newW] = this.inputSize;
    const w = this.width;
    const { lowRows, lowDone, mid, midX, row } = this;
    lowDone.fill(0);
    const { i0: x0, i1: x1, w0: wx0, w1: wx1 } = this.ax1x;
    const lowRow = (k: number): number => {
      const base = k * newW;
      if (!lowDone[k]) {
        lowDone[k] = 1;
        const src = k * ls;
        for (let c = 0; c < newW; c++) lowRows[base + c] = low[src + x0[c]!]! * wx0[c]! + low[src + x1[c]!]! * wx1[c]!;
      }
      return base;
    };
    const { i0: y0, i1: y1, w0: wy0, w1: wy1 } = this.ax1y;
    const { i0: u0, i1: u1, w0: wu0, w1: wu1 } = this.ax2x;
    for (const r of this.rows) {
      const a = lowRow(y0[r]!);
      const b = lowRow(y1[r]!);
      const p = wy0[r]!;
      const q = wy1[r]!;
      const m = r * newW;
      for (let c = 0; c < newW; c++) mid[m + c] = lowRows[a + c]! * p + lowRows[b + c]! * q;
      const mx = r * w;
      for (let c = 0; c < w; c++) midX[mx + c] = mid[m + u0[c]!]! * wu0[c]! + mid[m + u1[c]!]! * wu1[c]!;
    }
    const { i0: v0, i1: v1, w0: wv0, w1: wv1 } = this.ax2y;
    for (let y = 0; y < this.height; y++) {
      const a = v0[y]! * w;
      const b = v1[y]! * w;
      const p = wv0[y]!;
      const q = wv1[y]!;
      for (let c = 0; c < w; c++) row[c] = midX[a + c]! * p + midX[b + c]! * q;
      onRow(y, row);
    }
  }
}

/**
 * `Sam.postprocess_masks`: `n` low-res planes (`n × 256 × 256`, back to back) → `n × h × w`
 * logits for an image (or crop) of `origSize` `[h, w]`.
 */
export function postprocessMasks(
  lowRes: Float32Array,
  n: number,
  origSize: readonly [h: number, w: number],
  modelSize: number = MODEL_INPUT_SIZE,
): Float32Array {
  const plane = LOW_RES_SIZE * LOW_RES_SIZE;
  if (lowRes.length !== n * plane)
    throw new RangeError(`postprocessMasks: expected ${n}×${LOW_RES_SIZE}×${LOW_RES_SIZE} logits, got ${lowRes.length}`);
  const up = new MaskUpscaler(origSize, modelSize);
  const size = origSize[0] * origSize[1];
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) up.run(lowRes.subarray(i * plane, (i + 1) * plane), out.subarray(i * size, (i + 1) * size));
  return out;
}
