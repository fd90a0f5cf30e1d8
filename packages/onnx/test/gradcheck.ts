/**
 * Finite-difference checks of the backward rules, on onnxruntime-node. A forward graph maps
 * random inputs to y; the loss is Σ y·R with a fixed random R, so every output element matters.
 * The graph with its backward pass is run at x and at x ± h·e_j for sampled elements j; the
 * analytic gradient must match the central difference.
 */
import * as ort from 'onnxruntime-node';
import { Graph, gradients, serializeModel, type DType, type SymTensor } from '@tsam/onnx';
import { rng } from '../../../testing/rng.js';

export { rng };

export interface InputSpec {
  shape: number[];
  /** Draw from [lo, hi) instead of [−1, 1) (e.g. positive for Log, Sqrt). */
  range?: [number, number];
  /** A constant (not differentiated), e.g. a condition or an integer index. */
  fixed?: Float32Array | Float64Array;
}

export interface CheckOptions {
  dtype?: 'float32' | 'float64';
  /** Finite-difference step; default 1e-6 (float64) or 1e-2 (float32). */
  h?: number;
  /** Allowed |analytic − numeric| / max(|numeric| over the checked elements, 1e-3). */
  tol?: number;
  /** Elements sampled per input. */
  samples?: number;
  seed?: number;
}

export interface CheckResult {
  /** Worst relative error over all sampled elements. */
  maxRelError: number;
  /** Largest |numeric| seen (so a test can insist the gradient is not trivially zero). */
  maxAbsGrad: number;
  checked: number;
  /** The tolerance the check used. */
  tol: number;
}

function typed(dtype: DType, n: number): Float32Array | Float64Array {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export async function checkGradients(
  specs: InputSpec[],
  build: (g: Graph, xs: SymTensor[]) => SymTensor,
  opts: CheckOptions = {},
): Promise<CheckResult> {
  const dtype = opts.dtype ?? 'float64';
  const h = opts.h ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const tol = opts.tol ?? (dtype === 'float64' ? 1e-6 : 2e-2);
  const rand = rng(opts.seed ?? 1);
  const g = new Graph('gradcheck');
  const xs = specs.map((s, i) => {
    if (s.fixed) return g.constant(s.fixed, s.shape, dtype);
    return g.input(`x${i}`, dtype, s.shape);
  });
  const y = build(g, xs);
  const yShape = y.shape as number[];
  const rData = typed(
    dtype,
    yShape.reduce((a, b) => a * b, 1),
  ).map(() => rand() * 2 - 1);
  const r = g.constant(rData, yShape, dtype);
  const prod = g.node1('Mul', [y, r], dtype, yShape);
  const loss = g.node1('ReduceSum', [prod], dtype, [], { keepdims: 0 });
  const wrt = xs.filter((_, i) => !specs[i]?.fixed);
  const grads = gradients(g, loss, wrt);
  g.output(loss, 'loss');
  for (const t of wrt) {
    const grad = grads.get(t.name);
    if (!grad) throw new Error(`no gradient reached ${t.name}`);
    g.output(grad, `grad_${t.name}`);
  }
  const session = await ort.InferenceSession.create(serializeModel(g).model);
  const values = specs.map((s) => {
    const [lo, hi] = s.range ?? [-1, 1];
    return typed(
      dtype,
      s.shape.reduce((a, b) => a * b, 1),
    ).map(() => lo + rand() * (hi - lo));
  });
  const run = async () => {
    const feeds: Record<string, ort.Tensor> = {};
    specs.forEach((s, i) => {
      if (!s.fixed) feeds[`x${i}`] = new ort.Tensor(dtype, values[i] as Float32Array, s.shape);
    });
    return session.run(feeds);
  };
  const base = await run();
  let maxRel = 0;
  let maxAbs = 0;
  let checked = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as InputSpec;
    if (spec.fixed) continue;
    const v = values[i] as Float32Array | Float64Array;
    const analytic = base[`grad_x${i}`]?.data as Float32Array | Float64Array;
    const picks = new Set<number>();
    const samples = Math.min(opts.samples ?? 8, v.length);
    while (picks.size < samples) picks.add(Math.floor(rand() * v.length));
    const pairs: [number, number][] = [];
    for (const j of picks) {
      const x0 = v[j] as number;
      v[j] = x0 + h;
      const plus = Number((await run()).loss?.data[0]);
      v[j] = x0 - h;
      const minus = Number((await run()).loss?.data[0]);
      v[j] = x0;
      pairs.push([analytic[j] as number, (plus - minus) / (2 * h)]);
    }
    const scale = Math.max(...pairs.map(([, n]) => Math.abs(n)), 1e-3);
    for (const [a, n] of pairs) {
      maxRel = Math.max(maxRel, Math.abs(a - n) / scale);
      maxAbs = Math.max(maxAbs, Math.abs(n));
      checked++;
    }
  }
  return { maxRelError: maxRel, maxAbsGrad: maxAbs, checked, tol };
}
