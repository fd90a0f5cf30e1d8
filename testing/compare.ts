/** Tensor comparisons shared by the parity tests (all figures are max-abs based). */

/** max |a[i]|. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max |a[i] − b[i]|; throws when the lengths differ. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * The one parity tolerance of the suite, earned by fp32 agreement of about 2e-6: max|Δ|/max|ref| for
 * image embeddings and low-res logits, and max|Δ| for predicted IoUs.
 */
export const PARITY_RTOL = 1e-5;

/**
 * The mask bar that goes with it: a logit within PARITY_RTOL of zero may flip, so a mask may differ
 * in a few pixels on its edge, never more than 1 − MASK_IOU_MIN of its area.
 */
export const MASK_IOU_MIN = 0.999;

/** max|a − ref| / max|ref|. */
export function relDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  return maxDiff(a, ref) / maxAbs(ref);
}

export interface MaskAgreement {
  /** Pixels set in either mask but not both. */
  differing: number;
  /** Pixels set in the reference mask. */
  refArea: number;
  /** Intersection over union; 0 when either mask is empty (two empty masks prove nothing). */
  iou: number;
}

/** Compares a 0/1 mask with the reference mask of the same size. */
export function maskAgreement(got: ArrayLike<number>, ref: ArrayLike<number>): MaskAgreement {
  if (got.length !== ref.length) throw new Error(`mask length ${got.length} vs ${ref.length}`);
  let inter = 0;
  let union = 0;
  let refArea = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = got[i]! > 0;
    const b = ref[i]! > 0;
    if (a && b) inter++;
    if (a || b) union++;
    if (b) refArea++;
  }
  return { differing: union - inter, refArea, iou: inter > 0 ? inter / union : 0 };
}

/**
 * The parity rule for one mask: where the reference mask is empty ours must be empty too (0
 * differing pixels); otherwise ours is non-empty and its IoU with the reference is ≥ MASK_IOU_MIN.
 * Returns the agreement for the caller's summary.
 */
export function masksAgree(got: ArrayLike<number>, ref: ArrayLike<number>): MaskAgreement & { ok: boolean } {
  const m = maskAgreement(got, ref);
  return { ...m, ok: m.refArea === 0 ? m.differing === 0 : m.iou >= MASK_IOU_MIN };
}
