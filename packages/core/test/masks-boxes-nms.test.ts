/** Mask boxes (batched_mask_to_box), XYWH conversion, torchvision batched_nms semantics, stability. */
import { describe, expect, it } from 'vitest';
import {
  batchedMaskToBox,
  batchedNms,
  boxArea,
  boxXyxyToXywh,
  calculateStabilityScore,
  imageBox,
  maskToBox,
  nms,
  stabilityCounts,
} from '../src/index.js';
import type { Box, ImagePx } from '../src/index.js';
import { blobMask, rng } from './masks-helpers.js';

describe('maskToBox / batchedMaskToBox', () => {
  it('inclusive extremes; empty → zeros', () => {
    const m = new Uint8Array(4 * 5); // 4×5
    expect(maskToBox(m, 4, 5)).toEqual([0, 0, 0, 0]);
    m[1 * 5 + 3] = 1;
    expect(maskToBox(m, 4, 5)).toEqual([3, 1, 3, 1]);
    m[3 * 5 + 0] = 1;
    expect(maskToBox(m, 4, 5)).toEqual([0, 1, 3, 3]);
  });
  it('matches a brute-force scan on random masks, batched the same', () => {
    const r = rng(3);
    const [n, h, w] = [12, 17, 23];
    const masks = new Uint8Array(n * h * w);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const m = blobMask(r, h, w, [0, 0.01, 0.2, 0.6][i % 4]!);
      masks.set(m, i * h * w);
      let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (m[y * w + x]) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      expected.push(...(x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1, y1]));
      expect(maskToBox(m, h, w)).toEqual(expected.slice(-4));
    }
    expect(Array.from(batchedMaskToBox(masks, n, h, w))).toEqual(expected);
  });
  it('XYWH and area without +1', () => {
    expect(boxXyxyToXywh(imageBox(3, 4, 10, 6))).toEqual([3, 4, 7, 2]);
    expect(boxArea(imageBox(3, 4, 10, 6))).toBe(14);
  });
});

