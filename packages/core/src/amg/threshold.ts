/**
 * The per-mask work after the IoU filter, fused into one pass over the rows of the reference
 * upscale (`MaskUpscaler.runRows`, masks/postprocess.ts: the same float32 logits whose signs are
 * the reference's masks, packages/node/test/upscale-exact.test.ts; the logits are never stored): the stability score's counts (`> t ± offset`), the binary mask `> t` as its
 * box, and the column-wise transitions from which `rle()` builds the uncropped COCO RLE (so the
 * RLE costs O(w + transitions), not a column-major walk over h × w bytes).
 */
import { cropLocalBox, type Box, type CropPx } from '../coords.js';
import type { MaskUpscaler } from '../masks/postprocess.js';
import type { Rle } from '../masks/rle.js';

export interface ThresholdedMask {
  /** `|logits > t + offset|` and `|logits > t − offset|` (the stability score's counts). */
  intersections: number;
  unions: number;
  /** Box of `logits > t` in the upscaled (crop) frame, inclusive, `[0, 0, 0, 0]` if empty (`maskToBox` semantics). */
  box: Box<CropPx>;
}

interface RowAccumulator {
  intersections: number;
  unions: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Reusable per-crop workspace: `run` one low-res plane, then (optionally) `rle` of that mask. */
export class MaskThresholder {
  private readonly firstRow: Uint8Array; // mask value in row 0, per column
  private readonly prev: Uint8Array; // previous row's mask values
  private tCol: Int32Array<ArrayBuffer> = new Int32Array(1 << 14); // transitions (column, row) in row-major order:
  private tRow: Int32Array<ArrayBuffer> = new Int32Array(1 << 14); // the value in `column` flips between row−1 and row
  private nT = 0;

  constructor(readonly upscaler: MaskUpscaler) {
    this.firstRow = new Uint8Array(upscaler.width);
    this.prev = new Uint8Array(upscaler.width);
  }

  /** Upscales `low` (256×256) and thresholds it; thresholds are float32 like the reference's. */
  run(low: ArrayLike<number>, maskThreshold: number, offset: number): ThresholdedMask {
    const w = this.upscaler.width;
    const t = Math.fround(maskThreshold);
    const hi = Math.fround(maskThreshold + offset);
    const lo = Math.fround(maskThreshold - offset);
    const acc = { intersections: 0, unions: 0, x0: w, y0: -1, x1: -1, y1: -1 };
    this.nT = 0;
    this.upscaler.runRows(low, (y, row) => this.row(row, y, t, hi, lo, acc));
    const box = acc.x1 < 0 ? cropLocalBox(0, 0, 0, 0) : cropLocalBox(acc.x0, acc.y0, acc.x1, acc.y1);
    return { intersections: acc.intersections, unions: acc.unions, box };
  }

  /** One output row: counts, transitions against the previous row, box extent. */
  private row(row: Float32Array, y: number, t: number, hi: number, lo: number, acc: RowAccumulator): void {
    const prev = this.prev;
    const w = row.length;
    let any = 0;
    let inter = 0;
    let uni = 0;
    if (y === 0) {
      for (let c = 0; c < w; c++) {
        const v = row[c]!;
        inter += v > hi ? 1 : 0;
        uni += v > lo ? 1 : 0;
        const b = v > t ? 1 : 0;
        prev[c] = b;
        any |= b;
      }
      this.firstRow.set(prev);
    } else {
      for (let c = 0; c < w; c++) {
        const v = row[c]!;
        inter += v > hi ? 1 : 0;
        uni += v > lo ? 1 : 0;
        const b = v > t ? 1 : 0;
        if (b !== prev[c]) {
          this.transition(c, y);
          prev[c] = b;
        }
        any |= b;
      }
    }
    acc.intersections += inter;
    acc.unions += uni;
    if (any) {
      // `prev` now holds this row's mask
      let first = 0;
      while (!prev[first]) first++;
      let last = w - 1;
      while (!prev[last]) last--;
      if (acc.y0 < 0) acc.y0 = y;
      acc.y1 = y;
      if (first < acc.x0) acc.x0 = first;
      if (last > acc.x1) acc.x1 = last;
    }
  }

  /**
   * Uncompressed COCO RLE of the last `run`'s mask placed at (x0, y0) in an `origH × origW` image
   * (`uncrop_masks` + `mask_to_rle_pytorch`).
   */
  rle(x0: number, y0: number, origH: number, origW: number): Rle {
    const { width: w, height: h } = this.upscaler;
    if (x0 < 0 || y0 < 0 || x0 + w > origW || y0 + h > origH)
      throw new RangeError(`MaskThresholder.rle: crop ${w}×${h} at (${x0}, ${y0}) outside ${origW}×${origH}`);
    // Counting sort of the transitions by column (stable, so rows stay increasing).
    const start = new Int32Array(w + 1);
    for (let k = 0; k < this.nT; k++) start[this.tCol[k]! + 1]!++;
    for (let c = 0; c < w; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, w);
    const rows = new Int32Array(this.nT);
    for (let k = 0; k < this.nT; k++) rows[fill[this.tCol[k]!]!++] = this.tRow[k]!;
    const counts: number[] = [];
    let current = 0;
    let run = 0;
    const add = (v: number, n: number): void => {
      if (n === 0) return;
      if (v === current) run += n;
      else {
        counts.push(run);
        current = v;
        run = n;
      }
    };
    add(0, x0 * origH);
    for (let c = 0; c < w; c++) {
      add(0, y0);
      let v = this.firstRow[c]!;
      let from = 0;
      for (let k = start[c]!; k < start[c + 1]!; k++) {
        const y = rows[k]!;
        add(v, y - from);
        v ^= 1;
        from = y;
      }
      add(v, h - from);
      add(0, origH - y0 - h);
    }
    add(0, (origW - x0 - w) * origH);
    counts.push(run);
    return { size: [origH, origW], counts };
  }

  private transition(c: number, y: number): void {
    if (this.nT === this.tCol.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.tCol = grow(this.tCol);
      this.tRow = grow(this.tRow);
    }
    this.tCol[this.nT] = c;
    this.tRow[this.nT++] = y;
  }
}
