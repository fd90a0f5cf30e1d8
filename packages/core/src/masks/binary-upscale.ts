/**
 * The fast path: binary masks at the original image size straight from low-res logits, exactly
 * `logitsToMask(new MaskUpscaler(origSize).run(low))` (postprocess.ts, the float32 reference of
 * torch's `postprocess_masks`), without computing most of the full-size logits. It uses the
 * reference's tap tables (`upscaleGeometry`) and tap arithmetic (`lerp32`), so every value it does
 * compute is the reference's, bit for bit.
 *
 * Every bilinear tap has non-negative weights, so where both source values of a tap are positive
 * (and not tiny) the result is positive, and where both are ≤ 0 it is ≤ 0. The upscaler's last
 * two stages (along x to the output width, then along y to the output height) therefore only need
 * real arithmetic next to sign changes: each intermediate row is kept as runs of one sign, the
 * runs of two source rows are merged per output row, agreeing runs are filled with `fill`, and
 * only the pixels in disagreeing (or tiny) runs are computed. For a 1800×1200 image that is a few
 * thousand pixels per mask instead of 2.2 M. Noisy logits (sign changes everywhere) go through
 * the reference itself.
 */
import { LOW_RES_SIZE, MODEL_INPUT_SIZE } from '../coords.js';
import { lerp32, MaskUpscaler, type LinearAxis } from './postprocess.js';

/**
 * Average sign runs per low-res row above which the logits count as noise: sign changes are then
 * everywhere and the plain upscale-then-threshold (MaskUpscaler) is faster.
 */
const NOISY_RUNS_PER_ROW = 16;

/** Below this, a positive value is handled exactly (a sum of tiny products could underflow float32). */
const TINY = 1e-30;
const NONPOS = 0;
const POS = 1;
const MIXED = 2;

function cls(v: number): number {
  return v > TINY ? POS : v <= 0 ? NONPOS : MIXED;
}

/** Runs of one class over a row: `starts[i]..starts[i+1]` has class `classes[i]`; `starts[n] = width`. */
class Runs {
  starts = new Int32Array(16);
  classes = new Uint8Array(16);
  n = 0;

  reset(): void {
    this.n = 0;
  }

  push(start: number, k: number): void {
    if (this.n > 0 && this.classes[this.n - 1] === k) return;
    if (this.n + 1 >= this.starts.length) {
      const s = new Int32Array(this.starts.length * 2);
      s.set(this.starts);
      const c = new Uint8Array(this.classes.length * 2);
      c.set(this.classes);
      this.starts = s;
      this.classes = c;
    }
    this.starts[this.n] = start;
    this.classes[this.n++] = k;
  }

  end(width: number): void {
    this.starts[this.n] = width;
  }
}

/** An axis resize with, for each input index c, the first output index whose right tap is > c. */
interface Axis extends LinearAxis {
  after: Int32Array;
  outSize: number;
}

function withAfter(ax: LinearAxis, inSize: number): Axis {
  const count = ax.i0.length;
  const after = new Int32Array(inSize);
  let x = 0;
  for (let c = 0; c < inSize; c++) {
    while (x < count && ax.i1[x]! <= c) x++;
    after[c] = x;
  }
  return { ...ax, after, outSize: count };
}

/**
 * Runs of `src` resized along its axis by `ax`: an output index whose two taps lie in one POS or
 * NONPOS run inherits its class; the others are classified from `exact(x)`.
 */
function resizeRuns(src: Runs, ax: Axis, exact: (x: number) => number, out: Runs): void {
  out.reset();
  const { i0, i1, after, outSize } = ax;
  let r = 0; // run of src containing i0[x]
  let x = 0;
  while (x < outSize) {
    const c0 = i0[x]!;
    while (src.starts[r + 1]! <= c0) r++;
    const k = src.classes[r]!;
    const runEnd = src.starts[r + 1]!;
    if (k !== MIXED && i1[x]! < runEnd) {
      out.push(x, k);
      x = after[runEnd - 1]!;
    } else {
      out.push(x, cls(exact(x)));
      x++;
    }
  }
  out.end(outSize);
}

/**
 * The runs of p·a + q·b for two rows given as runs (p, q ≥ 0): agreeing POS / NONPOS pieces keep
 * their class, the others are classified from `exact(c)`. With `fill`, POS pieces and exact
 * positive values are written as 1s into `fill` at `base` instead (the last stage).
 */
