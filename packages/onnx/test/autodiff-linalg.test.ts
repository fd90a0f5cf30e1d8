import { describe, expect, it } from 'vitest';
import { ops, type Graph, type SymTensor } from '@tsam/onnx';
import { checkGradients, type InputSpec } from './gradcheck.js';

const x = (xs: SymTensor[], i: number) => xs[i] as SymTensor;

async function expectGradOk(specs: InputSpec[], build: (g: Graph, xs: SymTensor[]) => SymTensor) {
  const r = await checkGradients(specs, build);
  expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  expect(r.maxRelError).toBeLessThan(r.tol);
}

describe('autodiff: matrix-product rules against finite differences (float64)', () => {
  it('MatMul 2-D', async () => {
    await expectGradOk([{ shape: [3, 4] }, { shape: [4, 5] }], (g, xs) => ops.matmul(g, x(xs, 0), x(xs, 1)));
  });
  it('MatMul with broadcast batch dims on both sides', async () => {
    await expectGradOk([{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], (g, xs) => ops.matmul(g, x(xs, 0), x(xs, 1)));
  });
  it('MatMul of a batch against one shared matrix (a Linear)', async () => {
    await expectGradOk([{ shape: [2, 5, 3] }, { shape: [3, 4] }], (g, xs) => ops.matmul(g, x(xs, 0), x(xs, 1)));
  });
  for (const [transA, transB] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ] as const) {
    it(`Gemm transA=${transA} transB=${transB}, alpha, beta, broadcast C`, async () => {
      const a = transA ? [4, 3] : [3, 4];
      const b = transB ? [5, 4] : [4, 5];
      await expectGradOk([{ shape: a }, { shape: b }, { shape: [5] }], (g, xs) =>
        g.node1('Gemm', [x(xs, 0), x(xs, 1), x(xs, 2)], 'float64', [3, 5], {
          transA,
          transB,
          alpha: { float: 0.75 },
          beta: { float: 1.5 },
        }),
      );
    });
  }
});
