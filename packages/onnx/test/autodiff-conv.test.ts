import { describe, expect, it } from 'vitest';
import type { Graph, SymTensor } from '@tsam/onnx';
import { checkGradients, type InputSpec } from './gradcheck.js';

const x = (xs: SymTensor[], i: number) => xs[i] as SymTensor;

// ONNX Runtime's CPU Conv and ConvTranspose are float32 only: step 1e-2 on a bilinear function
// (the central difference is exact up to rounding), so the tolerance stays tight.
async function expectGradOk(specs: InputSpec[], build: (g: Graph, xs: SymTensor[]) => SymTensor) {
  const r = await checkGradients(specs, build, { dtype: 'float32', h: 1e-2, tol: 2e-3, samples: 10 });
  expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  expect(r.maxRelError).toBeLessThan(r.tol);
}

describe('autodiff: convolution rules against finite differences (float32)', () => {
  const convCases = [
    { name: 'stride 2, kernel 2 (SAM mask downscaling)', x: [2, 1, 8, 8], w: [3, 1, 2, 2], strides: [2, 2], pads: [0, 0, 0, 0] },
    { name: 'stride 1, kernel 3, pad 1', x: [1, 2, 5, 6], w: [3, 2, 3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
    {
      name: 'stride 2, kernel 3, uneven pads, rows the forward never reaches',
      x: [2, 2, 7, 8],
      w: [2, 2, 3, 3],
      strides: [2, 2],
      pads: [0, 1, 1, 0],
    },
    { name: '1×1 kernel', x: [2, 3, 4, 4], w: [4, 3, 1, 1], strides: [1, 1], pads: [0, 0, 0, 0] },
  ];
  for (const c of convCases) {
    it(`Conv ${c.name}`, async () => {
      const [, , h, w] = c.x as [number, number, number, number];
      const [o, , kh, kw] = c.w as [number, number, number, number];
      const [sh, sw] = c.strides as [number, number];
      const [pt, pl, pb, pr] = c.pads as [number, number, number, number];
      const out = [c.x[0] as number, o, Math.floor((h + pt + pb - kh) / sh) + 1, Math.floor((w + pl + pr - kw) / sw) + 1];
      await expectGradOk([{ shape: c.x }, { shape: c.w }, { shape: [o] }], (g, xs) =>
        g.node1('Conv', [x(xs, 0), x(xs, 1), x(xs, 2)], 'float32', out, {
          kernel_shape: [kh, kw],
          strides: c.strides,
          pads: c.pads,
          group: 1,
        }),
      );
    });
  }
  for (const k of [2, 3]) {
    it(`ConvTranspose stride 2, kernel ${k}`, async () => {
      const out = [2, 3, 2 * 3 + k, 2 * 4 + k];
      await expectGradOk([{ shape: [2, 4, 4, 5] }, { shape: [4, 3, k, k] }, { shape: [3] }], (g, xs) =>
        g.node1('ConvTranspose', [x(xs, 0), x(xs, 1), x(xs, 2)], 'float32', out, { kernel_shape: [k, k], strides: [2, 2] }),
      );
    });
  }
});
