/**
 * AdamW, clipping and accumulation on hand-checkable cases; the PyTorch-parity of the update over
 * real steps is replay-parity.test.ts (params_final of the reference).
 */
import { describe, expect, it } from 'vitest';
import { AdamW, GradAccumulator, clipGradNorm } from '@tsam/train';

describe('AdamW (torch.optim.AdamW semantics)', () => {
  it('first step: decay θ·(1 − lr·λ), then a step of lr·sign(g) (bias-corrected m̂/√v̂ = ±1, ε aside)', () => {
    const opt = new AdamW({ lr: 0.01, weightDecay: 0.1, eps: 1e-8 });
    const p = new Map([['w', Float64Array.from([1, -2, 0.5])]]);
    opt.update(p, new Map([['w', Float64Array.from([0.3, -4, 0])]]));
    const w = p.get('w') as Float64Array;
    expect(w[0]).toBeCloseTo(1 * (1 - 0.001) - 0.01 * (0.3 / (0.3 + 1e-8)), 12);
    expect(w[1]).toBeCloseTo(-2 * (1 - 0.001) + 0.01 * (4 / (4 + 1e-8)), 12);
    expect(w[2]).toBeCloseTo(0.5 * (1 - 0.001), 12); // zero gradient: only the decay
  });
  it('second step uses the bias corrections 1 − β1², √(1 − β2²)', () => {
    const opt = new AdamW({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    const p = new Map([['w', Float64Array.from([0])]]);
    opt.update(p, new Map([['w', [1]]]));
    opt.update(p, new Map([['w', [3]]]));
    const m = 0.9 * 0.1 + 0.1 * 3;
    const v = 0.999 * 0.001 + 0.001 * 9;
    const first = -0.1 / (1 + 1e-8); // m̂ = 1, √v̂ = 1
    const expected = first - (0.1 / (1 - 0.81)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
    expect((p.get('w') as Float64Array)[0]).toBeCloseTo(expected, 12);
  });
  it('refuses a gradient of the wrong length, naming the key, and bad hyper-parameters', () => {
    const opt = new AdamW({ lr: 0.1 });
    expect(() => opt.update(new Map([['a.b', new Float64Array(2)]]), new Map([['a.b', [1]]]))).toThrow(
      /"a\.b" has 1 values, the parameter 2/,
    );
    expect(() => new AdamW({ lr: Number.NaN })).toThrow(/lr must be a finite number/);
  });
});

describe('clipGradNorm and GradAccumulator', () => {
  it('scales by maxNorm / (‖g‖ + 1e-6) only when the global norm is above maxNorm', () => {
    const g = new Map([
      ['a', Float64Array.from([3])],
      ['b', Float64Array.from([4])],
    ]);
    expect(clipGradNorm(g, 10)).toBe(5);
    expect([...(g.get('a') as Float64Array)]).toEqual([3]);
    expect(clipGradNorm(g, 1)).toBe(5);
    expect((g.get('a') as Float64Array)[0]).toBeCloseTo((3 * 1) / (5 + 1e-6), 12);
    expect((g.get('b') as Float64Array)[0]).toBeCloseTo((4 * 1) / (5 + 1e-6), 12);
  });
  it('sums weighted micro-batch gradients', () => {
    const acc = new GradAccumulator();
    acc.add(new Map([['w', [1, 2]]]), 0.25);
    acc.add(new Map([['w', [3, -2]]]), 0.75);
    expect([...(acc.sum.get('w') as Float64Array)]).toEqual([2.5, -1]);
    expect(() => acc.add(new Map([['w', [1]]]))).toThrow(/"w" changed size/);
  });
});
