import { describe, expect, it } from 'vitest';
import { maskToRle } from '@tsam/core';
import { rleGeometry } from '../src/index.js';
import { lShape, maskOf, square } from './helpers.js';
import { mulberry32 } from '../src/index.js';

const geo = (h: number, w: number, on: (x: number, y: number) => boolean) => rleGeometry(maskToRle(maskOf(h, w, on), h, w).counts, h, w);

/** Independent reference: gift wrapping (Jarvis march) over all 4 corners of every set pixel. */
function bruteHullArea(mask: Uint8Array, h: number, w: number): number {
  const pts: [number, number][] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (mask[y * w + x]) pts.push([x, y], [x + 1, y], [x, y + 1], [x + 1, y + 1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const dist = (a: [number, number], b: [number, number]) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;
  const start = pts.reduce((m, p) => (p[0] < m[0] || (p[0] === m[0] && p[1] < m[1]) ? p : m));
  const hull: [number, number][] = [];
  let cur = start;
  do {
    hull.push(cur);
    let next = pts[0]!;
    for (const p of pts) {
      const c = cross(cur, next, p);
      if (next === cur || c < 0 || (c === 0 && dist(cur, p) > dist(cur, next))) next = p;
    }
    cur = next;
  } while (cur[0] !== start[0] || cur[1] !== start[1]);
  let a2 = 0;
  for (let i = 0; i < hull.length; i++) {
    const [p, q] = [hull[i]!, hull[(i + 1) % hull.length]!];
    a2 += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(a2) / 2;
}

describe('rleGeometry: convex hull over pixel corners', () => {
  it('a full square has concavity exactly 0, hull = area', () => {
    for (const s of [1, 2, 5, 17]) {
      const g = geo(20, 24, square(3, 2, s));
      expect(g.area).toBe(s * s);
      expect(g.hullArea).toBe(s * s);
      expect(g.concavity).toBe(0);
    }
  });

  it('the 3-pixel L has hull 3.5 and concavity exactly 1/7', () => {
    const g = geo(4, 4, lShape(1, 1, 2, 1));
    expect(g.area).toBe(3);
    expect(g.hullArea).toBe(3.5);
    expect(g.concavity).toBe(1 / 7);
  });

  it('an s×s L missing a k×k corner has concavity k² / (2s² − k²)', () => {
    for (const [s, k] of [
      [4, 2],
      [10, 3],
      [9, 8],
      [6, 1],
    ] as const) {
      const g = geo(12, 13, lShape(1, 1, s, k));
      expect(g.area).toBe(s * s - k * k);
      expect(g.hullArea).toBe(s * s - (k * k) / 2);
      expect(g.concavity).toBeCloseTo((k * k) / (2 * s * s - k * k), 15);
    }
  });

  it('a square ring: the hole counts as concave area', () => {
    const g = geo(10, 10, (x, y) => square(1, 1, 8)(x, y) && !square(3, 3, 4)(x, y));
    expect(g.concavity).toBe(16 / 64);
  });

  it('tall masks whose runs span whole columns, and masks touching every border', () => {
    const g = geo(5, 4, () => true);
    expect(g).toMatchObject({ area: 20, box: [0, 0, 3, 4], hullArea: 20, concavity: 0, centroid: [2, 2.5] });
  });

  it('matches brute force (hull, area, box, centroid) on random masks, including several components', () => {
    const rand = mulberry32(7);
    for (let t = 0; t < 200; t++) {
      const h = 1 + Math.floor(rand() * 12);
      const w = 1 + Math.floor(rand() * 12);
      const p = rand();
      const mask = maskOf(h, w, () => rand() < p);
      const g = rleGeometry(maskToRle(mask, h, w).counts, h, w);
      let area = 0;
      let sx = 0;
      let sy = 0;
      let [x0, y0, x1, y1] = [w, h, -1, -1];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!mask[y * w + x]) continue;
          area++;
          sx += x + 0.5;
          sy += y + 0.5;
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
        }
      }
      expect(g.area).toBe(area);
      if (area === 0) {
        expect(g.box).toEqual([0, 0, 0, 0]);
        expect(g.concavity).toBeNaN();
        continue;
      }
      expect(g.box).toEqual([x0, y0, x1, y1]);
      expect(g.centroid[0]).toBeCloseTo(sx / area, 12);
      expect(g.centroid[1]).toBeCloseTo(sy / area, 12);
      expect(g.hullArea).toBe(bruteHullArea(mask, h, w));
    }
  });

  it('rejects counts that run past the grid', () => {
    expect(() => rleGeometry([0, 30], 5, 5)).toThrow(/past/);
  });
});
