/** Backward rules of the data-movement ops: the gradient goes back through the inverse movement. */
import { matmul, pad, reshape, slice, transpose } from '../ops.js';
import { normAxis, numel, type SymTensor } from '../tensor.js';
import { constInts, dims, fail, input, sumTo, type BackwardRule, type RuleContext } from './context.js';

/** Reshape-like ops (Reshape, Squeeze, Unsqueeze, Flatten, Identity): reshape the gradient back. */
const backToShape: BackwardRule = (ctx, [gy]) => {
  const x = input(ctx, 0);
  if (!gy || !ctx.needs(0)) return ctx.inputs.map(() => null);
  return [reshape(ctx.g, gy, dims(ctx, x)), ...ctx.inputs.slice(1).map(() => null)];
};

function transposeRule(ctx: RuleContext, [gy]: (SymTensor | null)[]): (SymTensor | null)[] {
  if (!gy || !ctx.needs(0)) return [null];
  const rank = dims(ctx, input(ctx, 0)).length;
  const perm = (ctx.node.attrs.perm as number[] | undefined) ?? [...Array(rank).keys()].reverse();
  const inv = new Array<number>(rank);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(ctx.g, gy, inv)];
}

/** Slice (static starts/ends/axes, step 1): the gradient is zero-padded back to the input. */
function sliceRule(ctx: RuleContext, [gy]: (SymTensor | null)[]): (SymTensor | null)[] {
  if (!gy || !ctx.needs(0)) return ctx.inputs.map(() => null);
  const shape = dims(ctx, input(ctx, 0));
  const starts = constInts(ctx, ctx.inputs[1] ?? null) ?? [];
  const ends = constInts(ctx, ctx.inputs[2] ?? null) ?? [];
  const axes = constInts(ctx, ctx.inputs[3] ?? null) ?? starts.map((_, i) => i);
  const steps = constInts(ctx, ctx.inputs[4] ?? null);
  if (steps?.some((s) => s !== 1)) fail(ctx, 'only step 1 is supported');
  const pads = new Array<number>(2 * shape.length).fill(0);
  axes.forEach((a, i) => {
    const ax = normAxis(a, shape.length, ctx.node.name);
    const d = shape[ax] as number;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = clamp(starts[i] ?? 0);
    const e = Math.max(clamp(ends[i] ?? d), s);
    pads[ax] = s;
    pads[ax + shape.length] = d - e;
  });
  return [pad(ctx.g, gy, pads), ...ctx.inputs.slice(1).map(() => null)];
}

function concatRule(ctx: RuleContext, [gy]: (SymTensor | null)[]): (SymTensor | null)[] {
  if (!gy) return ctx.inputs.map(() => null);
  const rank = dims(ctx, gy).length;
  const axis = normAxis(ctx.node.attrs.axis as number, rank, ctx.node.name);
  let at = 0;
  return ctx.inputs.map((x, i) => {
    const len = dims(ctx, x ?? fail(ctx, `input ${i} is missing`))[axis] as number;
    const from = at;
    at += len;
    return ctx.needs(i) ? slice(ctx.g, gy, [from], [from + len], [axis]) : null;
  });
}

/**
 * Gather with constant indices: the gradient is scattered back by a one-hot matrix, so repeated
 * indices add up (a MatMul with a [K, D] 0/1 matrix on the gradient moved to the last axes).
 */
function gatherRule(ctx: RuleContext, [gy]: (SymTensor | null)[]): (SymTensor | null)[] {
  if (!gy || !ctx.needs(0)) return [null, null];
  const x = input(ctx, 0);
  const xs = dims(ctx, x);
  const idx = constInts(ctx, input(ctx, 1)) ?? [];
  const axis = normAxis((ctx.node.attrs.axis as number | undefined) ?? 0, xs.length, ctx.node.name);
  const d = xs[axis] as number;
  const k = idx.length;
  const oneHot = x.dtype === 'float64' ? new Float64Array(k * d) : new Float32Array(k * d);
  idx.forEach((v, i) => (oneHot[i * d + (v < 0 ? v + d : v)] = 1));
  const oh = ctx.g.constant(oneHot, [k, d], x.dtype);
  // gy: [pre..., idx..., post...] → [pre..., post..., K] · [K, D] → [pre..., post..., D] → x's order
  const pre = xs.slice(0, axis);
  const post = xs.slice(axis + 1);
  const flat = reshape(ctx.g, gy, [numel(pre), k, numel(post)]);
  const moved = transpose(ctx.g, flat, [0, 2, 1]); // [pre, post, K]
  const scattered = matmul(ctx.g, moved, oh); // [pre, post, D]
  const back = transpose(ctx.g, scattered, [0, 2, 1]); // [pre, D, post]
  return [reshape(ctx.g, back, xs), null];
}

/** Expand: the gradient is summed over the broadcast dims. */
const expandRule: BackwardRule = (ctx, [gy]) => {
  if (!gy || !ctx.needs(0)) return [null, null];
  return [sumTo(ctx, gy, dims(ctx, input(ctx, 0))), null];
};

/** Constant Pad: the gradient is the slice of the padded gradient that the input occupies. */
const padRule: BackwardRule = (ctx, [gy]) => {
  if (!gy || !ctx.needs(0)) return ctx.inputs.map(() => null);
  const xs = dims(ctx, input(ctx, 0));
  const pads = constInts(ctx, input(ctx, 1)) ?? [];
  if ((ctx.node.attrs.mode ?? 'constant') !== 'constant' || pads.some((p) => p < 0)) fail(ctx, 'only non-negative constant padding');
  const starts = xs.map((_, i) => pads[i] ?? 0);
  return [
    slice(
      ctx.g,
      gy,
      starts,
      starts.map((s, i) => s + (xs[i] as number)),
      xs.map((_, i) => i),
    ),
    ...ctx.inputs.slice(1).map(() => null),
  ];
};

export const shapeRules: Record<string, BackwardRule> = {
  Reshape: backToShape,
  Squeeze: backToShape,
  Unsqueeze: backToShape,
  Flatten: backToShape,
  Transpose: transposeRule,
  Slice: sliceRule,
  Concat: concatRule,
  Gather: gatherRule,
  Expand: expandRule,
  Pad: padRule,
};
