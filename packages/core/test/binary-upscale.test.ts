import { describe, expect, it } from 'vitest';
import { BinaryMaskUpscaler, MaskUpscaler, logitsToMask } from '../src/index.js';

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

/** Low-res logits of several kinds: smooth blobs, ripples, noise, exact zeros, tiny values. */
function field(kind: string): Float32Array {
  const low = new Float32Array(256 * 256);
  const cx = rnd() * 256;
  const cy = rnd() * 256;
  const r = 10 + rnd() * 90;
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      let v = r - Math.hypot(x - cx, y - cy);
      if (kind === 'ripple') v += Math.sin(x / 3) * 6 + Math.cos(y / 4) * 6;
      if (kind === 'noise') v = rnd() - 0.5;
      if (kind === 'zeros') v = (x * 3 + y) % 5 === 0 ? 0 : v > 0 ? 0 : -1;
      if (kind === 'tiny') v = (rnd() - 0.5) * 1e-38;
      if (kind === 'stripes') v = Math.floor(y / 3) % 2 === 0 ? 1 : -1;
      if (kind === 'constant') v = -2;
      low[y * 256 + x] = v;
    }
  }
  return low;
}

function differing(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('BinaryMaskUpscaler', () => {
  const sizes: [number, number][] = [
    [1200, 1800],
    [1800, 1200],
    [683, 1024],
    [1024, 1024],
    [61, 97],
    [333, 517],
    [7, 5],
    [3000, 2000],
  ];
  for (const [h, w] of sizes) {
    it(`equals thresholding MaskUpscaler's logits at ${h}×${w}`, () => {
      const ref = new MaskUpscaler([h, w]);
      const fast = new BinaryMaskUpscaler([h, w]);
      for (const kind of ['smooth', 'ripple', 'noise', 'zeros', 'tiny', 'stripes', 'constant']) {
        const low = field(kind);
        const expected = logitsToMask(ref.run(low));
        const got = fast.run(low);
        expect(got.length).toBe(h * w);
        expect(differing(got, expected), kind).toBe(0);
      }
    });
  }

  it('rejects wrong sizes', () => {
    const up = new BinaryMaskUpscaler([10, 20]);
    expect(() => up.run(new Float32Array(10))).toThrow(/256×256/);
    expect(() => up.run(new Float32Array(65536), new Uint8Array(5))).toThrow(/10×20/);
  });
});
