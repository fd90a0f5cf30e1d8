/**
 * Box non-maximum suppression with torchvision's `batched_nms` semantics (the CPU `nms` kernel),
 * as SAM's automatic mask generator uses it.
 *
 * - Boxes are XYXY, flat `n × 4`; boxes, scores and all arithmetic are float32 like the kernel
 *   (`boxes.float()`), the threshold stays a double.
 * - Order: a STABLE sort by score, descending (ties keep input order; NaN sorts first, as in
 *   torch). A box is suppressed when its IoU with a kept box is `> iouThreshold`.
 * - Areas are `(x1 - x0) * (y1 - y0)` (no +1); IoU = inter / (areaA + areaB − inter), so two
 *   degenerate boxes give 0/0 = NaN and never suppress each other.
 * - Boxes of different categories never suppress each other.
 *
 * Returns the kept indices by decreasing score (ties: by index).
 */

const f32 = Math.fround;

/** Indices `0..n-1` by descending score, stable; NaN counts as largest (torch's sort order). */
export function argsortDescendingStable(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number): number => {
    const s = scores[i] ?? NaN;
    return Number.isNaN(s) ? Infinity : s;
  };
  const nan = (i: number): number => (Number.isNaN(scores[i] ?? NaN) ? 1 : 0);
  // Array.prototype.sort is stable (ES2019).
  idx.sort((a, b) => nan(b) - nan(a) || key(b) - key(a) || 0);
  return idx;
}

/** torchvision `nms` on float32 boxes (flat XYXY) and scores; kept indices by decreasing score. */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new RangeError(`nms: expected ${4 * n} box values for ${n} scores, got ${boxes.length}`);
  const b = Float32Array.from(boxes);
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) areas[i] = f32((b[4 * i + 2]! - b[4 * i]!) * (b[4 * i + 3]! - b[4 * i + 1]!));
  const order = argsortDescendingStable(Float32Array.from(scores));
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = b[4 * i]!;
    const iy1 = b[4 * i + 1]!;
    const ix2 = b[4 * i + 2]!;
    const iy2 = b[4 * i + 3]!;
    const iarea = areas[i]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j]) continue;
      const xx1 = Math.max(ix1, b[4 * j]!);
      const yy1 = Math.max(iy1, b[4 * j + 1]!);
      const xx2 = Math.min(ix2, b[4 * j + 2]!);
      const yy2 = Math.min(iy2, b[4 * j + 3]!);
      const ww = Math.max(0, f32(xx2 - xx1));
      const hh = Math.max(0, f32(yy2 - yy1));
      const inter = f32(ww * hh);
      const ovr = f32(inter / f32(f32(iarea + areas[j]!) - inter));
      if (ovr > iouThreshold) suppressed[j] = 1;
    }
  }
  return keep;
}

/**
 * torchvision `batched_nms`: NMS independently per category (`categoryIdxs[i]`), results merged and
 * ordered by decreasing score (stable). `boxes` is flat `n × 4` XYXY.
 */
export function batchedNms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  categoryIdxs: ArrayLike<number>,
  iouThreshold: number,
): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n || categoryIdxs.length !== n) {
    throw new RangeError(
      `batchedNms: need n×4 boxes, n scores and n categories (n = ${n}), got ${boxes.length}, ${n}, ${categoryIdxs.length}`,
    );
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = categoryIdxs[i] ?? 0;
    let g = groups.get(c);
    if (!g) groups.set(c, (g = []));
    g.push(i);
  }
  const keepMask = new Uint8Array(n);
  for (const members of groups.values()) {
    const sub = new Float32Array(4 * members.length);
    members.forEach((m, k) => {
      for (let c = 0; c < 4; c++) sub[4 * k + c] = boxes[4 * m + c] ?? 0;
    });
    const kept = nms(
      sub,
      members.map((m) => scores[m] ?? NaN),
      iouThreshold,
    );
    for (const k of kept) keepMask[members[k]!] = 1;
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (keepMask[i]) kept.push(i);
  const f = Float32Array.from(kept, (i) => scores[i] ?? NaN);
  return argsortDescendingStable(f).map((k) => kept[k]!);
}
