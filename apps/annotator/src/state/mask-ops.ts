/** Pure mask operations on row-major `h × w` 0/1 bytes: brush/eraser strokes, the final mask. */
import type { Current, Doc, Stroke } from './types.js';

/** Sets (brush) or clears (eraser) discs of `stroke.radius` along the stroke, on a copy. */
export function applyStroke(mask: Uint8Array, w: number, h: number, stroke: Stroke): Uint8Array {
  const out = mask.slice();
  const v = stroke.mode === 'brush' ? 1 : 0;
  const r = Math.max(0.5, stroke.radius);
  const disc = (cx: number, cy: number): void => {
    const y0 = Math.max(0, Math.floor(cy - r));
    const y1 = Math.min(h - 1, Math.ceil(cy + r));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      if (dy * dy > r * r) continue;
      const half = Math.sqrt(r * r - dy * dy);
      const x0 = Math.max(0, Math.ceil(cx - half - 0.5));
      const x1 = Math.min(w - 1, Math.floor(cx + half - 0.5));
      if (x1 >= x0) out.fill(v, y * w + x0, y * w + x1 + 1);
    }
  };
  const pts = stroke.points;
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i]!;
    const prev = pts[i - 1];
    if (!prev) {
      disc(x, y);
      continue;
    }
    // Stamp discs at most r/2 apart between the previous point and this one.
    const steps = Math.max(1, Math.ceil(Math.hypot(x - prev[0], y - prev[1]) / (r / 2)));
    for (let s = 1; s <= steps; s++) disc(prev[0] + ((x - prev[0]) * s) / steps, prev[1] + ((y - prev[1]) * s) / steps);
  }
  return out;
}

const finalCache = new WeakMap<Current, Uint8Array>();

/** The mask the user sees: the picked candidate (or nothing) with the strokes applied in order. */
export function finalMask(current: Current, w: number, h: number): Uint8Array {
  const hit = finalCache.get(current);
  if (hit) return hit;
  let m = current.candidates[current.selected]?.mask ?? new Uint8Array(w * h);
  for (const s of current.strokes) m = applyStroke(m, w, h, s);
  finalCache.set(current, m);
  return m;
}

/** Number of set pixels. */
export function maskArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}

/** Index of the highest value (0 for an empty list). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** The document's kept masks by identity: a kept "everything" mask is the same array (undo brings it back). */
export function keptMasks(doc: Pick<Doc, 'masks'>): Set<Uint8Array> {
  return new Set(doc.masks.map((m) => m.mask));
}