function mergeRuns(a: Runs, b: Runs, width: number, exact: (c: number) => number, out: Runs | null, fill?: Uint8Array, base = 0): void {
  out?.reset();
  let ia = 0;
  let ib = 0;
  let s = 0;
  while (s < width) {
    const ea = a.starts[ia + 1]!;
    const eb = b.starts[ib + 1]!;
    const e = ea < eb ? ea : eb;
    const ca = a.classes[ia]!;
    const cb = b.classes[ib]!;
    if (ca === cb && ca !== MIXED) {
      if (fill) {
        if (ca === POS) fill.fill(1, base + s, base + e);
      } else out!.push(s, ca);
    } else if (fill) {
      for (let c = s; c < e; c++) if (exact(c) > 0) fill[base + c] = 1;
    } else {
      for (let c = s; c < e; c++) out!.push(c, cls(exact(c)));
    }
    s = e;
    if (ea === e) ia++;
    if (eb === e) ib++;
  }
  out?.end(width);
}

/**
 * `out[base + x] = bits[x] > 0 as float32` for every x, branch-free on the bits: sign clear, not
 * +0, not NaN (noisy signs make a compare-and-branch mispredict half the time).
 */
function positiveBits(bits: Int32Array, out: Uint8Array, base: number): void {
  for (let x = 0; x < bits.length; x++) {
    const i = bits[x]!;
    out[base + x] = (-i >>> 31) & (~i >>> 31) & (((0x7f800000 - i) >>> 31) ^ 1);
  }
}

export class BinaryMaskUpscaler {
  readonly height: number;
  readonly width: number;
  readonly inputSize: [h: number, w: number];
  /** The reference: its tap tables are used here, and it upscales noisy logits whole. */
  readonly reference: MaskUpscaler;
  private readonly lowSize: number;
  private readonly ax1x: Axis;
  private readonly ax1y: Axis;
  private readonly ax2x: Axis;
  private readonly ax2y: Axis;
  /** Intermediate (newH) rows the last stage reads, in increasing order. */
  private readonly rows: number[];
  /** Low-res rows the intermediate rows read. */
  private readonly lowRowsNeeded: number[];
  private readonly runsLow: Runs[];
  private readonly runsB: Runs[];
  private readonly runsC: Runs;
  private readonly runsD: Runs[];
  private low: ArrayLike<number> = new Float32Array(0);
  // Rows of stages B (low rows along x) and C (intermediate rows) are computed in full, once, when
  // a row needs more than `dense` exact values; sparse boundaries are computed alone.
  private readonly dense: number;
  private readonly rowB: Float32Array;
  private readonly rowC: Float32Array;
  private readonly readyB: Uint8Array;
  private readonly readyC: Uint8Array;
  private readonly countB: Int32Array;
  private readonly countC: Int32Array;

  /** `origSize` `[h, w]` is the image (or crop) size the masks are for. */
  constructor(origSize: readonly [h: number, w: number], modelSize: number = MODEL_INPUT_SIZE, lowSize: number = LOW_RES_SIZE) {
    this.reference = new MaskUpscaler(origSize, modelSize, lowSize);
    const g = this.reference.geometry;
    [this.height, this.width] = origSize;
    this.inputSize = g.inputSize;
    const [newH, newW] = g.inputSize;
    this.lowSize = lowSize;
    this.ax1x = withAfter(g.ax1x, lowSize);
    this.ax1y = withAfter(g.ax1y, lowSize);
    this.ax2x = withAfter(g.ax2x, newW);
    this.ax2y = withAfter(g.ax2y, newH);
    this.rows = g.rows;
    this.lowRowsNeeded = g.lowRows;
    this.runsLow = Array.from({ length: lowSize }, () => new Runs());
    this.runsB = Array.from({ length: lowSize }, () => new Runs());
    this.runsC = new Runs();
    this.runsD = Array.from({ length: newH }, () => new Runs());
    this.dense = newW >> 2;
    this.rowB = new Float32Array(lowSize * newW);
    this.rowC = new Float32Array(newH * newW);
    this.readyB = new Uint8Array(lowSize);
    this.readyC = new Uint8Array(newH);
    this.countB = new Int32Array(lowSize);
    this.countC = new Int32Array(newH);
  }

