import { describe, expect, it } from 'vitest';
import { PIXEL_MEAN, PIXEL_STD, applyImage, preprocessImage } from '../src/index.js';

describe('preprocessImage', () => {
  it('normalises in float32 exactly like torch ((x - mean) / std), CHW', () => {
    // Values computed with numpy float32: (np.float32(v) - mean32) / std32.
    const expected: [number, number, number][] = [
      [0, 0, -2.1179039478302],
      [0, 255, 2.248908281326294],
      [1, 116, -0.004901939537376165],
      [2, 104, 0.00819174200296402],
      [0, 124, 0.005565492901951075],
      [1, 200, 1.465686321258545],
      [2, 31, -1.2641394138336182],
    ];
    // A 256×1 image whose pixel x has value x in every channel.
    const rgb = new Uint8Array(256 * 3);
    for (let x = 0; x < 256; x++) rgb.fill(x, x * 3, x * 3 + 3);
    const out = preprocessImage(rgb, 256, 1);
    expect(out.length).toBe(3 * 1024 * 1024);
    for (const [c, v, want] of expected) expect(out[c * 1024 * 1024 + v]).toBe(want);
    let sum = 0;
    for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) sum += out[c * 1024 * 1024 + v] ?? NaN;
    expect(sum).toBeCloseTo(174.0053834533319, 9);
  });

  it('reads HWC input and zero-pads bottom/right', () => {
    const w = 5;
    const h = 3;
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 53) % 256;
    const out = preprocessImage(rgb, w, h);
    const plane = 1024 * 1024;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          const v = rgb[(y * w + x) * 3 + c] ?? 0;
          const want = Math.fround(Math.fround(v - Math.fround(PIXEL_MEAN[c] ?? 0)) / Math.fround(PIXEL_STD[c] ?? 1));
          expect(out[c * plane + y * 1024 + x]).toBe(want);
        }
      }
    }
    let nonZeroPad = 0;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 1024; y++) {
        for (let x = 0; x < 1024; x++) {
          if ((y >= h || x >= w) && out[c * plane + y * 1024 + x] !== 0) nonZeroPad++;
        }
      }
    }
    expect(nonZeroPad).toBe(0);
  });

  it('rejects images larger than the model input or mismatched buffers', () => {
    expect(() => preprocessImage(new Uint8Array(1025 * 3), 1025, 1)).toThrow(/at most 1024×1024/);
    expect(() => preprocessImage(new Uint8Array(5), 2, 1)).toThrow(/expected 2×1×3/);
  });

  it('applyImage resizes to the longest-side shape', () => {
    const img = applyImage(new Uint8Array(97 * 61 * 3).fill(9), 97, 61);
    expect([img.width, img.height]).toEqual([1024, 644]);
    expect(img.data.length).toBe(1024 * 644 * 3);
    expect(img.data.every((v) => v === 9)).toBe(true);
  });
});
