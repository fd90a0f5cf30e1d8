/**
 * postprocessMasks / MaskUpscaler: torch bilinear (align_corners=False) 256² → 1024² → crop → (h, w).
 * Exactness against the reference's own masks: packages/node/test/upscale-exact.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { getPreprocessShape, MaskUpscaler } from '../src/index.js';
import { lerp32, linearAxis, postprocessMasks } from '../src/masks/postprocess.js';
import { expectSameArray } from './helpers.js';
import { rng } from './masks-helpers.js';

const f = Math.fround;

/** Straightforward full-size reference: whole 1024² intermediate, then crop, then resize. */
function naive(low: Float32Array, h: number, w: number): Float32Array {
  const resize = (src: Float32Array, ih: number, iw: number, oh: number, ow: number): Float32Array => {
    const ay = linearAxis(ih, oh);
    const ax = linearAxis(iw, ow);
    const out = new Float32Array(oh * ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const row = (r: number): number => lerp32(src[r * iw + ax.i0[x]!]!, ax.w0[x]!, src[r * iw + ax.i1[x]!]!, ax.w1[x]!);
        out[y * ow + x] = lerp32(row(ay.i0[y]!), ay.w0[y]!, row(ay.i1[y]!), ay.w1[y]!);
      }
    }
    return out;
  };
  const big = resize(low, 256, 256, 1024, 1024);
  const [nh, nw] = getPreprocessShape(h, w);
  const cropped = new Float32Array(nh * nw);
  for (let y = 0; y < nh; y++) cropped.set(big.subarray(y * 1024, y * 1024 + nw), y * nw);
  return resize(cropped, nh, nw, h, w);
}

function randomLow(seed: number): Float32Array {
  const r = rng(seed);
  const cx = r() * 256;
  const cy = r() * 256;
  return Float32Array.from({ length: 65536 }, (_, i) => 8 - Math.hypot((i % 256) - cx, Math.floor(i / 256) - cy) / 10 + (r() - 0.5));
}

describe('linearAxis (torch area_pixel_compute_source_index)', () => {
  it('256 → 1024: clamps at the start, clamps i1 at the end', () => {
    const a = linearAxis(256, 1024);
    expect([a.i0[0], a.i1[0], a.w0[0], a.w1[0]]).toEqual([0, 1, 1, 0]); // src −0.375 → 0
    expect([a.i0[2], a.i1[2], a.w1[2]]).toEqual([0, 1, 0.125]); // 0.25·2.5 − 0.5
    expect([a.i0[1023], a.i1[1023], a.w1[1023]]).toEqual([255, 255, 0.375]);
  });
  it('float32 scale in/out, exact source index, float32 weights', () => {
    const a = linearAxis(644, 61);
    const scale = f(644 / 61);
    const src = scale * 28.5 - 0.5; // exact in a double: 24-bit scale × 6-bit (o + 0.5)
    expect(a.i0[28]).toBe(300);
    expect(a.w1[28]).toBe(f(src - 300));
    expect(a.w0[28]).toBe(f(1 - a.w1[28]!));
    // Rounding the index to float32 first would give another weight (and flip a fixture pixel).
    expect(a.w1[28]).not.toBe(f(f(f(scale * 28.5) - 0.5) - 300));
  });
  it('equal sizes copy', () => {
    const a = linearAxis(5, 5);
    expect(Array.from(a.i0)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(a.w0)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(a.w1)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('MaskUpscaler / postprocessMasks', () => {
  const sizes: [number, number][] = [
    [61, 97],
    [800, 480],
    [120, 1024],
    [1024, 700],
    [5, 3],
    [333, 1500],
  ];
  for (const [h, w] of sizes) {
    it(`${h}×${w} equals the full-size two-step resize`, () => {
      const low = randomLow(h * 7 + w);
      const up = new MaskUpscaler([h, w]);
      expect(up.inputSize).toEqual(getPreprocessShape(h, w));
      expectSameArray(up.run(low), naive(low, h, w), `${h}×${w}`);
    });
  }
  it('runRows hands out the same rows in order', () => {
    const low = randomLow(1);
    const up = new MaskUpscaler([40, 70]);
    const full = up.run(low);
    const ys: number[] = [];
    up.runRows(low, (y, row) => {
      ys.push(y);
      expectSameArray(row, full.subarray(y * 70, (y + 1) * 70), `row ${y}`);
    });
    expect(ys).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
  it('postprocessMasks does n planes; reusing an upscaler gives the same result', () => {
    const a = randomLow(2);
    const b = randomLow(3);
    const both = new Float32Array(2 * 65536);
    both.set(a);
    both.set(b, 65536);
    const out = postprocessMasks(both, 2, [30, 50]);
    expect(out.length).toBe(2 * 30 * 50);
    const up = new MaskUpscaler([30, 50]);
    expectSameArray(out.subarray(0, 1500), up.run(a), 'plane 0');
    expectSameArray(out.subarray(1500), up.run(b), 'plane 1');
    expect(() => postprocessMasks(a, 2, [30, 50])).toThrow(/expected 2×256×256/);
  });
});
