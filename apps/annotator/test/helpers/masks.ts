/** Mask comparison helpers for the end-to-end tests. */
import { rleToMask, type Rle } from '@tsam/core';

export function iou(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ? 1 : 0;
    const y = b[i] ? 1 : 0;
    inter += x & y;
    union += x | y;
  }
  return union === 0 ? 1 : inter / union;
}

/** Pixels where the masks differ. */
export function diffCount(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!a[i] !== !b[i]) n++;
  return n;
}

export function fromRle(rle: Rle | null | undefined): Uint8Array {
  if (!rle) throw new Error('no mask shown');
  return rleToMask(rle);
}

export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
