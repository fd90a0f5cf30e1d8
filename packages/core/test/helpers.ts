import { expect } from 'vitest';

/**
 * Fast element-wise equality for large arrays (vitest's deep equality is slow on millions of
 * elements). Reports the first differing index. Uses Object.is, so -0 ≠ 0 and NaN = NaN.
 */
export function expectSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'array'): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
