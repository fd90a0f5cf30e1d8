import { describe, expect, it } from 'vitest';
import { maskIntersectionUnion, maskIou } from '../src/index.js';

describe('maskIou', () => {
  it('computes intersection over union', () => {
    const a = Uint8Array.of(1, 1, 0, 0, 1);
    const b = Uint8Array.of(0, 1, 1, 0, 1);
    expect(maskIntersectionUnion(a, b)).toEqual({ intersection: 2, union: 4 });
    expect(maskIou(a, b)).toBe(0.5);
  });
  it('is 1 for identical and for two empty masks, 0 for disjoint', () => {
    expect(maskIou(Uint8Array.of(1, 0, 1), Uint8Array.of(1, 0, 1))).toBe(1);
    expect(maskIou(new Uint8Array(10), new Uint8Array(10))).toBe(1);
    expect(maskIou(Uint8Array.of(1, 0), Uint8Array.of(0, 1))).toBe(0);
  });
  it('treats any nonzero as set', () => {
    expect(maskIou(Uint8Array.of(255, 0), Uint8Array.of(1, 0))).toBe(1);
  });
  it('rejects masks of different sizes', () => {
    expect(() => maskIou(new Uint8Array(3), new Uint8Array(4))).toThrow(/differ in size/);
  });
});
