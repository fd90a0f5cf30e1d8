import { describe, expect, it } from 'vitest';
import { ops, type Graph, type SymTensor } from '@tsam/onnx';
import { checkGradients, type CheckOptions, type InputSpec } from './gradcheck.js';

const x = (xs: SymTensor[], i: number) => xs[i] as SymTensor;

async function expectGradOk(specs: InputSpec[], build: (g: Graph, xs: SymTensor[]) => SymTensor, opts?: CheckOptions) {
  const r = await checkGradients(specs, build, opts);
  expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  expect(r.maxRelError).toBeLessThan(r.tol);
}

describe('autodiff: reductions and normalisations against finite differences', () => {
  for (const keepdims of [0, 1]) {
    it(`ReduceSum over two axes, keepdims=${keepdims}`, async () => {
      await expectGradOk([{ shape: [2, 3, 4] }], (g, xs) =>
        g.node1('ReduceSum', [x(xs, 0), ops.ints(g, [0, -1])], 'float64', keepdims ? [1, 3, 1] : [3], { keepdims }),
      );
    });
    it(`ReduceMean over one axis, keepdims=${keepdims}`, async () => {
      const sq = (g: Graph, t: SymTensor) => ops.mul(g, t, t); // non-linear so the mean's scale matters
      await expectGradOk([{ shape: [2, 3, 4] }], (g, xs) => sq(g, ops.reduceMean(g, x(xs, 0), [1], keepdims === 1)));
    });
  }
  it('ReduceSum over every axis (no axes input)', async () => {
    await expectGradOk([{ shape: [3, 2] }], (g, xs) => {
      const s = g.node1('ReduceSum', [x(xs, 0)], 'float64', [1, 1], { keepdims: 1 });
      return ops.mul(g, s, x(xs, 0));
    });
  });
  for (const axis of [-1, 1]) {
    it(`Softmax along axis ${axis}`, async () => {
      await expectGradOk([{ shape: [2, 3, 5], range: [-2, 2] }], (g, xs) => ops.softmax(g, x(xs, 0), axis));
    });
  }
  it('LayerNormalization over the last axis, scale and bias (float64)', async () => {
    await expectGradOk([{ shape: [2, 3, 6], range: [-2, 2] }, { shape: [6] }, { shape: [6] }], (g, xs) =>
      g.node1('LayerNormalization', [x(xs, 0), x(xs, 1), x(xs, 2)], 'float64', [2, 3, 6], { axis: -1, epsilon: { float: 1e-5 } }),
    );
  });
  it('LayerNormalization over the last two axes (axis=1)', async () => {
    await expectGradOk([{ shape: [3, 2, 4], range: [-2, 2] }, { shape: [2, 4] }, { shape: [2, 4] }], (g, xs) =>
      g.node1('LayerNormalization', [x(xs, 0), x(xs, 1), x(xs, 2)], 'float64', [3, 2, 4], { axis: 1, epsilon: { float: 1e-3 } }),
    );
  });
});
