/**
 * Polygon → mask rasterisation with pycocotools' semantics (`maskApi.c` `rleFrPoly`, `rleFrBbox`,
 * `rleMerge` and `mask.frPyObjects`), so COCO polygon annotations decode to exactly the masks
 * pycocotools gives.
 *
 * A polygon is a flat list `[x0, y0, x1, y1, …]` in pixel coordinates where pixel `(x, y)` covers
 * `[x, x+1) × [y, y+1)`… almost: pycocotools upsamples the boundary ×5, walks it with a DDA, and
 * keeps the pixel whose *centre* lies inside. The integer truncations below mirror the C casts
 * (`(int)v` truncates toward zero), because rounding differently moves boundary pixels.
 *
 * Results are uncompressed COCO RLE (column-major, first run is 0s), see `rle.ts`.
 */
import type { CompressedRle, Rle } from './rle.js';
import { rleFromString } from './rle.js';

/** A COCO `segmentation`: polygons (`[[x,y,…], …]`), uncompressed RLE, or compressed RLE. */
export type CocoSegmentation = number[][] | Rle | CompressedRle;

/** pycocotools `rleFrPoly`: one polygon (flat `[x0,y0,x1,y1,…]`) → RLE of an `h × w` mask. */
export function rleFromPolygon(xy: ArrayLike<number>, h: number, w: number): Rle {
  const k = Math.floor(xy.length / 2);
  const scale = 5;
  // Upsample the vertices ×5 and walk every edge densely (DDA along the major axis).
  const x = new Array<number>(k + 1);
  const y = new Array<number>(k + 1);
  for (let j = 0; j < k; j++) x[j] = Math.trunc(scale * (xy[2 * j] ?? 0) + 0.5);
  for (let j = 0; j < k; j++) y[j] = Math.trunc(scale * (xy[2 * j + 1] ?? 0) + 0.5);
  x[k] = x[0]!;
  y[k] = y[0]!;
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j]!;
    let xe = x[j + 1]!;
    let ys = y[j]!;
    let ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) [xs, xe, ys, ye] = [xe, xs, ye, ys];
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // Keep the boundary points where the walk crosses a pixel-centre column; downsample to pixels.
  const starts: number[] = [];
  for (let j = 1; j < u.length; j++) {
    const uj = u[j]!;
    const up = u[j - 1]!;
    if (uj === up) continue;
    const xd = ((uj < up ? uj : uj - 1) + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = ((v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!) + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    starts.push(xd * h + yd);
  }
  // Each crossing toggles in/out along the column-major scan: sorted positions → run lengths.
  starts.push(h * w);
  starts.sort((p, q) => p - q);
  const a: number[] = [];
  let prev = 0;
  for (const t of starts) {
    a.push(t - prev);
    prev = t;
  }
  // Zero-length runs cancel: merge the run after a 0 into the one before it (as the C code does).
  const counts: number[] = [a[0]!];
  for (let j = 1; j < a.length;) {
    if (a[j]! > 0) counts.push(a[j++]!);
    else {
      j++;
      if (j < a.length) counts[counts.length - 1]! += a[j++]!;
    }
  }
  return { size: [h, w], counts };
}

/** pycocotools `rleFrBbox`: box `[x, y, w, h]` → RLE, rasterised as the polygon of its corners. */
export function rleFromBbox(box: readonly number[], h: number, w: number): Rle {
  const [xs = 0, ys = 0, bw = 0, bh = 0] = box;
  const xe = xs + bw;
  const ye = ys + bh;
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

/** Union of same-size RLEs (pycocotools `rleMerge(…, intersect=0)`), via merged set intervals. */
export function rleUnionOf(rles: readonly Rle[], h: number, w: number): Rle {
  const spans: [number, number][] = [];
  for (const r of rles) {
    if (r.size[0] !== h || r.size[1] !== w) throw new RangeError(`rleUnionOf: size ${r.size.join('×')} ≠ ${h}×${w}`);
    let pos = 0;
    r.counts.forEach((c, i) => {
      if (i % 2 === 1 && c > 0) spans.push([pos, pos + c]);
      pos += c;
    });
  }
  spans.sort((p, q) => p[0] - q[0]);
  const counts: number[] = [];
  let pos = 0; // end of the last emitted run
  let cur: [number, number] | undefined;
  const flush = (s: [number, number]) => {
    counts.push(s[0] - pos, s[1] - s[0]);
    pos = s[1];
  };
  for (const s of spans) {
    if (cur && s[0] <= cur[1]) cur[1] = Math.max(cur[1], s[1]);
    else {
      if (cur) flush(cur);
      cur = [s[0], s[1]];
    }
  }
  if (cur) flush(cur);
  if (pos < h * w) counts.push(h * w - pos);
  if (counts.length === 0) counts.push(0);
  return { size: [h, w], counts };
}

/**
 * Any COCO `segmentation` → uncompressed RLE of an `h × w` mask, like pycocotools `annToRLE`:
 * polygons go through `frPyObjects` then `merge` (union). pycocotools' quirk is kept: when the
 * first polygon has exactly 4 numbers, the whole list is read as `[x, y, w, h]` boxes.
 */
export function rleFromSegmentation(segm: CocoSegmentation, h: number, w: number): Rle {
  if (Array.isArray(segm)) {
    if (segm.length === 0) return { size: [h, w], counts: [h * w] };
    const asBoxes = segm[0]!.length === 4;
    const rles = segm.map((p) => {
      if (asBoxes && p.length !== 4) throw new RangeError('rleFromSegmentation: mixed boxes and polygons (first polygon has 4 numbers)');
      return asBoxes ? rleFromBbox(p, h, w) : rleFromPolygon(p, h, w);
    });
    return rles.length === 1 ? rles[0]! : rleUnionOf(rles, h, w);
  }
  const size: [number, number] = [segm.size[0], segm.size[1]];
  return typeof segm.counts === 'string' ? { size, counts: rleFromString(segm.counts) } : { size, counts: [...segm.counts] };
}
