/**
 * Mask overlap metrics for binary masks (`Uint8Array`-like, any layout as long as both masks share
 * it; nonzero = in mask).
 */

/** Intersection and union pixel counts of two same-length binary masks. */
export function maskIntersectionUnion(a: ArrayLike<number>, b: ArrayLike<number>): { intersection: number; union: number } {
  if (a.length !== b.length) throw new RangeError(`maskIou: masks differ in size (${a.length} vs ${b.length} pixels)`);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ? 1 : 0;
    const y = b[i] ? 1 : 0;
    intersection += x & y;
    union += x | y;
  }
  return { intersection, union };
}

/** Intersection over union of two binary masks; two empty masks have IoU 1. */
export function maskIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { intersection, union } = maskIntersectionUnion(a, b);
  return union === 0 ? 1 : intersection / union;
}
