/**
 * The reference upscale: `Sam.postprocess_masks` (segment_anything/modeling/sam.py) emulated in
 * float32, the oracle the fast path (binary-upscale.ts) is tested against:
 *   1. `F.interpolate(masks, (1024, 1024), mode="bilinear", align_corners=False)`,
 *   2. crop to the resized input `[newH, newW]` (`getPreprocessShape`: longest side → 1024,
 *      rounded half up), which drops the padding,
 *   3. `F.interpolate(masks, original_size, mode="bilinear", align_corners=False)`,
 * then the caller thresholds at `mask_threshold` 0 (`logits > 0`).
 *
 * Each `F.interpolate` is torch's CPU kernel (`upsample_generic_Nd_kernel_impl`, UpSampleKernel.cpp):
 * per output pixel, along x within two source rows, then along y, every product and sum rounded
 * to float32: `f(f(t0·h0λ) + f(t1·h1λ))` with `t = f(f(x0·w0λ) + f(x1·w1λ))`. That is separable, so
 * this computes it stage by stage (low rows along x, along y, along x, along y), storing every
 * stage as float32, and only for the rows and columns a later stage reads; the values are the same.
 * packages/node/test/upscale-exact.test.ts checks the thresholded result against every fixture
 * mask (0 differing pixels); no fixture holds the reference's full-size logits, so their last bits
 * follow the kernel's source (the order above), not a comparison.
 */
import { LOW_RES_PLANE, LOW_RES_SIZE, MODEL_INPUT_SIZE, lowResPlane } from '../coords.js';
import { getPreprocessShape } from '../transforms.js';

const f = Math.fround;

/** One float32 bilinear tap as torch's CPU kernel computes it: `f(f(a·wa) + f(b·wb))`. */
export function lerp32(a: number, wa: number, b: number, wb: number): number {
  return f(f(a * wa) + f(b * wb));
}

/**
 * Source taps and weights of one axis of torch's bilinear resize (align_corners=False), for output
 * indices `0..count−1`: output `o` reads input `i0[o]` with weight `w0[o]` and `i1[o]` with `w1[o]`.
 */
export interface LinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

/**
 * Taps for resizing `inSize` → `outSize` along one axis, for output indices `0..count−1`, as
 * torch's `compute_indices_weights` (UpSample.h `area_pixel_compute_scale`,
 * `area_pixel_compute_source_index`, `guard_index_and_lambda`): `scale = f32(inSize / outSize)`,
 * `src = max(0, scale·(o + 0.5) − 0.5)`, `i0 = min(floor(src), inSize − 1)`,
 * `i1 = i0 + (i0 < inSize − 1)`, `w1 = f32(clamp(src − i0, 0, 1))`, `w0 = f32(1 − w1)`; equal
 * sizes copy (`w0 = 1`, `w1 = 0`).
 *
 * `src` is kept exact (a 24-bit scale times a 14-bit `o + 0.5`, minus 0.5, is exact in a double) and
 * only the fractional weight is rounded to float32: that is what the fixtures' reference outputs match.
 * Rounding `src` to float32 first, as a plain float32 reading of UpSample.h suggests, moves weights
 * by up to half a float32 ulp of the index (3e-5 at index 1000); measured when this changed, that
 * gave 92 pixels in 36 of the fixtures' 94 reference masks the wrong sign, and exact `src` gives 0
 * (packages/node/test/upscale-exact.test.ts).
 */
