import { describe, expect, it } from 'vitest';
import { applyBoxes, applyCoords, getPreprocessShape, imageBox, imagePoint, modelScale } from '../src/index.js';

describe('getPreprocessShape (ResizeLongestSide)', () => {
  // [h, w] → [newH, newW], values from the reference Python formula.
  const cases: [number, number, number, number][] = [
    [1200, 1800, 683, 1024],
    [800, 480, 1024, 614],
    [61, 97, 644, 1024],
    [1, 1, 1024, 1024],
    [1023, 1, 1024, 1],
    [333, 500, 682, 1024],
    [1500, 2000, 768, 1024],
    [4032, 3024, 1024, 768],
    [7, 1024, 7, 1024],
    [1024, 1024, 1024, 1024],
    [2048, 1366, 1024, 683],
    [1366, 2048, 683, 1024],
  ];
  it.each(cases)('%i×%i → %i×%i', (h, w, nh, nw) => {
    expect(getPreprocessShape(h, w)).toEqual([nh, nw]);
  });
  it('honours a custom long side', () => {
    expect(getPreprocessShape(1200, 1800, 512)).toEqual([341, 512]);
  });
  it('rejects empty images', () => {
    expect(() => getPreprocessShape(0, 10)).toThrow(/positive/);
  });
});

describe('applyCoords / applyBoxes', () => {
  it('scales x by newW/oldW and y by newH/oldH (float64 like the reference)', () => {
    const pts = applyCoords([imagePoint(138.6531180271539, 236.61898774188913), imagePoint(1799, 0), imagePoint(0.5, 1199.5)], 1200, 1800);
    expect(pts.map((p) => [...p])).toEqual([
      [78.87821825544755, 134.67564052309191],
      [1023.4311111111111, 0],
      [0.28444444444444444, 682.7154166666667],
    ]);
    // and after float32 conversion (what reaches the model)
    expect(Array.from(Float32Array.from(pts.flat()))).toEqual([
      // eslint-disable-next-line no-loss-of-precision -- float32 values printed to 17 digits
      78.87821960449219, 134.67564392089844, 1023.4310913085938, 0, 0.2844444513320923, 682.7153930664062,
    ]);
  });

  it('works for an upscaled image', () => {
    const pts = applyCoords([imagePoint(10.3, 20.7), imagePoint(96, 60)], 61, 97);
    expect(pts.map((p) => [...p])).toEqual([
      [108.73402061855671, 218.53770491803277],
      [1013.4432989690722, 633.4426229508197],
    ]);
  });

  it('maps boxes through their corners', () => {
    const [b] = applyBoxes([imageBox(285.74371166914625, 383.26628852277014, 672.1915985847552, 483.9459564562715)], 1200, 1800);
    expect(b && [...b]).toEqual([162.55642263844766, 218.14239588421003, 382.4023316393274, 275.4459068830279]);
  });

  it('modelScale gives the per-axis factors', () => {
    expect(modelScale(1200, 1800)).toEqual([1024 / 1800, 683 / 1200]);
  });
});