describe('batchedNms (torchvision semantics)', () => {
  const boxes = [0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60, 0, 0, 10, 10];
  it('suppresses IoU > threshold, keeps by descending score', () => {
    // IoU(box0, box1) = 81 / 119 ≈ 0.68
    expect(nms(boxes, [0.9, 0.8, 0.7, 0.95], 0.5)).toEqual([3, 2]);
    expect(nms(boxes, [0.9, 0.8, 0.7, 0.95], 0.7)).toEqual([3, 1, 2]);
    expect(batchedNms(boxes, [0.9, 0.8, 0.7, 0.95], [0, 0, 0, 0], 0.7)).toEqual([3, 1, 2]);
  });
  it('IoU equal to the threshold does not suppress (strict >)', () => {
    // [0,0,2,1] and [1,0,3,1]: inter 1, union 3 → IoU 1/3 in float32 (0.33333334 > 1/3 in double!)
    const b = [0, 0, 2, 1, 1, 0, 3, 1, 0, 0, 4, 1, 0, 0, 2, 1];
    expect(nms(b.slice(0, 8), [1, 0.5], 0.5)).toEqual([0, 1]);
    // 2 / 4 = 0.5 exactly: not suppressed at 0.5
    expect(nms([0, 0, 2, 1, 0, 0, 4, 1], [1, 0.5], 0.5)).toEqual([0, 1]);
    expect(nms([0, 0, 2, 1, 0, 0, 4, 1], [1, 0.5], 0.49)).toEqual([0]);
  });
  it('compares float32 IoU with the double threshold', () => {
    // IoU 1/3: float32(1/3) = 0.3333333432674408 > 1/3 (double) → suppressed at threshold 1/3.
    expect(nms([0, 0, 3, 1, 0, 0, 1, 1], [1, 0.5], 1 / 3)).toEqual([0]);
  });
  it('ties keep input order (stable sort), so the earlier box wins', () => {
    expect(nms([0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10], [1, 1, 1], 0.5)).toEqual([0]);
    expect(batchedNms([0, 0, 10, 10, 20, 20, 30, 30, 0, 0, 10, 10], [1, 1, 1], [0, 0, 0], 0.5)).toEqual([0, 1]);
  });
  it('different categories never suppress each other', () => {
    expect(batchedNms(boxes, [0.9, 0.8, 0.7, 0.95], [0, 1, 0, 1], 0.5)).toEqual([3, 0, 2]);
    expect(batchedNms(boxes, [0.9, 0.8, 0.7, 0.95], [0, 1, 2, 3], 0)).toEqual([3, 0, 1, 2]);
  });
  it('degenerate boxes: 0/0 IoU is NaN and suppresses nothing', () => {
    expect(nms([0, 0, 0, 0, 0, 0, 0, 0], [1, 0.5], 0)).toEqual([0, 1]);
  });
  it('threshold 1.0 keeps everything; empty input', () => {
    expect(nms(boxes, [0.9, 0.8, 0.7, 0.95], 1.0)).toEqual([3, 0, 1, 2]);
    expect(batchedNms([], [], [], 0.5)).toEqual([]);
  });
  it('random: kept boxes pairwise ≤ threshold; every dropped box overlaps a kept, better-ranked one', () => {
    const r = rng(11);
    for (let t = 0; t < 20; t++) {
      const n = 40;
      const b: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = Math.floor(r() * 50);
        const y = Math.floor(r() * 50);
        b.push(x, y, x + 1 + Math.floor(r() * 30), y + 1 + Math.floor(r() * 30));
      }
      const scores = Array.from({ length: n }, () => Math.floor(r() * 10) / 10);
      const thr = 0.3 + r() * 0.5;
      const keep = nms(b, scores, thr);
      const boxAt = (i: number): Box<ImagePx> => imageBox(b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!);
      const iou = (i: number, j: number): number => {
        const w = Math.max(0, Math.min(b[4 * i + 2]!, b[4 * j + 2]!) - Math.max(b[4 * i]!, b[4 * j]!));
        const h = Math.max(0, Math.min(b[4 * i + 3]!, b[4 * j + 3]!) - Math.max(b[4 * i + 1]!, b[4 * j + 1]!));
        const inter = w * h;
        return Math.fround(inter / (boxArea(boxAt(i)) + boxArea(boxAt(j)) - inter));
      };
      for (const i of keep) for (const j of keep) if (i !== j) expect(iou(i, j)).toBeLessThanOrEqual(thr);
      const rank = (i: number): number => scores.filter((s, k) => s > scores[i]! || (s === scores[i] && k < i)).length;
      for (let j = 0; j < n; j++) if (!keep.includes(j)) expect(keep.some((i) => rank(i) < rank(j) && iou(i, j) > thr)).toBe(true);
      for (let k = 1; k < keep.length; k++) expect(rank(keep[k]!)).toBeGreaterThan(rank(keep[k - 1]!));
    }
  });
});

describe('calculateStabilityScore', () => {
  it('is |> t+o| / |> t−o| with strict comparisons', () => {
    const logits = Float32Array.of(-2, -1, -0.5, 0, 0.5, 1, 1.5, 3);
    expect(stabilityCounts(logits, 0, 1)).toEqual({ intersections: 2, unions: 6 });
    expect(calculateStabilityScore(logits, 0, 1)).toBe(Math.fround(2 / 6));
    expect(calculateStabilityScore(logits, 0.5, 0.5)).toBe(Math.fround(2 / 4));
  });
  it('is float32, and NaN (0/0) when nothing exceeds the low threshold', () => {
    expect(calculateStabilityScore(Float32Array.of(1.5, 0.5, 0.2), 0, 1)).toBe(Math.fround(1 / 3));
    expect(calculateStabilityScore(Float32Array.of(-5, -3), 0, 1)).toBeNaN();
    expect(calculateStabilityScore(Float32Array.of(0, 0.5), 0, 1)).toBe(0);
  });
});
