import { describe, expect, it } from 'vitest';
import { ops, type Graph, type SymTensor } from '@tsam/onnx';
import { checkGradients, type CheckOptions, type InputSpec } from './gradcheck.js';

async function expectGradOk(specs: InputSpec[], build: (g: Graph, xs: SymTensor[]) => SymTensor, opts?: CheckOptions) {
  const r = await checkGradients(specs, build, opts);
  expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  expect(r.maxRelError).toBeLessThan(r.tol);
}

const x = (xs: SymTensor[], i: number) => xs[i] as SymTensor;
const unary = (op: string) => (g: Graph, xs: SymTensor[]) => g.node1(op, [x(xs, 0)], x(xs, 0).dtype, x(xs, 0).shape);

describe('autodiff: elementwise rules against finite differences (float64)', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
    it(`${op} with broadcasting both ways`, async () => {
      // [2,1,4] with [3,1]: each operand is stretched along a different axis.
      const specs: InputSpec[] = [{ shape: [2, 1, 4] }, { shape: [3, 1], range: op === 'Div' ? [0.5, 2] : [-1, 1] }];
      await expectGradOk(specs, (g, xs) => g.node1(op, [x(xs, 0), x(xs, 1)], 'float64', [2, 3, 4]));
    });
  }
  it('Pow with a tensor base and exponent', async () => {
    await expectGradOk(
      [
        { shape: [3, 4], range: [0.5, 2] },
        { shape: [4], range: [0.5, 3] },
      ],
      (g, xs) => g.node1('Pow', [x(xs, 0), x(xs, 1)], 'float64', [3, 4]),
    );
  });
  for (const op of ['Sigmoid', 'Tanh', 'Exp', 'Sin', 'Cos', 'Neg', 'Identity', 'Abs']) {
    it(op, async () => {
      await expectGradOk([{ shape: [5, 3], range: [-3, 3] }], unary(op));
    });
  }
  it('Relu (away from the kink)', async () => {
    await expectGradOk([{ shape: [5, 4], range: [-2, 2] }], unary('Relu'));
  });
  for (const op of ['Log', 'Sqrt']) {
    it(`${op} on positive inputs`, async () => {
      await expectGradOk([{ shape: [6], range: [0.2, 3] }], unary(op));
    });
  }
  it('Where routes the gradient by the condition, with broadcasting', async () => {
    const cond = (g: Graph) => g.constant(Uint8Array.from([1, 0, 1, 1, 0, 0]), [2, 3], 'bool');
    await expectGradOk([{ shape: [2, 3] }, { shape: [3] }], (g, xs) => ops.where(g, cond(g), x(xs, 0), x(xs, 1)));
  });
  it('Clip passes the gradient only inside the bounds', async () => {
    await expectGradOk([{ shape: [4, 5], range: [-2, 2] }], (g, xs) => {
      const lo = g.constant(new Float64Array([-0.7]), [], 'float64');
      const hi = g.constant(new Float64Array([0.9]), [], 'float64');
      return g.node1('Clip', [x(xs, 0), lo, hi], 'float64', [4, 5]);
    });
  });
  it('a float32 → float64 Cast passes the gradient', async () => {
    await expectGradOk(
      [{ shape: [3, 2] }],
      (g, xs) => {
        const f32 = ops.cast(g, x(xs, 0), 'float32');
        return ops.cast(g, ops.mul(g, f32, f32), 'float64');
      },
      { h: 1e-2, tol: 1e-3 },
    );
  });
});

describe('autodiff: rules ONNX Runtime runs only in float32 (float32, step 1e-2)', () => {
  it('Softplus', async () => {
    await expectGradOk([{ shape: [5, 3], range: [-3, 3] }], unary('Softplus'), { dtype: 'float32' });
  });
  it('Erf', async () => {
    await expectGradOk([{ shape: [4, 6], range: [-2, 2] }], unary('Erf'), { dtype: 'float32' });
  });
  it('exact GELU as the model builds it (Div, Erf, Add, Mul)', async () => {
    await expectGradOk(
      [{ shape: [3, 8], range: [-3, 3] }],
      (g, xs) => {
        const inner = ops.add(g, ops.erf(g, ops.div(g, x(xs, 0), Math.SQRT2)), 1);
        return ops.mul(g, ops.mul(g, x(xs, 0), inner), 0.5);
      },
      { dtype: 'float32' },
    );
  });
});
