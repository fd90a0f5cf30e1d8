import { describe, expect, it } from 'vitest';
import { expectSameArray } from './helpers.js';
import type { Rle } from '../src/index.js';
import {
  compressRle,
  decompressRle,
  logitsToMask,
  logitsToRle,
  maskToRle,
  rleArea,
  rleFromString,
  rleToMask,
  rleToString,
} from '../src/index.js';
import { describeFixtures, manifest, readFixtureJson } from '../../../testing/fixtures.js';
import { rng } from '../../../testing/rng.js';

/** Independent reference: transpose to column-major, then split into runs starting with 0s. */
function naiveRle(mask: Uint8Array, h: number, w: number): number[] {
  const flat: number[] = [];
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) flat.push(mask[y * w + x] ? 1 : 0);
  const counts: number[] = [];
  let value = 0;
  let i = 0;
  while (i < flat.length || counts.length === 0) {
    let n = 0;
    while (i < flat.length && flat[i] === value) {
      n++;
      i++;
    }
    counts.push(n);
    value ^= 1;
  }
  return counts;
}

function randomMask(r: () => number, h: number, w: number, density: number, blobby: boolean): Uint8Array {
  const m = new Uint8Array(h * w);
  let prev = 0;
  for (let i = 0; i < m.length; i++) {
    prev = blobby ? (r() < 0.1 ? (r() < density ? 1 : 0) : prev) : r() < density ? 1 : 0;
    m[i] = prev;
  }
  return m;
}

describe('COCO RLE on random masks', () => {
  const r = rng(1234);
  for (let t = 0; t < 60; t++) {
    const h = 1 + Math.floor(r() * 40);
    const w = 1 + Math.floor(r() * 40);
    const density = [0, 1, 0.5, 0.05, 0.95][t % 5] ?? 0.5;
    const blobby = t % 2 === 0;
    it(`round trip #${t} (${h}×${w}, density ${density}${blobby ? ', blobby' : ''})`, () => {
      const mask = randomMask(r, h, w, density, blobby);
      const rle = maskToRle(mask, h, w);
      expect(rle.size).toEqual([h, w]);
      expect(rle.counts).toEqual(naiveRle(mask, h, w));
      expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(h * w);
      expect(rleToMask(rle)).toEqual(mask);
      expect(rleArea(rle)).toBe(mask.reduce((a, b) => a + b, 0));
      const s = rleToString(rle.counts);
      expect(rleFromString(s)).toEqual(rle.counts);
      expect(decompressRle(compressRle(rle))).toEqual(rle);
    });
  }
});

describe('COCO RLE edge cases', () => {
  it('starts with a zero-length run when the first pixel is set', () => {
    const mask = Uint8Array.of(1, 0, 0, 0); // 2×2, (0,0) set
    expect(maskToRle(mask, 2, 2).counts).toEqual([0, 1, 3]);
  });
  it('walks columns first (Fortran order)', () => {
    // 2×3 row-major with the whole first row set → column-major 1,0,1,0,1,0
    const mask = Uint8Array.of(1, 1, 1, 0, 0, 0);
    expect(maskToRle(mask, 2, 3).counts).toEqual([0, 1, 1, 1, 1, 1, 1]);
    expect(rleToMask({ size: [2, 3], counts: [0, 1, 1, 1, 1, 1, 1] })).toEqual(mask);
  });
  it('handles empty and full masks', () => {
    expect(maskToRle(new Uint8Array(12), 3, 4).counts).toEqual([12]);
    expect(maskToRle(new Uint8Array(12).fill(1), 3, 4).counts).toEqual([0, 12]);
  });
  it('round-trips large and negative deltas in the string form', () => {
    const counts = [5, 2 ** 31 + 7, 3, 1, 2 ** 33, 0, 17, 2 ** 20, 1];
    expect(rleFromString(rleToString(counts))).toEqual(counts);
  });
  it('rejects bad input', () => {
    expect(() => maskToRle(new Uint8Array(5), 2, 3)).toThrow(/expected 2×3 = 6/);
    expect(() => rleToMask({ size: [2, 2], counts: [1, 2] })).toThrow(/sum to 3/);
    expect(() => rleToMask({ size: [2, 2], counts: [3, 2] })).toThrow(/past/);
    expect(() => rleFromString('0\u007f')).toThrow(/invalid character/);
    expect(() => rleFromString('o')).toThrow(/ends inside/);
  });
});

describe('logits → mask / RLE', () => {
  it('thresholds strictly above the threshold', () => {
    const logits = Float32Array.of(-1, 0, 0.5, 2, -0.0, 1e-7);
    expect(logitsToMask(logits)).toEqual(Uint8Array.of(0, 0, 1, 1, 0, 1));
    expect(logitsToMask(logits, 1)).toEqual(Uint8Array.of(0, 0, 0, 1, 0, 0));
  });
  it('logitsToRle equals maskToRle(logitsToMask)', () => {
    const r = rng(7);
    for (let t = 0; t < 20; t++) {
      const h = 1 + Math.floor(r() * 30);
      const w = 1 + Math.floor(r() * 30);
      const logits = Float32Array.from({ length: h * w }, () => r() * 4 - 2);
      const thr = t % 3 === 0 ? 0 : r() - 0.5;
      expect(logitsToRle(logits, h, w, thr)).toEqual(maskToRle(logitsToMask(logits, thr), h, w));
    }
  });
});

interface RleVector {
  name: string;
  size: [number, number];
  counts: number[];
  string: string;
  area: number;
}

describeFixtures('COCO RLE vectors (pycocotools)', () => {
  const { vectors } = readFixtureJson<{ vectors: RleVector[] }>('rle_vectors.json');
  for (const v of vectors) {
    it(v.name, () => {
      expect(rleToString(v.counts)).toBe(v.string);
      expect(rleFromString(v.string)).toEqual(v.counts);
      expect(rleArea(v)).toBe(v.area);
      const mask = rleToMask({ size: v.size, counts: v.counts });
      expect(mask.length).toBe(v.size[0] * v.size[1]);
      expect(mask.reduce((a, b) => a + b, 0)).toBe(v.area);
      expect(maskToRle(mask, v.size[0], v.size[1]).counts).toEqual(v.counts);
      expect(decompressRle({ size: v.size, counts: v.string })).toEqual({ size: v.size, counts: v.counts });
    });
  }
});

describeFixtures('COCO RLE of the reference masks', () => {
  const files = [...new Set(manifest().cases.map((c) => c.expected.masks))];
  it.each(files)('%s decodes and re-encodes identically', (file) => {
    const rles = readFixtureJson<Rle[]>(file);
    expect(rles.length).toBeGreaterThan(0);
    for (const rle of rles) {
      const [h, w] = rle.size;
      const mask = rleToMask(rle);
      const again = maskToRle(mask, h, w);
      expect(again.size).toEqual(rle.size);
      expectSameArray(again.counts, rle.counts, 'counts');
      expectSameArray(rleFromString(rleToString(rle.counts)), rle.counts, 'string round trip');
    }
  });
});
