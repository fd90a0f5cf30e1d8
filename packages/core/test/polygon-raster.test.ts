/**
 * Polygon rasterisation against pycocotools 2.0.11 (`mask.frPyObjects` + `mask.merge`); the
 * expected compressed counts were produced once with pycocotools and pasted here.
 */
import { describe, expect, it } from 'vitest';
import { maskToRle, rleArea, rleFromString, rleToMask } from '../src/index.js';
import { rleFromBbox, rleFromPolygon, rleFromSegmentation, rleUnionOf, rleToString } from '../src/index.js';

const PYCOCOTOOLS: Record<string, { polys: number[][]; h: number; w: number; counts: string; area: number }> = {
  triangle: { polys: [[1.3, 2.2, 7.9, 3.1, 5.5, 8.8]], h: 10, w: 12, counts: 'f0290O2N2NN2MX1', area: 19 },
  square_int: { polys: [[2, 2, 6, 2, 6, 6, 2, 6]], h: 8, w: 9, counts: 'b04400000f0', area: 16 },
  concave_L: { polys: [[0.5, 0.5, 6.5, 0.5, 6.5, 3.5, 3.5, 3.5, 3.5, 6.5, 0.5, 6.5]], h: 8, w: 8, counts: '9620000M30007', area: 27 },
  outside: { polys: [[-3.2, -1.0, 5.7, -2.0, 12.4, 6.6, 2.0, 11.0]], h: 9, w: 10, counts: '072h10WN2OM', area: 81 },
  two_parts: {
    polys: [
      [0, 0, 3, 0, 3, 3, 0, 3],
      [2, 2, 6.6, 2.1, 6.2, 5.9, 2.5, 6.3],
    ],
    h: 7,
    w: 8,
    counts: '034003ON00000M8',
    area: 25,
  },
  hexagon: {
    polys: [[10.2, 3.7, 15.9, 6.1, 16.3, 12.8, 10.1, 15.2, 4.6, 12.4, 4.9, 6.3]],
    h: 18,
    w: 20,
    counts: 'P37;0O2O0O2O0001N101N10R2',
    area: 97,
  },
};

describe('rleFromSegmentation (polygons) matches pycocotools', () => {
  for (const [name, c] of Object.entries(PYCOCOTOOLS)) {
    it(name, () => {
      const rle = rleFromSegmentation(c.polys, c.h, c.w);
      expect(rle.size).toEqual([c.h, c.w]);
      expect(rleToString(rle.counts)).toBe(c.counts);
      expect(rleArea(rle)).toBe(c.area);
    });
  }

  it('an integer square covers exactly its pixels [2,6)×[2,6)', () => {
    const mask = rleToMask(rleFromPolygon([2, 2, 6, 2, 6, 6, 2, 6], 8, 9));
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 9; x++) expect(mask[y * 9 + x], `(${x},${y})`).toBe(x >= 2 && x < 6 && y >= 2 && y < 6 ? 1 : 0);
  });

  it('passes RLE segmentations through (compressed and uncompressed)', () => {
    const counts = rleFromString('b04400000f0');
    expect(rleFromSegmentation({ size: [8, 9], counts: 'b04400000f0' }, 8, 9).counts).toEqual(counts);
    expect(rleFromSegmentation({ size: [8, 9], counts }, 8, 9).counts).toEqual(counts);
  });

  it('an empty polygon list is an empty mask', () => {
    expect(rleFromSegmentation([], 3, 4)).toEqual({ size: [3, 4], counts: [12] });
  });
});

describe('rleFromBbox matches pycocotools frBbox', () => {
  it('integer and fractional boxes', () => {
    expect(rleToString(rleFromBbox([1, 2, 3, 4], 6, 7).counts)).toBe('842000`0');
    expect(rleToString(rleFromBbox([2.5, 0.5, 2.2, 1.7], 6, 7).counts)).toBe('c0150;');
  });

  it('reads a list whose first polygon has 4 numbers as boxes (pycocotools quirk)', () => {
    expect(rleFromSegmentation([[1, 2, 3, 4]], 6, 7)).toEqual(rleFromBbox([1, 2, 3, 4], 6, 7));
    expect(() =>
      rleFromSegmentation(
        [
          [1, 2, 3, 4],
          [0, 0, 1, 0, 1, 1],
        ],
        6,
        7,
      ),
    ).toThrow(/mixed/);
  });
});

describe('rleUnionOf', () => {
  it('equals the pixelwise OR', () => {
    const h = 5;
    const w = 6;
    const a = new Uint8Array(h * w).map((_, i) => (i % 7 < 3 ? 1 : 0));
    const b = new Uint8Array(h * w).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const or = a.map((v, i) => v | b[i]!);
    expect(rleUnionOf([maskToRle(a, h, w), maskToRle(b, h, w)], h, w)).toEqual(maskToRle(or, h, w));
    expect(rleUnionOf([], h, w)).toEqual({ size: [h, w], counts: [h * w] });
    expect(() => rleUnionOf([maskToRle(a, h, w)], w, h)).toThrow(/size/);
  });
});
