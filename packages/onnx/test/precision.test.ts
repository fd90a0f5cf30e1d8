import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  Graph,
  Weights,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  nn,
  quantizeMatMulsInt8,
  serializeModel,
  storeWeightsFloat16,
  type TensorData,
} from '../src/index.js';
import { relDiff } from '../../../testing/compare.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  });
}

/** x [n, 64] → Linear(64→96) → GELU → Linear(96→32). */
function mlp(): Graph {
  const params = new Map<string, TensorData>([
    ['a.weight', { shape: [96, 64], data: rand(96 * 64, 1) }],
    ['a.bias', { shape: [96], data: rand(96, 2) }],
    ['b.weight', { shape: [32, 96], data: rand(32 * 96, 3) }],
    ['b.bias', { shape: [32], data: rand(32, 4) }],
  ]);
  const g = new Graph('mlp');
  const w = new Weights(g, (k) => params.get(k));
  const x = g.input('x', 'float32', ['n', 64]);
  g.output(nn.linear(w, nn.gelu(g, nn.linear(w, x, 'a')), 'b'), 'y');
  return g;
}

async function run(g: Graph, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(serializeModel(g).model);
  return (await s.run({ x: new ort.Tensor('float32', x, [x.length / 64, 64]) })).y!.data as Float32Array;
}

const maxRel = relDiff;

describe('reduced-precision weights', () => {
  it('float16 bits round-trip every half value and round to nearest even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = float16BitsToFloat32(h);
      if (Number.isNaN(v)) expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(v)))).toBe(true);
      else if (v !== 0) expect(float32ToFloat16Bits(v)).toBe(h);
    }
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds up to inf
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // below half the smallest subnormal
  });

  it('storeWeightsFloat16 keeps the graph float32 with weights rounded to half', async () => {
    const x = rand(8 * 64, 9);
    const ref = await run(mlp(), x);
    const g = mlp();
    expect(storeWeightsFloat16(g, { minElements: 1000 })).toBe(2); // the two weight matrices
    expect(g.initializers.filter((t) => t.dtype === 'float16').length).toBe(2);
    const got = await run(g, x);
    const rel = maxRel(got, ref);
    expect(rel).toBeGreaterThan(0);
    expect(rel).toBeLessThan(3e-3);
  });

  it('quantizeMatMulsInt8 turns Linear layers into DynamicQuantizeMatMul with the bias folded in', async () => {
    const x = rand(8 * 64, 9);
    const ref = await run(mlp(), x);
    const g = mlp();
    expect(quantizeMatMulsInt8(g, { minElements: 1000 })).toBe(2);
    expect(g.nodes.filter((n) => n.op === 'DynamicQuantizeMatMul' && n.domain === 'com.microsoft').length).toBe(2);
    expect(g.nodes.some((n) => n.op === 'MatMul')).toBe(false);
    expect(g.nodes.filter((n) => n.op === 'Add').length).toBe(1); // only inside GELU: both biases folded
    expect(g.initializers.some((t) => t.name === 'a.weight_t')).toBe(false); // float32 weights dropped
    const got = await run(g, x);
    expect(maxRel(got, ref)).toBeLessThan(5e-2);
  });
});
