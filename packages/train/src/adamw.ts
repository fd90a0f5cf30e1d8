/**
 * AdamW with PyTorch's semantics (torch.optim.AdamW, amsgrad off): decoupled weight decay
 * θ ← θ·(1 − lr·λ), then m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
 * θ ← θ − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε). Plus torch's clip_grad_norm_ and gradient
 * accumulation over micro-batches.
 *
 * Done in TypeScript rather than as a graph: the update is a few passes over each tensor (no
 * matrix work), and keeping θ, m and v in Float64Array master copies here means the runtime only
 * ever sees float32 parameters while the optimizer state does not round each step (the reference
 * fixture was made in float64).
 */

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far (t in the bias corrections). */
  step = 0;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();

  constructor(opts: AdamWOptions) {
    this.lr = opts.lr;
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (const [name, v] of Object.entries({
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
    }))
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`AdamW: ${name} must be a finite number ≥ 0, got ${v}`);
  }

  /** One update of every parameter in `params` (in place) with `grads` (same keys and lengths; a missing gradient is zero). */
  update(params: Map<string, Float64Array>, grads: Map<string, ArrayLike<number>>, lr = this.lr): void {
    this.step++;
    const t = this.step;
    const c1 = 1 - this.beta1 ** t;
    const c2 = Math.sqrt(1 - this.beta2 ** t);
    const stepSize = lr / c1;
    const decay = 1 - lr * this.weightDecay;
    for (const [key, p] of params) {
      const g = grads.get(key);
      if (g && g.length !== p.length) throw new RangeError(`AdamW: gradient of "${key}" has ${g.length} values, the parameter ${p.length}`);
      let m = this.m.get(key);
      let v = this.v.get(key);
      if (!m || !v) {
        m = new Float64Array(p.length);
        v = new Float64Array(p.length);
        this.m.set(key, m);
        this.v.set(key, v);
      }
      for (let i = 0; i < p.length; i++) {
        const gi = g ? (g[i] as number) : 0;
        const mi = this.beta1 * (m[i] as number) + (1 - this.beta1) * gi;
        const vi = this.beta2 * (v[i] as number) + (1 - this.beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = (p[i] as number) * decay - (stepSize * mi) / (Math.sqrt(vi) / c2 + this.eps);
      }
    }
  }
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by maxNorm / (‖g‖₂ + 1e-6) when the
 * global norm exceeds maxNorm. Returns the norm before clipping.
 */
export function clipGradNorm(grads: Map<string, Float64Array>, maxNorm: number): number {
  let sq = 0;
  for (const g of grads.values()) for (const x of g) sq += x * x;
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * coef;
  return norm;
}

/**
 * Sums gradients over micro-batches, each weighted (e.g. by its share of the prompts), so one
 * optimizer step sees the gradient of the whole batch's loss.
 */
export class GradAccumulator {
  readonly sum = new Map<string, Float64Array>();

  add(grads: Map<string, ArrayLike<number>>, weight = 1): void {
    for (const [key, g] of grads) {
      let acc = this.sum.get(key);
      if (!acc) {
        acc = new Float64Array(g.length);
        this.sum.set(key, acc);
      }
      if (acc.length !== g.length) throw new RangeError(`gradient of "${key}" changed size: ${acc.length} → ${g.length}`);
      for (let i = 0; i < g.length; i++) acc[i] = (acc[i] as number) + weight * (g[i] as number);
    }
  }

  clear(): void {
    this.sum.clear();
  }
}
