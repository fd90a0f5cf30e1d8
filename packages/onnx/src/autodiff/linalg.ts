/** Backward rules of the matrix products. */
import { matmul, mul, transpose } from '../ops.js';
import type { SymTensor } from '../tensor.js';
import { dims, fail, input, lit, sumTo, type BackwardRule, type RuleContext } from './context.js';

/** Swaps the last two axes. */
function t2(ctx: RuleContext, x: SymTensor): SymTensor {
  const r = dims(ctx, x).length;
  return transpose(ctx.g, x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

/** MatMul [..., m, k] × [..., k, n] (batch dims broadcast): dA = dY·Bᵀ, dB = Aᵀ·dY, summed over broadcast batch dims. */
const matmulRule: BackwardRule = (ctx, [gy]) => {
  if (!gy) return [null, null];
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  if (dims(ctx, a).length < 2 || dims(ctx, b).length < 2) fail(ctx, 'rank-1 operands are not supported');
  return [
    ctx.needs(0) ? sumTo(ctx, matmul(ctx.g, gy, t2(ctx, b)), dims(ctx, a)) : null,
    ctx.needs(1) ? sumTo(ctx, matmul(ctx.g, t2(ctx, a), gy), dims(ctx, b)) : null,
  ];
};

/** Gemm: Y = α·op(A)·op(B) + β·C, op = transpose when transA / transB. */
const gemmRule: BackwardRule = (ctx, [gy]) => {
  if (!gy) return [null, null, null];
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const alpha = (ctx.node.attrs.alpha as { float: number } | undefined)?.float ?? 1;
  const beta = (ctx.node.attrs.beta as { float: number } | undefined)?.float ?? 1;
  const ta = ctx.node.attrs.transA === 1;
  const tb = ctx.node.attrs.transB === 1;
  const g = ctx.g;
  const scaled = alpha === 1 ? gy : mul(g, gy, lit(g, alpha, gy.dtype));
  const opA = ta ? transpose(g, a, [1, 0]) : a;
  const opB = tb ? transpose(g, b, [1, 0]) : b;
  // d op(A) = dY·op(B)ᵀ, d op(B) = op(A)ᵀ·dY; transposed back when op transposed.
  const dOpA = ctx.needs(0) ? matmul(g, scaled, transpose(g, opB, [1, 0])) : null;
  const dOpB = ctx.needs(1) ? matmul(g, transpose(g, opA, [1, 0]), scaled) : null;
  const c = ctx.inputs[2] ?? null;
  return [
    dOpA && (ta ? transpose(g, dOpA, [1, 0]) : dOpA),
    dOpB && (tb ? transpose(g, dOpB, [1, 0]) : dOpB),
    c && ctx.needs(2) ? sumTo(ctx, beta === 1 ? gy : mul(g, gy, lit(g, beta, gy.dtype)), dims(ctx, c)) : null,
  ];
};

export const linalgRules: Record<string, BackwardRule> = { MatMul: matmulRule, Gemm: gemmRule };
