/**
 * The autodiff driver and parameters-as-inputs: what is refused (with the op, node or shape
 * named), what ends a path, and that a Linear's gradient comes back in the state-dict layout.
 */
import { describe, expect, it } from 'vitest';
import { Graph, Weights, gradients, nn, ops } from '@tsam/onnx';
import { checkGradients } from './gradcheck.js';

describe('gradients()', () => {
  it('names an op that has no backward rule and its node', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 1, 4, 4]);
    const up = ops.resizeBilinear(g, x, [1, 1, 8, 8]);
    const loss = g.node1('ReduceSum', [up], 'float32', [], { keepdims: 0 });
    expect(() => gradients(g, loss, [x])).toThrow(/no backward rule for Resize \(node "Resize"\)/);
  });
  it('refuses a non-scalar loss and symbolic shapes, saying what to do', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [2, 3]);
    expect(() => gradients(g, ops.mul(g, x, x), [x])).toThrow(/loss must be a scalar, got \[2, 3\]/);
    const h = new Graph('t');
    const y = h.input('y', 'float32', ['B', 3]);
    const loss = h.node1('ReduceSum', [ops.mul(h, y, y)], 'float32', [], { keepdims: 0 });
    expect(() => gradients(h, loss, [y])).toThrow(/symbolic shape \[B, 3\]; build the training graph with static shapes/);
  });
  it('a comparison ends the path: a tensor reached only through Greater gets no gradient', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [3]);
    const mask = ops.cast(g, ops.greater(g, x, 0), 'float32');
    const loss = g.node1('ReduceSum', [mask], 'float32', [], { keepdims: 0 });
    expect(gradients(g, loss, [x]).size).toBe(0);
  });
});

describe('Weights with trainable keys', () => {
  const source = (key: string) =>
    key === 'fc.weight'
      ? { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }
      : key === 'fc.bias'
        ? { shape: [2], data: Float32Array.from([0.5, -0.5]) }
        : undefined;

  it('makes a trainable key a graph input named by the key; others stay initializers', () => {
    const g = new Graph('t');
    const w = new Weights(g, source, (k) => k === 'fc.weight');
    nn.linear(w, g.input('x', 'float32', [4, 3]), 'fc');
    expect(g.inputs.map((i) => i.name)).toEqual(['x', 'fc.weight']);
    expect(g.inputs[1]?.shape).toEqual([2, 3]);
    expect(g.initializers.map((i) => i.name)).toContain('fc.bias');
    expect(g.initializers.map((i) => i.name)).not.toContain('fc.weight_t');
    expect(w.params).toEqual(['fc.weight']);
  });
  it('without trainable keys, Linear keeps its build-time transpose as before', () => {
    const g = new Graph('t');
    nn.linear(new Weights(g, source), g.input('x', 'float32', [4, 3]), 'fc');
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    const t = g.initializers.find((i) => i.name === 'fc.weight_t');
    expect(t?.shape).toEqual([3, 2]);
    expect([...(t?.data as Float32Array)]).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it("a trainable Linear's ops (Transpose of the [out, in] weight, MatMul): the gradient comes back [out, in] and matches finite differences", async () => {
    // What nn.linear emits for a trainable weight; d loss / d weight must have the input's shape [2, 3].
    const r = await checkGradients([{ shape: [4, 3] }, { shape: [2, 3] }], (g, [x, weight]) => {
      if (!x || !weight) throw new Error('inputs');
      return ops.matmul(g, x, ops.transpose(g, weight, [1, 0]));
    });
    expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
    expect(r.maxRelError).toBeLessThan(r.tol);
  });
});