export function linearAxis(inSize: number, outSize: number, count: number = outSize): LinearAxis {
  const ax: LinearAxis = { i0: new Int32Array(count), i1: new Int32Array(count), w0: new Float32Array(count), w1: new Float32Array(count) };
  const scale = f(inSize / outSize);
  for (let o = 0; o < count; o++) {
    if (inSize === outSize) {
      ax.i0[o] = ax.i1[o] = o;
      ax.w0[o] = 1;
      continue;
    }
    const src = Math.max(scale * (o + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const w1 = f(Math.min(Math.max(src - i0, 0), 1));
    ax.i0[o] = i0;
    ax.i1[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    ax.w1[o] = w1;
    ax.w0[o] = f(1 - w1);
  }
  return ax;
}

/** The four axes of `postprocess_masks` for one geometry, and which rows each stage needs. */
export interface UpscaleGeometry {
  /** Resized input size `[newH, newW]` (the unpadded part of the 1024² model input). */
  inputSize: [h: number, w: number];
  /** low-res → model size, along x (only the `newW` columns the crop keeps) and y (`newH` rows). */
  ax1x: LinearAxis;
  ax1y: LinearAxis;
  /** cropped `newH × newW` → `h × w`, along x and y. */
  ax2x: LinearAxis;
  ax2y: LinearAxis;
  /** Intermediate (newH) rows the last stage reads, increasing. */
  rows: number[];
  /** Low-res rows those intermediate rows read, increasing. */
  lowRows: number[];
}

/** Tap tables for upscaling `lowSize²` logits to `origSize` `[h, w]` through a `modelSize²` input. */
export function upscaleGeometry(
  origSize: readonly [h: number, w: number],
  modelSize: number = MODEL_INPUT_SIZE,
  lowSize: number = LOW_RES_SIZE,
): UpscaleGeometry {
  const [h, w] = origSize;
  const [newH, newW] = getPreprocessShape(h, w, modelSize);
  const ax1x = linearAxis(lowSize, modelSize, newW);
  const ax1y = linearAxis(lowSize, modelSize, newH);
  const ax2x = linearAxis(newW, w);
  const ax2y = linearAxis(newH, h);
  const used = (n: number, ax: LinearAxis, idx: Iterable<number>): number[] => {
    const need = new Uint8Array(n);
    for (const o of idx) need[ax.i0[o]!] = need[ax.i1[o]!] = 1;
    const out: number[] = [];
    for (let r = 0; r < n; r++) if (need[r]) out.push(r);
    return out;
  };
  const rows = used(
    newH,
    ax2y,
    Array.from({ length: h }, (_, y) => y),
  );
  const lowRows = used(lowSize, ax1y, rows);
  return { inputSize: [newH, newW], ax1x, ax1y, ax2x, ax2y, rows, lowRows };
}

/**
 * Upscales one low-res mask at a time for a fixed geometry (taps and buffers are reused, so build
 * one per image or crop). `run` takes one `lowSize²` plane, row-major, and gives `h × w` logits.
 */
export class MaskUpscaler {
  readonly geometry: UpscaleGeometry;
  readonly height: number;
  readonly width: number;
  private readonly lowSize: number;
  private bufs: { lowX: Float32Array; midX: Float32Array; mid: Float32Array; row: Float32Array } | undefined;

  /** `origSize` `[h, w]` is the image (or crop) size the masks are for. */
  constructor(origSize: readonly [h: number, w: number], modelSize: number = MODEL_INPUT_SIZE, lowSize: number = LOW_RES_SIZE) {
    this.geometry = upscaleGeometry(origSize, modelSize, lowSize);
    [this.height, this.width] = origSize;
    this.lowSize = lowSize;
  }

  /** Resized input size `[newH, newW]`. */
  get inputSize(): [h: number, w: number] {
    return this.geometry.inputSize;
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
    const { inputSize, ax1x, ax1y, ax2x, ax2y, rows, lowRows } = this.geometry;
    const [newH, newW] = inputSize;
    const w = this.width;
    const { lowX, mid, midX, row } = (this.bufs ??= {
      lowX: new Float32Array(ls * newW), // low-res rows along x: lowSize × newW
      mid: new Float32Array(newW), // one intermediate row
      midX: new Float32Array(newH * w), // intermediate rows along x: newH × w (only `rows`)
      row: new Float32Array(w),
    });
    // 1a. low-res rows along x to the model size (only the newW columns the crop keeps).
    for (const k of lowRows) resizeRow(low, k * ls, ax1x, lowX, k * newW);
    for (const r of rows) {
      // 1b. along y to intermediate row r; 3a. that row along x to the output width.
      blendRows(lowX, ax1y.i0[r]! * newW, lowX, ax1y.i1[r]! * newW, ax1y.w0[r]!, ax1y.w1[r]!, newW, mid, 0);
      resizeRow(mid, 0, ax2x, midX, r * w);
    }
    // 3b. along y to the output rows.
    for (let y = 0; y < this.height; y++) {
      blendRows(midX, ax2y.i0[y]! * w, midX, ax2y.i1[y]! * w, ax2y.w0[y]!, ax2y.w1[y]!, w, row, 0);
      onRow(y, row);
    }
  }
}

/** `dst[d + c] = lerp32(src[s + i0[c]], w0[c], src[s + i1[c]], w1[c])` for every tap `c` of `ax`. */
function resizeRow(src: ArrayLike<number>, s: number, ax: LinearAxis, dst: Float32Array, d: number): void {
  const { i0, i1, w0, w1 } = ax;
  for (let c = 0; c < i0.length; c++) dst[d + c] = lerp32(src[s + i0[c]!]!, w0[c]!, src[s + i1[c]!]!, w1[c]!);
}

/** `dst[d + c] = lerp32(a[ia + c], p, b[ib + c], q)` for `c < n` (two rows blended along y). */
function blendRows(
  a: Float32Array,
  ia: number,
  b: Float32Array,
  ib: number,
  p: number,
  q: number,
  n: number,
  dst: Float32Array,
  d: number,
): void {
  for (let c = 0; c < n; c++) dst[d + c] = lerp32(a[ia + c]!, p, b[ib + c]!, q);
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
  if (lowRes.length !== n * LOW_RES_PLANE)
    throw new RangeError(`postprocessMasks: expected ${n}×${LOW_RES_SIZE}×${LOW_RES_SIZE} logits, got ${lowRes.length}`);
  const up = new MaskUpscaler(origSize, modelSize);
  const size = origSize[0] * origSize[1];
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) up.run(lowResPlane(lowRes, i), out.subarray(i * size, (i + 1) * size));
  return out;
}
