/** maskToPolygons: the polygons rasterise back to the mask; holes and saddles. */
import { describe, expect, it } from 'vitest';
import { connectedComponents, maskToPolygons, polygonArea, polygonsToCoco, type PolygonPoint } from '../src/index.js';
import { blobMask, rng } from './masks-helpers.js';

/** Even-odd test of the pixel centre (x + 0.5, y + 0.5) against a closed polygon. */
function inside(poly: readonly PolygonPoint[], px: number, py: number): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

function rasterise(polys: ReturnType<typeof maskToPolygons>, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (const p of polys) {
        if (inside(p.exterior, x + 0.5, y + 0.5) && !p.holes.some((hole) => inside(hole, x + 0.5, y + 0.5))) out[y * w + x] = 1;
      }
    }
  }
  return out;
}

describe('maskToPolygons', () => {
  it('a single pixel is its unit square; a full mask is the frame', () => {
    expect(maskToPolygons(Uint8Array.of(0, 0, 0, 1), 2, 2)).toEqual([
      {
        exterior: [
          [1, 1],
          [2, 1],
          [2, 2],
          [1, 2],
        ],
        holes: [],
      },
    ]);
    expect(maskToPolygons(new Uint8Array(6).fill(1), 2, 3)).toEqual([
      {
        exterior: [
          [0, 0],
          [3, 0],
          [3, 2],
          [0, 2],
        ],
        holes: [],
      },
    ]);
    expect(maskToPolygons(new Uint8Array(6), 2, 3)).toEqual([]);
  });
  it('a ring has one hole; orientation gives the sign of the area', () => {
    const m = Uint8Array.from('###' + '#.#' + '###', (c) => (c === '#' ? 1 : 0));
    const [p, ...rest] = maskToPolygons(m, 3, 3);
    expect(rest).toEqual([]);
    expect(polygonArea(p!.exterior)).toBe(9);
    expect(p!.holes).toHaveLength(1);
    expect(polygonArea(p!.holes[0]!)).toBe(-1);
  });
  it('diagonal pixels are one 8-connected outline (saddle turns left)', () => {
    const m = Uint8Array.of(1, 0, 0, 1);
    const polys = maskToPolygons(m, 2, 2);
    expect(polys).toHaveLength(1);
    expect(polygonArea(polys[0]!.exterior)).toBe(2);
    expect(rasterise(polys, 2, 2)).toEqual(m);
    // Holes touching at a corner stay two holes (background is 4-connected).
    const m2 = Uint8Array.from('####' + '#.##' + '##.#' + '####', (c) => (c === '#' ? 1 : 0));
    expect(maskToPolygons(m2, 4, 4)[0]!.holes).toHaveLength(2);
  });
  it('random masks: one polygon per component, rasterises back exactly, areas add up', () => {
    const r = rng(8);
    for (let t = 0; t < 40; t++) {
      const h = 1 + Math.floor(r() * 25);
      const w = 1 + Math.floor(r() * 25);
      const mask = blobMask(r, h, w, [0.1, 0.4, 0.7, 0.95][t % 4]!);
      const polys = maskToPolygons(mask, h, w);
      expect(polys).toHaveLength(connectedComponents(mask, h, w, 8).count - 1);
      expect(rasterise(polys, h, w)).toEqual(mask);
      const area = polys.reduce((s, p) => s + polygonArea(p.exterior) + p.holes.reduce((a, q) => a + polygonArea(q), 0), 0);
      expect(area).toBe(mask.reduce((a, b) => a + b, 0));
      for (const p of polys) for (const [x, y] of p.exterior) expect(x >= 0 && x <= w && y >= 0 && y <= h).toBe(true);
    }
  });
  it('polygonsToCoco flattens the exteriors', () => {
    expect(polygonsToCoco(maskToPolygons(Uint8Array.of(1), 1, 1))).toEqual([[0, 0, 1, 0, 1, 1, 0, 1]]);
  });
});
