import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph, GraphError, Weights, nn, ops, serializeModel, type TensorData } from '../src/index.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  });
}

async function run(g: Graph, feeds: Record<string, ort.Tensor>, external = false): Promise<ort.InferenceSession.ReturnType> {
  const ser = serializeModel(g, external ? { externalThreshold: 0, externalDataName: 'm.onnx.data' } : {});
  if (!external) return (await ort.InferenceSession.create(ser.model)).run(feeds);
  const dir = mkdtempSync(join(tmpdir(), 'tsam-onnx-'));
  writeFileSync(join(dir, 'm.onnx'), ser.model);
  expect(ser.externalData).toBeDefined();
  writeFileSync(join(dir, 'm.onnx.data'), Buffer.concat(ser.externalData!.chunks));
  return (await ort.InferenceSession.create(join(dir, 'm.onnx'))).run(feeds);
}

describe('graph builder', () => {
  const params = new Map<string, TensorData>([
    ['fc.weight', { shape: [3, 4], data: rand(12, 1) }],
    ['fc.bias', { shape: [3], data: rand(3, 2) }],
    ['ln.weight', { shape: [3], data: rand(3, 3) }],
    ['ln.bias', { shape: [3], data: rand(3, 4) }],
  ]);

  function linearLnGelu(): Graph {
    const g = new Graph('t');
    const w = new Weights(g, (k) => params.get(k));
    const x = g.input('x', 'float32', ['n', 4]);
    const y = nn.gelu(g, nn.layerNorm(w, nn.linear(w, x, 'fc'), 'ln'));
    g.output(y, 'y');
    return g;
  }

  function reference(x: Float32Array, n: number): Float32Array {
    const W = params.get('fc.weight')!.data;
    const b = params.get('fc.bias')!.data;
    const lw = params.get('ln.weight')!.data;
    const lb = params.get('ln.bias')!.data;
    const out = new Float32Array(n * 3);
    for (let r = 0; r < n; r++) {
      const h = [0, 1, 2].map((o) => [0, 1, 2, 3].reduce((a, i) => a + x[r * 4 + i]! * W[o * 4 + i]!, b[o]!));
      const mu = h.reduce((a, v) => a + v, 0) / 3;
      const va = h.reduce((a, v) => a + (v - mu) ** 2, 0) / 3;
      h.forEach((v, o) => {
        const z = ((v - mu) / Math.sqrt(va + 1e-5)) * lw[o]! + lb[o]!;
        // gelu via erf series is overkill; use tanh-free identity through Math functions
        out[r * 3 + o] = 0.5 * z * (1 + erf(z / Math.SQRT2));
      });
    }
    return out;
  }

  function erf(x: number): number {
    // Abramowitz-Stegun 7.1.26 is 1.5e-7 accurate: enough for a 1e-5 comparison.
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return x >= 0 ? y : -y;
  }

  it('runs Linear → LayerNorm → GELU in ONNX Runtime and matches a scalar reference', async () => {
    const x = rand(20, 9);
    const out = await run(linearLnGelu(), { x: new ort.Tensor('float32', x, [5, 4]) });
    const y = out.y!.data as Float32Array;
    const ref = reference(x, 5);
    expect(out.y!.dims).toEqual([5, 3]);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!)).toBeLessThan(1e-5);
  });

  it('writes weights as external data and ORT loads them from beside the model', async () => {
    const x = rand(8, 5);
    const inline = await run(linearLnGelu(), { x: new ort.Tensor('float32', x, [2, 4]) });
    const ext = await run(linearLnGelu(), { x: new ort.Tensor('float32', x, [2, 4]) }, true);
    expect(Array.from(ext.y!.data as Float32Array)).toEqual(Array.from(inline.y!.data as Float32Array));
  });

  it('names the layer when shapes do not fit', () => {
    const g = new Graph('t');
    const w = new Weights(g, (k) => params.get(k));
    const x = g.input('x', 'float32', [2, 5]);
    expect(() => nn.linear(w, x, 'fc')).toThrow(GraphError);
    expect(() => nn.linear(w, x, 'fc')).toThrow(/fc.*\[2, 5\].*\[3, 4\]/);
    expect(() => nn.linear(w, g.input('z', 'float32', [2, 4]), 'missing')).toThrow(/missing weight "missing.weight"/);
    expect(() => ops.matmul(g, x, x)).toThrow(/MatMul inner dims differ/);
    expect(() => ops.reshape(g, x, [3, 3])).toThrow(/element counts differ/);
  });

  it('infers shapes through reshape, transpose, einsum, concat, slice and resize', async () => {
    const g = new Graph('t');
    const a = g.input('a', 'float32', [1, 2, 3, 4]);
    const r = ops.reshape(g, a, [0, -1, 4]);
    expect(r.shape).toEqual([1, 6, 4]);
    const t = ops.transpose(g, a, [0, 2, 3, 1]);
    expect(t.shape).toEqual([1, 3, 4, 2]);
    const e = ops.einsum(g, 'bhwc,hkc->bhwk', t, g.constant(rand(3 * 5 * 2, 3), [3, 5, 2], 'float32'));
    expect(e.shape).toEqual([1, 3, 4, 5]);
    const c = ops.concat(g, [e, e], 3);
    expect(c.shape).toEqual([1, 3, 4, 10]);
    const s = ops.slice(g, c, [1], [100], [3]);
    expect(s.shape).toEqual([1, 3, 4, 9]);
    const z = ops.resizeBilinear(g, a, [1, 2, 6, 8]);
    g.output(s, 's');
    g.output(z, 'z');
    const out = await run(g, { a: new ort.Tensor('float32', rand(24, 4), [1, 2, 3, 4]) });
    expect(out.s!.dims).toEqual([1, 3, 4, 9]);
    expect(out.z!.dims).toEqual([1, 2, 6, 8]);
  });
});
