import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyImage, getPreprocessShape, resizeRgb, resizeU8 } from '../src/index.js';
import { describeFixtures, fixturePath, manifest } from '../../../testing/fixtures.js';

async function decodeRgb(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

describe('resizeRgb (synthetic)', () => {
  it('returns a copy when the size does not change', () => {
    const src = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const out = resizeRgb(src, 4, 3, 4, 3);
    expect(out).toEqual(src);
    expect(out === src).toBe(false);
  });

  it('keeps a constant image constant (down and up)', () => {
    const src = new Uint8Array(17 * 11 * 3).fill(200);
    for (const [ow, oh] of [
      [5, 3],
      [40, 29],
      [17, 30],
      [8, 11],
    ] as const) {
      const out = resizeRgb(src, 17, 11, ow, oh);
      expect(out.length).toBe(ow * oh * 3);
      expect(out.every((v) => v === 200)).toBe(true);
    }
  });

  it('averages pairs when halving (box-like triangle with support 2)', () => {
    // 1-row gray image 4 → 2: centers 1 and 3, taps [0,3) and [0,4) weights of the stretched triangle.
    const out = resizeU8(Uint8Array.of(0, 100, 200, 250), 4, 1, 1, 2, 1);
    // weights for out[0]: x=0..2 → tri((x+0.5-1)/2) = .75,.75,.25 → /1.75
    expect(out[0]).toBe(Math.floor((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75 + 0.5));
    expect(out.length).toBe(2);
  });

  it('rejects mismatched buffers', () => {
    expect(() => resizeRgb(new Uint8Array(10), 2, 2, 4, 4)).toThrow(/expected 2×2×3/);
    expect(() => resizeRgb(new Uint8Array(12), 2, 2, 0, 4)).toThrow(/outW/);
  });
});

describeFixtures('resizeRgb matches the reference (Pillow bilinear) resized.png', () => {
  const m = manifest();
  const pairs: [string, string][] = [];
  for (const c of m.cases) {
    if (!pairs.some(([mm, ii]) => mm === c.model && ii === c.image)) pairs.push([c.model, c.image]);
  }
  for (const [model, image] of pairs) {
    it(`${model}/${image}`, async () => {
      const entry = m.images[image];
      if (!entry) throw new Error(`no image ${image}`);
      const src = await decodeRgb(fixturePath(entry.file));
      const ref = await decodeRgb(fixturePath(`${model}/${image}/resized.png`));
      const [nh, nw] = getPreprocessShape(src.height, src.width);
      expect([ref.height, ref.width]).toEqual([nh, nw]);
      const out = applyImage(src.data, src.width, src.height);
      expect([out.height, out.width]).toEqual([nh, nw]);
      let maxDiff = 0;
      let differing = 0;
      for (let i = 0; i < out.data.length; i++) {
        const d = Math.abs((out.data[i] ?? 0) - (ref.data[i] ?? 0));
        if (d > 0) {
          differing++;
          if (d > maxDiff) maxDiff = d;
        }
      }
      console.log(
        `resize parity ${model}/${image} ${src.width}×${src.height} → ${nw}×${nh}: max abs diff ${maxDiff}, differing values ${differing}/${out.data.length}`,
      );
      expect(maxDiff).toBe(0);
    });
  }
});
