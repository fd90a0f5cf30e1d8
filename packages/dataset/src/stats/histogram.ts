/**
 * Fixed-bin histogram over `[lo, hi]` with per-bin min and max, for streaming quantiles in
 * constant memory (3 × `bins` float64s, 240 KB at the default 10,000 bins, however many values).
 *
 * Quantile definition: inverted CDF / nearest rank — the `q`-quantile of `n` values is the
 * `⌈q·n⌉`-th smallest (numpy `method="inverted_cdf"`). It is found in its bin; when that bin holds
 * a single distinct value (min = max) the answer is exact, otherwise it is interpolated by rank
 * between the bin's min and max, so the error is at most one bin width, `(hi − lo) / bins`.
 */
export class FineHistogram {
  readonly counts: Float64Array;
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  n = 0;
  sum = 0;
  private carry = 0; // Kahan compensation: 1M additions of 1/7 stay exact to ~1e-16

  constructor(
    readonly bins = 10_000,
    readonly lo = 0,
    readonly hi = 1,
  ) {
    this.counts = new Float64Array(bins);
    this.mins = new Float64Array(bins).fill(Infinity);
    this.maxs = new Float64Array(bins).fill(-Infinity);
  }

  /** Bin of `v` (values outside `[lo, hi]` go to the end bins). */
  binOf(v: number): number {
    const b = Math.floor(((v - this.lo) / (this.hi - this.lo)) * this.bins);
    return b < 0 ? 0 : b >= this.bins ? this.bins - 1 : b;
  }

  add(v: number): void {
    const b = this.binOf(v);
    this.counts[b]!++;
    if (v < this.mins[b]!) this.mins[b] = v;
    if (v > this.maxs[b]!) this.maxs[b] = v;
    this.n++;
    const y = v - this.carry;
    const t = this.sum + y;
    this.carry = t - this.sum - y;
    this.sum = t;
  }

  get mean(): number {
    return this.n ? this.sum / this.n : NaN;
  }

  /** The `q`-quantile (`0 ≤ q ≤ 1`), see the class comment; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const k = Math.min(this.n, Math.max(1, Math.ceil(q * this.n - 1e-9)));
    let before = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b]!;
      if (before + c >= k) {
        const min = this.mins[b]!;
        const max = this.maxs[b]!;
        return c <= 1 || min === max ? min : min + ((max - min) * (k - before - 1)) / (c - 1);
      }
      before += c;
    }
    return this.maxs[this.bins - 1]!;
  }

  /** Counts merged into `k` equal bins (k must divide `bins`). */
  coarse(k: number): number[] {
    const per = this.bins / k;
    if (!Number.isInteger(per)) throw new RangeError(`coarse: ${k} does not divide ${this.bins}`);
    const out = new Array<number>(k).fill(0);
    for (let b = 0; b < this.bins; b++) out[Math.floor(b / per)]! += this.counts[b]!;
    return out;
  }
}

/** The quantiles every report lists. */
export const REPORT_QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;
