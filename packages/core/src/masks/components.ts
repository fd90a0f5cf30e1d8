/**
 * Connected-component labelling and SAM's small-region cleanup
 * (segment_anything/utils/amg.py `remove_small_regions`, which uses
 * `cv2.connectedComponentsWithStats(mask, 8)`).
 *
 * Masks are row-major `h × w` bytes, nonzero = foreground.
 */

/** The result of `connectedComponents`, shaped like OpenCV's `connectedComponentsWithStats`. */
export interface Components {
  /** Number of labels including the background label 0 (OpenCV's `n_labels`). */
  count: number;
  /** Label per pixel, row-major `h × w`: 0 for every background pixel, 1..count−1 for components. */
  labels: Int32Array;
  /** Pixel count per label (`stats[:, CC_STAT_AREA]`); `areas[0]` counts the background. */
  areas: number[];
}

function find(parent: Int32Array, i: number): number {
  let r = i;
  while (parent[r] !== r) r = parent[r]!;
  while (parent[i] !== r) {
    const next = parent[i]!;
    parent[i] = r;
    i = next;
  }
  return r;
}

/** Union by smaller label (so each root is the first label its component got). */
function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra === rb) return ra;
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}

/** Merges neighbour label `nl` (0 = none) into the current pixel's label `l` (0 = none yet). */
function join(parent: Int32Array, l: number, nl: number): number {
  if (nl === 0) return l;
  return l === 0 ? find(parent, nl) : union(parent, l, nl);
}

/**
 * Labels the foreground's connected components (8- or 4-connectivity). Label numbering follows
 * OpenCV's default algorithms: with connectivity 8 (block-based Spaghetti/BBDT), components are
 * numbered by the first 2×2 block (rows 2k..2k+1, cols 2m..2m+1, in raster order) that contains
 * one of their pixels; with connectivity 4 (pixel-based), by their first pixel in raster order.
 * The numbering decides `remove_small_regions`' "keep the largest" tie-break.
 */
export function connectedComponents(mask: ArrayLike<number>, h: number, w: number, connectivity: 4 | 8 = 8): Components {
  const n = h * w;
  if (mask.length !== n) throw new RangeError(`connectedComponents: expected ${h}×${w} = ${n} values, got ${mask.length}`);
  const labels = new Int32Array(n);
  const parent = new Int32Array(n + 1);
  let next = 1;
  const eight = connectivity === 8;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (!mask[i]) continue;
      let l = x > 0 ? join(parent, 0, labels[i - 1]!) : 0;
      if (y > 0) {
        l = join(parent, l, labels[i - w]!);
        if (eight && x > 0) l = join(parent, l, labels[i - w - 1]!);
        if (eight && x < w - 1) l = join(parent, l, labels[i - w + 1]!);
      }
      if (l === 0) {
        l = next++;
        parent[l] = l;
      }
      labels[i] = l;
    }
  }
  // Order roots: by first 2×2 block (8-connectivity) or first pixel (4-connectivity).
  const firstKey = new Float64Array(next).fill(Infinity);
  const blocksPerRow = Math.ceil(w / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = labels[i]!;
      if (l === 0) continue;
      const r = find(parent, l);
      labels[i] = r;
      const key = eight ? (y >> 1) * blocksPerRow + (x >> 1) : i;
      if (key < firstKey[r]!) firstKey[r] = key;
    }
  }
  const roots: number[] = [];
  for (let l = 1; l < next; l++) if (parent[l] === l) roots.push(l);
  roots.sort((a, b) => firstKey[a]! - firstKey[b]! || a - b);
  const final = new Int32Array(next);
  roots.forEach((r, k) => (final[r] = k + 1));
  const areas = new Array<number>(roots.length + 1).fill(0);
  for (let i = 0; i < n; i++) {
    const l = final[labels[i]!]!;
    labels[i] = l;
    areas[l]!++;
  }
  return { count: roots.length + 1, labels, areas };
}

/** Which small regions `removeSmallRegions` removes: holes in the mask, or islands of it. */
export type SmallRegionMode = 'holes' | 'islands';

/**
 * `remove_small_regions(mask, area_thresh, mode)`: labels the working mask (the inverted mask for
 * `'holes'`, the mask for `'islands'`) with 8-connectivity; regions with area `< areaThresh` are
 * small. No small region → the input is returned unchanged (`changed: false`). `'holes'` fills the
 * small regions of the inverted mask (including a small outer background). `'islands'` keeps only
 * the regions that are not small; if all are small it keeps the largest (first in label order on
 * ties). Returns a new 0/1 mask with `changed: true` otherwise.
 */
export function removeSmallRegions(
  mask: Uint8Array,
  h: number,
  w: number,
  areaThresh: number,
  mode: SmallRegionMode,
): { mask: Uint8Array; changed: boolean } {
  const holes = mode === 'holes';
  const working = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) working[i] = (mask[i] ? 1 : 0) ^ (holes ? 1 : 0);
  const { count, labels, areas } = connectedComponents(working, h, w, 8);
  const small = new Uint8Array(count);
  let anySmall = false;
  for (let l = 1; l < count; l++) {
    if (areas[l]! < areaThresh) {
      small[l] = 1;
      anySmall = true;
    }
  }
  if (!anySmall) return { mask, changed: false };
  const fill = new Uint8Array(count);
  if (holes) {
    fill[0] = 1;
    for (let l = 1; l < count; l++) fill[l] = small[l]!;
  } else {
    let any = false;
    for (let l = 1; l < count; l++) {
      fill[l] = small[l] ? 0 : 1;
      any ||= fill[l] === 1;
    }
    if (!any) {
      let best = 1;
      for (let l = 2; l < count; l++) if (areas[l]! > areas[best]!) best = l;
      fill[best] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = fill[labels[i]!]!;
  return { mask: out, changed: true };
}
