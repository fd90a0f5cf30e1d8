/** COCO RLE properties, pycocotools `toBbox`, and uncropping straight to RLE. */
import { describe, expect, it } from 'vitest';
import {
  compressRle,
  decompressRle,
  maskToBox,
  maskToRle,
  rleArea,
  rleFromString,
  rleToBbox,
  rleToMask,
  rleToString,
  uncropMask,
  uncropMaskToRle,
} from '../src/index.js';
import { describeFixtures, readFixtureJson } from '../../../testing/fixtures.js';
import { blobMask, rng } from './masks-helpers.js';

describe('RLE properties on random masks', () => {
  const r = rng(99);
  for (let t = 0; t < 80; t++) {
    const h = 1 + Math.floor(r() * 50);
    const w = 1 + Math.floor(r() * 50);
    const mask = blobMask(r, h, w, [0, 0.02, 0.3, 0.7, 1][t % 5]!);
    it(`#${t} ${h}×${w}`, () => {
      const rle = maskToRle(mask, h, w);
      expect(rleToMask(rle)).toEqual(mask); // encode → decode identity
      expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(h * w);
      expect(rle.counts.slice(1).every((c) => c > 0)).toBe(true); // only the first run may be empty
      expect(rleArea(rle)).toBe(mask.reduce((a, b) => a + b, 0)); // area = sum
      expect(rleFromString(rleToString(rle.counts))).toEqual(rle.counts); // string round trip
      expect(decompressRle(compressRle(rle))).toEqual(rle);
      // toBbox: the tight box with pixel-count width/height.
      const [x0, y0, x1, y1] = maskToBox(mask, h, w);
      const empty = rleArea(rle) === 0;
      expect(rleToBbox(rle)).toEqual(empty ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    });
  }
});

describe('rleToBbox (pycocotools toBbox)', () => {
  it('one pixel is 1×1; full and empty masks', () => {
    expect(rleToBbox(maskToRle(Uint8Array.of(0, 0, 0, 1), 2, 2))).toEqual([1, 1, 1, 1]);
    expect(rleToBbox({ size: [3, 4], counts: [0, 12] })).toEqual([0, 0, 4, 3]);
    expect(rleToBbox({ size: [3, 4], counts: [12] })).toEqual([0, 0, 0, 0]);
  });
  it('a run wrapping into the next column spans the full height', () => {
    // 4×3: pixels (x=0, y=3) and (x=1, y=0) form one run in column-major order.
    expect(rleToBbox({ size: [4, 3], counts: [3, 2, 7] })).toEqual([0, 0, 2, 4]);
  });
  it('ignores a trailing unpaired count', () => {
    expect(rleToBbox({ size: [2, 2], counts: [1, 1, 2] })).toEqual(rleToBbox({ size: [2, 2], counts: [1, 1] }));
  });
});

describe('uncropMask / uncropMaskToRle', () => {
  const r = rng(5);
  for (let t = 0; t < 40; t++) {
    const origH = 1 + Math.floor(r() * 30);
    const origW = 1 + Math.floor(r() * 30);
    const h = 1 + Math.floor(r() * origH);
    const w = 1 + Math.floor(r() * origW);
    const x0 = Math.floor(r() * (origW - w + 1));
    const y0 = Math.floor(r() * (origH - h + 1));
    it(`#${t} ${w}×${h} at (${x0}, ${y0}) in ${origW}×${origH}`, () => {
      const mask = blobMask(r, h, w, [0, 0.5, 1, 0.1][t % 4]!);
      const full = uncropMask(mask, h, w, x0, y0, origH, origW);
      expect(full.reduce((a, b) => a + b, 0)).toBe(mask.reduce((a, b) => a + b, 0));
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(full[(y + y0) * origW + x + x0]).toBe(mask[y * w + x]);
      expect(uncropMaskToRle(mask, h, w, x0, y0, origH, origW)).toEqual(maskToRle(full, origH, origW));
    });
  }
  it('rejects crops outside the image', () => {
    expect(() => uncropMask(new Uint8Array(4), 2, 2, 3, 0, 4, 4)).toThrow(/does not fit/);
  });
});

interface RleVector {
  name: string;
  size: [number, number];
  counts: number[];
  string: string;
}

describeFixtures('rleToBbox on the pycocotools vectors', () => {
  const { vectors } = readFixtureJson<{ vectors: RleVector[] }>('rle_vectors.json');
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const mask = rleToMask(v);
    const [x0, y0, x1, y1] = maskToBox(mask, v.size[0], v.size[1]);
    const empty = !mask.some((b) => b);
    expect(rleToBbox(v)).toEqual(empty ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    expect(compressRle({ size: v.size, counts: v.counts }).counts).toBe(v.string);
  });
});
