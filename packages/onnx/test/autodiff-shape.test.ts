import { describe, expect, it } from 'vitest';
import { ops, type Graph, type SymTensor } from '@tsam/onnx';
import { checkGradients, type InputSpec } from './gradcheck.js';

const x = (xs: SymTensor[], i: number) => xs[i] as SymTensor;

async function expectGradOk(specs: InputSpec[], build: (g: Graph, xs: SymTensor[]) => SymTensor) {
  const r = await checkGradients(specs, build);
  expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  expect(r.maxRelError).toBeLessThan(r.tol);
}

describe('autodiff: data-movement rules against finite differences (float64)', () => {
  it('Reshape with 0 and -1', async () => {
    await expectGradOk([{ shape: [2, 3, 4] }], (g, xs) => ops.reshape(g, x(xs, 0), [0, -1]));
  });
  it('Transpose with a non-trivial permutation', async () => {
    await expectGradOk([{ shape: [2, 3, 4] }], (g, xs) => ops.transpose(g, x(xs, 0), [2, 0, 1]));
  });
  it('Slice with negative and clamped bounds on two axes', async () => {
    await expectGradOk([{ shape: [5, 6, 3] }], (g, xs) => ops.slice(g, x(xs, 0), [1, -4], [4, 1000], [0, 1]));
  });
  it('Concat of three inputs along a middle axis, one used twice', async () => {
    await expectGradOk([{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }], (g, xs) => ops.concat(g, [x(xs, 0), x(xs, 1), x(xs, 0)], 1));
  });
  it('Gather with a scalar index (drops the axis)', async () => {
    await expectGradOk([{ shape: [3, 5, 2] }], (g, xs) => ops.gatherIndex(g, x(xs, 0), 3, 1));
  });
  it('Gather with repeated and negative indices', async () => {
    await expectGradOk([{ shape: [4, 3] }], (g, xs) => {
      const idx = g.constant(BigInt64Array.from([2n, -1n, 2n, 0n]), [2, 2], 'int64');
      return g.node1('Gather', [x(xs, 0), idx], 'float64', [2, 2, 3], { axis: 0 });
    });
  });
  it('Expand over a new leading axis and a stretched 1', async () => {
    await expectGradOk([{ shape: [3, 1] }], (g, xs) => ops.expand(g, x(xs, 0), ops.ints(g, [2, 3, 4]), [2, 3, 4]));
  });
  it('Unsqueeze and Squeeze', async () => {
    await expectGradOk([{ shape: [3, 4] }], (g, xs) => ops.squeeze(g, ops.unsqueeze(g, ops.mul(g, x(xs, 0), x(xs, 0)), [0, 2]), [0]));
  });
  it('constant Pad', async () => {
    await expectGradOk([{ shape: [2, 3] }], (g, xs) => ops.pad(g, x(xs, 0), [1, 0, 2, 3]));
  });
});
