/** Backward rules of the reductions and the normalisations (Softmax, LayerNormalization). */
import { add, div, expand, ints, mul, reduceMean, reshape, sqrt, sub } from '../ops.js';
import { normAxis, numel, type SymTensor } from '../tensor.js';
import { constInts, dims, input, lit, reduceSum, sumTo, type BackwardRule, type RuleContext } from './context.js';

/** Reduced axes of a ReduceSum (opset 13: input) or ReduceMean (opset 17: attribute). */
function reducedAxes(ctx: RuleContext, rank: number): number[] {
  const given = ctx.node.op === 'ReduceSum' ? constInts(ctx, ctx.inputs[1] ?? null) : (ctx.node.attrs.axes as number[] | undefined);
  if (!given || given.length === 0) return [...Array(rank).keys()]; // noop_with_empty_axes is not used
  return given.map((a) => normAxis(a, rank, ctx.node.name));
}

/** The output gradient broadcast back over the reduced axes. */
function spread(ctx: RuleContext, gy: SymTensor, x: SymTensor, axes: number[]): SymTensor {
  const xs = dims(ctx, x);
  const kept = reshape(
    ctx.g,
    gy,
    xs.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
  return expand(ctx.g, kept, ints(ctx.g, xs), xs);
}

const reduceSumRule: BackwardRule = (ctx, [gy]) => {
  const x = input(ctx, 0);
  if (!gy || !ctx.needs(0)) return ctx.inputs.map(() => null);
  return [spread(ctx, gy, x, reducedAxes(ctx, dims(ctx, x).length)), null];
};

const reduceMeanRule: BackwardRule = (ctx, [gy]) => {
  const x = input(ctx, 0);
  if (!gy || !ctx.needs(0)) return [null];
  const xs = dims(ctx, x);
  const axes = reducedAxes(ctx, xs.length);
  const count = numel(axes.map((a) => xs[a] as number));
  return [mul(ctx.g, spread(ctx, gy, x, axes), lit(ctx.g, 1 / count, x.dtype))];
};

/** Softmax over one axis: dx = y·(dy − Σ dy·y). */
const softmaxRule: BackwardRule = (ctx, [gy]) => {
  if (!gy || !ctx.needs(0)) return [null];
  const y = ctx.outputs[0] as SymTensor;
  const axis = (ctx.node.attrs.axis as number | undefined) ?? -1;
  return [mul(ctx.g, y, sub(ctx.g, gy, reduceSum(ctx.g, mul(ctx.g, gy, y), [axis], true)))];
};

/**
 * LayerNormalization over axes [axis, rank): with x̂ = (x − μ)·r, r = 1/√(σ² + ε) and h = dy·γ,
 * dx = r·(h − mean(h) − x̂·mean(h·x̂)), dγ = Σ dy·x̂, dβ = Σ dy over the leading axes.
 */
const layerNormRule: BackwardRule = (ctx, [gy]) => {
  if (!gy) return [null, null, null];
  const g = ctx.g;
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  const bias = ctx.inputs[2] ?? null;
  const rank = dims(ctx, x).length;
  const axis = normAxis((ctx.node.attrs.axis as number | undefined) ?? -1, rank, ctx.node.name);
  const eps = (ctx.node.attrs.epsilon as { float: number } | undefined)?.float ?? 1e-5;
  const axes = [...Array(rank - axis).keys()].map((i) => axis + i);
  const centred = sub(g, x, reduceMean(g, x, axes));
  const r = div(g, lit(g, 1, x.dtype), sqrt(g, add(g, reduceMean(g, mul(g, centred, centred), axes), lit(g, Math.fround(eps), x.dtype))));
  const xhat = mul(g, centred, r);
  let dx: SymTensor | null = null;
  if (ctx.needs(0)) {
    const h = mul(g, gy, scale);
    dx = mul(g, r, sub(g, sub(g, h, reduceMean(g, h, axes)), mul(g, xhat, reduceMean(g, mul(g, h, xhat), axes))));
  }
  return [
    dx,
    ctx.needs(1) ? sumTo(ctx, mul(g, gy, xhat), dims(ctx, scale)) : null,
    bias && ctx.needs(2) ? sumTo(ctx, gy, dims(ctx, bias)) : null,
  ];
};

export const reduceRules: Record<string, BackwardRule> = {
  ReduceSum: reduceSumRule,
  ReduceMean: reduceMeanRule,
  Softmax: softmaxRule,
  LayerNormalization: layerNormRule,
};
