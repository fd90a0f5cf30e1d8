/** Mask comparison helpers for the end-to-end tests. */
import { rleToMask, type Rle } from '@tsam/core';

/** Intersection over union; throws when both masks are empty (two empty masks never "agree"). */
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
  if (union === 0) throw new Error('both masks are empty: their IoU proves nothing');
  return inter / union;
}

/** Pixels where the masks differ. */
export function diffCount(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!a[i] !== !b[i]) n++;
  return n;
}

export function fromRle(rle: Rle | null | undefined): Uint8Array {
  if (!rle) throw new Error('no mask shown');
  return rleToMask(rle);
}

/** Number of set pixels. */
export function area(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i] ? 1 : 0;
  return n;
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

/**
 * `mask` with its holes filled: background pixels that no 4-connected path of background joins to
 * the border become 1. COCO polygons carry only outer boundaries, so this is what they can hold.
 */
export function fillHoles(mask: Uint8Array, h: number, w: number): Uint8Array {
  const outside = new Uint8Array(mask.length);
  const stack: number[] = [];
  const push = (i: number) => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      stack.push(i);
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < (h - 1) * w) push(i + w);
  }
  return outside.map((o) => 1 - o);
}
