/** MaskThresholder (fused upscale → stability counts, box, RLE) equals the step-by-step pipeline. */
import { describe, expect, it } from 'vitest';
import {
  calculateStabilityScore,
  logitsToMask,
  MaskThresholder,
  MaskUpscaler,
  maskToBox,
  maskToRle,
  stabilityCounts,
  uncropMask,
} from '../src/index.js';
import { rng } from './masks-helpers.js';

describe('MaskThresholder', () => {
  const r = rng(17);
  const cases: [number, number, number, number, number, number][] = [
    // h, w, x0, y0, origH, origW
    [61, 97, 0, 0, 61, 97],
    [40, 58, 39, 21, 61, 97],
    [300, 200, 17, 90, 512, 400],
    [1, 1, 0, 0, 1, 1],
  ];
  for (const [h, w, x0, y0, origH, origW] of cases) {
    it(`${w}×${h} crop at (${x0}, ${y0}) of ${origW}×${origH}`, () => {
      const up = new MaskUpscaler([h, w]);
      const th = new MaskThresholder(up);
      for (let t = 0; t < 6; t++) {
        const cx = r() * 256;
        const cy = r() * 256;
        const bias = [-30, 0, 3, 8, 40, 2][t]!;
        const low = Float32Array.from(
          { length: 65536 },
          (_, i) => bias - Math.hypot((i % 256) - cx, Math.floor(i / 256) - cy) / 12 + 3 * Math.sin(i / 7),
        );
        const offset = [1, 0.5, 2][t % 3]!;
        const got = th.run(low, 0, offset);
        const logits = up.run(low);
        const mask = logitsToMask(logits);
        expect({ intersections: got.intersections, unions: got.unions }).toEqual(stabilityCounts(logits, 0, offset));
        expect(Math.fround(got.intersections / got.unions)).toBeOneOf([calculateStabilityScore(logits, 0, offset), NaN]);
        expect(got.box).toEqual(maskToBox(mask, h, w));
        expect(th.rle(x0, y0, origH, origW)).toEqual(maskToRle(uncropMask(mask, h, w, x0, y0, origH, origW), origH, origW));
      }
    });
  }
  it('rejects a placement outside the image', () => {
    const th = new MaskThresholder(new MaskUpscaler([10, 10]));
    th.run(new Float32Array(65536), 0, 1);
    expect(() => th.rle(5, 0, 10, 12)).toThrow(/outside/);
  });
});
