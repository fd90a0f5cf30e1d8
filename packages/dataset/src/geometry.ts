/**
 * Per-mask geometry straight from COCO RLE counts (column-major runs, first run = 0s), without
 * decoding the mask: pixel area, tight box, centroid, and the convex hull of the mask's pixels.
 *
 * Convex hull convention: the hull is taken over pixel CORNERS, i.e. pixel `(x, y)` is the closed
 * unit square `[x, x+1] × [y, y+1]`, and the hull is that of the union of these squares. With this
 * choice a full `s × s` square has hull area `s²` = its pixel area, so its concavity is exactly 0
 * (over pixel centres the hull of a square would be `(s−1)²`, smaller than the mask). Corner
 * coordinates are integers, so twice the hull area (shoelace) is an exact integer.
 */

/** Geometry of one mask (all in pixels of the mask's `h × w` grid). */
export interface MaskGeometry {
  /** Set pixels. */
  area: number;
  /** Tight box `[x0, y0, x1, y1]`, inclusive pixel indices; `[0, 0, 0, 0]` when empty. */
  box: [number, number, number, number];
  /** Centre of mass of the pixel centres (`x + 0.5`, `y + 0.5`); `[NaN, NaN]` when empty. */
  centroid: [number, number];
  /** Area of the convex hull over pixel corners (0 when empty). */
  hullArea: number;
  /** `1 − area / hullArea`, in `[0, 1)`; `NaN` when empty. */
  concavity: number;
}

/** Reusable per-column scratch (top and bottom+1 of the set pixels), grown as needed. */
let topBuf = new Int32Array(0);
let botBuf = new Int32Array(0);

/** Geometry of a mask given as RLE counts over an `h × w` grid. Throws if the counts overrun it. */
export function rleGeometry(counts: ArrayLike<number>, h: number, w: number): MaskGeometry {
  if (topBuf.length < w) {
    topBuf = new Int32Array(w);
    botBuf = new Int32Array(w);
  }
  const top = topBuf;
  const bot = botBuf;
  let area = 0;
  let sx = 0; // Σ x over set pixels
  let sy = 0; // Σ y over set pixels
  let x0 = w;
  let x1 = -1;
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (i % 2 === 1 && c > 0) {
      if (pos + c > h * w) throw new RangeError(`rleGeometry: counts run past ${h}×${w}`);
      area += c;
      // A run of ones may span several columns: split it at column boundaries.
      let p = pos;
      let left = c;
      while (left > 0) {
        const x = Math.floor(p / h);
        const y = p - x * h;
        const n = Math.min(left, h - y);
        sx += x * n;
        sy += n * y + (n * (n - 1)) / 2;
        if (x > x1) {
          // Runs arrive in column order, so a new column starts here.
          if (x1 >= 0) for (let k = x1 + 1; k < x; k++) top[k] = -1; // empty columns in between
          top[x] = y;
          bot[x] = y + n;
          if (x < x0) x0 = x;
          x1 = x;
        } else {
          bot[x] = y + n;
        }
        p += n;
        left -= n;
      }
    }
    pos += c;
  }
  if (area === 0) return { area: 0, box: [0, 0, 0, 0], centroid: [NaN, NaN], hullArea: 0, concavity: NaN };
  let y0 = h;
  let y1 = -1;
  for (let x = x0; x <= x1; x++) {
    if (top[x]! < 0) continue;
    if (top[x]! < y0) y0 = top[x]!;
    if (bot[x]! - 1 > y1) y1 = bot[x]! - 1;
  }
  const hullArea = cornerHullArea2(top, bot, x0, x1) / 2;
  return {
    area,
    box: [x0, y0, x1, y1],
    centroid: [sx / area + 0.5, sy / area + 0.5],
    hullArea,
    concavity: (hullArea - area) / hullArea, // = 1 − area/hull, but exact for integer ratios like 1/7
  };
}

/**
 * Twice the area of the convex hull of the pixel squares of columns `x0..x1`, where column `x`
 * holds pixels `top[x] ≤ y < bot[x]` (top −1 = empty column). Only the lowest and highest corner
 * at each integer abscissa can be hull vertices, so the points come already sorted by x.
 */
function cornerHullArea2(top: Int32Array, bot: Int32Array, x0: number, x1: number): number {
  const px: number[] = [];
  const py: number[] = [];
  for (let X = x0; X <= x1 + 1; X++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of [X - 1, X]) {
      if (x < x0 || x > x1 || top[x]! < 0) continue;
      lo = Math.min(lo, top[x]!);
      hi = Math.max(hi, bot[x]!);
    }
    if (lo === Infinity) continue;
    px.push(X, X);
    py.push(lo, hi);
  }
  return hullArea2(px, py);
}

/**
 * Andrew's monotone chain over points sorted by (x, y); returns twice the hull area (shoelace).
 * Collinear points are dropped (cross ≤ 0), so duplicates and straight edges are harmless.
 */
export function hullArea2(px: readonly number[], py: readonly number[]): number {
  const n = px.length;
  if (n < 3) return 0;
  const hx: number[] = [];
  const hy: number[] = [];
  // Pops while the last two hull points and (x, y) don't make a strict left turn.
  const push = (x: number, y: number, minLen: number) => {
    while (hx.length >= minLen) {
      const k = hx.length;
      const ax = hx[k - 2]!;
      const ay = hy[k - 2]!;
      if ((hx[k - 1]! - ax) * (y - ay) - (hy[k - 1]! - ay) * (x - ax) > 0) break;
      hx.pop();
      hy.pop();
    }
    hx.push(x);
    hy.push(y);
  };
  for (let i = 0; i < n; i++) push(px[i]!, py[i]!, 2); // lower hull, left → right
  const lowerLen = hx.length;
  for (let i = n - 2; i >= 0; i--) push(px[i]!, py[i]!, lowerLen + 1); // upper hull, right → left
  // The chain ends where it started, so consecutive pairs cover every edge.
  let a2 = 0;
  for (let i = 0; i < hx.length - 1; i++) a2 += hx[i]! * hy[i + 1]! - hx[i + 1]! * hy[i]!;
  return Math.abs(a2);
}

/**
 * Tight box as COCO XYWH under a convention: `'coco'` = pycocotools `toBbox` (`w = x1 − x0 + 1`),
 * `'sam'` = SAM's `box_xyxy_to_xywh(batched_mask_to_box)` as written in SA-1B (`w = x1 − x0`).
 */
export function boxToXywh(
  box: readonly [number, number, number, number],
  area: number,
  convention: 'coco' | 'sam',
): [number, number, number, number] {
  if (area === 0) return [0, 0, 0, 0];
  const [x0, y0, x1, y1] = box;
  const extra = convention === 'coco' ? 1 : 0;
  return [x0, y0, x1 - x0 + extra, y1 - y0 + extra];
}