  /** One `lowSize × lowSize` plane of logits → `h × w` mask bytes (1 where the logit is > 0). */
  run(low: ArrayLike<number>, into?: Uint8Array): Uint8Array {
    const ls = this.lowSize;
    if (low.length !== ls * ls) throw new RangeError(`BinaryMaskUpscaler: expected ${ls}×${ls} logits, got ${low.length}`);
    if (into && into.length !== this.height * this.width)
      throw new RangeError(`BinaryMaskUpscaler: output must hold ${this.height}×${this.width}`);
    const out = into ? into.fill(0) : new Uint8Array(this.height * this.width); // a new array is already zeroed
    this.low = low;
    this.readyB.fill(0);
    this.readyC.fill(0);
    this.countB.fill(0);
    this.countC.fill(0);
    const [, newW] = this.inputSize;
    // A: classes of the low-res rows.
    let nRuns = 0;
    for (const k of this.lowRowsNeeded) {
      const runs = this.runsLow[k]!;
      runs.reset();
      const base = k * ls;
      for (let j = 0; j < ls; j++) runs.push(j, cls(low[base + j]!));
      runs.end(ls);
      nRuns += runs.n;
    }
    if (nRuns > NOISY_RUNS_PER_ROW * this.lowRowsNeeded.length) return this.runFull(low, out);
    // B: along x to newW.
    for (const k of this.lowRowsNeeded) resizeRuns(this.runsLow[k]!, this.ax1x, (c) => this.valB(k, c), this.runsB[k]!);
    // C: along y to the intermediate rows; D: along x to the output width.
    for (const r of this.rows) {
      const a = this.ax1y.i0[r]!;
      const b = this.ax1y.i1[r]!;
      mergeRuns(this.runsB[a]!, this.runsB[b]!, newW, (c) => this.valC(r, c), this.runsC);
      resizeRuns(this.runsC, this.ax2x, (x) => this.valD(r, x), this.runsD[r]!);
    }
    // E: along y to the output rows, written as mask bytes.
    const w = this.width;
    const { i0, i1, w0, w1 } = this.ax2y;
    for (let y = 0; y < this.height; y++) {
      const a = i0[y]!;
      const b = i1[y]!;
      const p = w0[y]!;
      const q = w1[y]!;
      mergeRuns(this.runsD[a]!, this.runsD[b]!, w, (x) => lerp32(this.valD(a, x), p, this.valD(b, x), q), null, out, y * w);
    }
    return out;
  }

  /** Noisy logits: the reference's logits, row by row, thresholded into the bytes. */
  private runFull(low: ArrayLike<number>, out: Uint8Array): Uint8Array {
    const w = this.width;
    let rowSeen: Float32Array | undefined; // the reference reuses one row buffer
    let bits: Int32Array = new Int32Array(0); // its float32 bits
    this.reference.runRows(low, (y, row) => {
      if (row !== rowSeen) {
        rowSeen = row;
        bits = new Int32Array(row.buffer, row.byteOffset, w);
      }
      positiveBits(bits, out, y * w);
    });
    return out;
  }

  // The exact values of the reference's stages (each stored as float32 there).
  private valB(k: number, c: number): number {
    const newW = this.inputSize[1];
    if (this.readyB[k]) return this.rowB[k * newW + c]!;
    if (++this.countB[k]! > this.dense) {
      this.readyB[k] = 1;
      for (let j = 0; j < newW; j++) this.rowB[k * newW + j] = this.computeB(k, j);
      return this.rowB[k * newW + c]!;
    }
    return this.computeB(k, c);
  }

  private computeB(k: number, c: number): number {
    const { i0, i1, w0, w1 } = this.ax1x;
    const base = k * this.lowSize;
    return lerp32(this.low[base + i0[c]!]!, w0[c]!, this.low[base + i1[c]!]!, w1[c]!);
  }

  private valC(r: number, c: number): number {
    const newW = this.inputSize[1];
    if (this.readyC[r]) return this.rowC[r * newW + c]!;
    if (++this.countC[r]! > this.dense) {
      this.readyC[r] = 1;
      for (let j = 0; j < newW; j++) this.rowC[r * newW + j] = this.computeC(r, j);
      return this.rowC[r * newW + c]!;
    }
    return this.computeC(r, c);
  }

  private computeC(r: number, c: number): number {
    const { i0, i1, w0, w1 } = this.ax1y;
    return lerp32(this.valB(i0[r]!, c), w0[r]!, this.valB(i1[r]!, c), w1[r]!);
  }

  private valD(r: number, x: number): number {
    const { i0, i1, w0, w1 } = this.ax2x;
    return lerp32(this.valC(r, i0[x]!), w0[x]!, this.valC(r, i1[x]!), w1[x]!);
  }
}
