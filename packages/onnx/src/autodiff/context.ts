/**
 * What a backward rule sees, and the helpers every rule family shares. Rules need static shapes:
 * training graphs are built per batch shape, so every dim is a number.
 */
import type { Graph, NodeDef } from '../graph.js';
import { ints, reshape } from '../ops.js';
import { formatShape, isStatic, type DType, type SymTensor } from '../tensor.js';

export interface RuleContext {
  g: Graph;
  node: NodeDef;
  /** The node's inputs (null for an omitted optional input). */
  inputs: (SymTensor | null)[];
  outputs: SymTensor[];
  /** Whether input i needs a gradient (it depends on a parameter); rules may skip the others. */
  needs: (i: number) => boolean;
}

/**
 * A backward rule: given the gradients of the node's outputs (null where an output has none),
 * returns one gradient per input (null: none, or not needed), each of the input's own shape.
 */
export type BackwardRule = (ctx: RuleContext, gradOut: (SymTensor | null)[]) => (SymTensor | null)[];

export function fail(ctx: RuleContext, message: string): never {
  return ctx.g.fail(`autodiff of ${ctx.node.op} node "${ctx.node.name}": ${message}`);
}

/** The static shape of `t`, or a clear error: autodiff works on graphs with known shapes. */
export function dims(ctx: RuleContext, t: SymTensor): number[] {
  if (!isStatic(t.shape))
    fail(ctx, `tensor "${t.name}" has a symbolic shape ${formatShape(t.shape)}; build the training graph with static shapes`);
  return [...t.shape];
}

export function input(ctx: RuleContext, i: number): SymTensor {
  return ctx.inputs[i] ?? fail(ctx, `input ${i} is missing`);
}

/** A rank-0 constant of `dtype`, so it broadcasts anywhere (float32 or float64 graphs). */
export function lit(g: Graph, v: number, dtype: DType): SymTensor {
  return g.constant(dtype === 'float64' ? new Float64Array([v]) : new Float32Array([v]), [], dtype);
}

/** The values of a constant int64 input (shapes, axes, starts) as numbers. */
export function constInts(ctx: RuleContext, t: SymTensor | null): number[] | undefined {
  if (!t) return undefined;
  const v = t.value ?? fail(ctx, `input "${t.name}" must be a constant to be differentiated through`);
  return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

/** ONNX nodes built directly (ops the forward builder does not need). */
export function node1(
  g: Graph,
  op: string,
  inputs: (SymTensor | null)[],
  like: SymTensor,
  shape: readonly number[],
  attrs = {},
): SymTensor {
  return g.node1(op, inputs, like.dtype, shape, attrs);
}

/** Sum over axes (opset 13+: axes as an input). */
export function reduceSum(g: Graph, x: SymTensor, axes: readonly number[], keepdims: boolean): SymTensor {
  const shape = x.shape as readonly number[];
  const ax = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const out = keepdims ? shape.map((d, i) => (ax.has(i) ? 1 : d)) : shape.filter((_, i) => !ax.has(i));
  return node1(g, 'ReduceSum', [x, ints(g, [...ax])], x, out, { keepdims: keepdims ? 1 : 0 });
}

/**
 * The gradient of a broadcast: sums `grad` over the dims that broadcasting added or stretched
 * from 1, so it takes `shape` (numpy rules, as ONNX's elementwise ops and MatMul's batch dims).
 */
export function sumTo(ctx: RuleContext, grad: SymTensor, shape: readonly number[]): SymTensor {
  const gs = dims(ctx, grad);
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  gs.forEach((d, i) => {
    const target = i < lead ? 1 : (shape[i - lead] as number);
    if (i < lead || (target === 1 && d !== 1)) axes.push(i);
    else if (target !== d) fail(ctx, `gradient ${formatShape(gs)} does not reduce to ${formatShape(shape)}`);
  });
  let out = axes.length ? reduceSum(ctx.g, grad, axes, true) : grad;
  if (lead > 0 || axes.length) out = reshape(ctx.g, out, shape.length ? [...shape] : []);
  return out;
}
