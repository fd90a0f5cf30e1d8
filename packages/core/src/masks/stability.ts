/**
 * SAM's stability score (segment_anything/utils/amg.py `calculate_stability_score`): the IoU of
 * the masks obtained by thresholding logits at `maskThreshold + offset` and at
 * `maskThreshold − offset`. The high mask lies inside the low one, so IoU is the ratio of counts.
 */

/**
 * `|logits > t + o| / |logits > t − o|` for one mask's logits (any layout), computed like the
 * reference: both thresholds are float32 (torch compares a float32 tensor with a Python scalar in
 * float32), the counts are integers and the quotient is float32. An empty low mask gives
 * 0/0 = NaN, as the reference does (and a NaN score fails every `>=` filter).
 */
export function calculateStabilityScore(logits: ArrayLike<number>, maskThreshold: number, offset: number): number {
  const { intersections, unions } = stabilityCounts(logits, maskThreshold, offset);
  return Math.fround(intersections / unions);
}

/** The two counts behind the stability score: `intersections = |> t+o|`, `unions = |> t−o|`. */
export function stabilityCounts(
  logits: ArrayLike<number>,
  maskThreshold: number,
  offset: number,
): { intersections: number; unions: number } {
  const hi = Math.fround(maskThreshold + offset);
  const lo = Math.fround(maskThreshold - offset);
  let intersections = 0;
  let unions = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] ?? 0;
    if (v > hi) intersections++;
    if (v > lo) unions++;
  }
  return { intersections, unions };
}
