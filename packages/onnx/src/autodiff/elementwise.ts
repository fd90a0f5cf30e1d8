/** Backward rules of the elementwise ops (numpy broadcasting is undone by `sumTo`). */
import { cast, div, greater, mul, sigmoid, sub, where } from '../ops.js';
import type { SymTensor } from '../tensor.js';
import { dims, input, lit, node1, sumTo, type BackwardRule, type RuleContext } from './context.js';

const gradOf = (ctx: RuleContext, gy: (SymTensor | null)[]): SymTensor | null => gy[0] ?? null;
const neg = (ctx: RuleContext, x: SymTensor) => mul(ctx.g, x, lit(ctx.g, -1, x.dtype));
/** A unary rule whose input gradient is gy · f'(x, y). */
const unary =
  (dfdx: (ctx: RuleContext, x: SymTensor, y: SymTensor, gy: SymTensor) => SymTensor): BackwardRule =>
  (ctx, gys) => {
    const gy = gradOf(ctx, gys);
    if (!gy || !ctx.needs(0)) return [null];
    return [dfdx(ctx, input(ctx, 0), ctx.outputs[0] as SymTensor, gy)];
  };

const binary =
  (
    da: (ctx: RuleContext, a: SymTensor, b: SymTensor, y: SymTensor, gy: SymTensor) => SymTensor,
    db: (ctx: RuleContext, a: SymTensor, b: SymTensor, y: SymTensor, gy: SymTensor) => SymTensor,
  ): BackwardRule =>
  (ctx, gys) => {
    const gy = gradOf(ctx, gys);
    if (!gy) return [null, null];
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const y = ctx.outputs[0] as SymTensor;
    return [
      ctx.needs(0) ? sumTo(ctx, da(ctx, a, b, y, gy), dims(ctx, a)) : null,
      ctx.needs(1) ? sumTo(ctx, db(ctx, a, b, y, gy), dims(ctx, b)) : null,
    ];
  };

export const elementwiseRules: Record<string, BackwardRule> = {
  Add: binary(
    (_c, _a, _b, _y, gy) => gy,
    (_c, _a, _b, _y, gy) => gy,
  ),
  Sub: binary(
    (_c, _a, _b, _y, gy) => gy,
    (c, _a, _b, _y, gy) => neg(c, gy),
  ),
  Mul: binary(
    (c, _a, b, _y, gy) => mul(c.g, gy, b),
    (c, a, _b, _y, gy) => mul(c.g, gy, a),
  ),
  // d(a/b)/db = −a/b² = −y/b
  Div: binary(
    (c, _a, b, _y, gy) => div(c.g, gy, b),
    (c, _a, b, y, gy) => neg(c, div(c.g, mul(c.g, gy, y), b)),
  ),
  // d(aᵇ)/da = b·aᵇ⁻¹ (no division by a, so a = 0 is fine); d(aᵇ)/db = aᵇ·ln a
  Pow: binary(
    (c, a, b, _y, gy) =>
      mul(c.g, gy, mul(c.g, b, node1(c.g, 'Pow', [a, sub(c.g, b, lit(c.g, 1, b.dtype))], a, dims(c, c.outputs[0] as SymTensor)))),
    (c, a, _b, y, gy) => mul(c.g, gy, mul(c.g, y, node1(c.g, 'Log', [a], a, dims(c, a)))),
  ),
  Identity: unary((_c, _x, _y, gy) => gy),
  Neg: unary((c, _x, _y, gy) => neg(c, gy)),
  Relu: unary((c, x, _y, gy) => mul(c.g, gy, cast(c.g, greater(c.g, x, lit(c.g, 0, x.dtype)), x.dtype))),
  Sigmoid: unary((c, _x, y, gy) => mul(c.g, gy, mul(c.g, y, sub(c.g, lit(c.g, 1, y.dtype), y)))),
  Tanh: unary((c, _x, y, gy) => mul(c.g, gy, sub(c.g, lit(c.g, 1, y.dtype), mul(c.g, y, y)))),
  Exp: unary((c, _x, y, gy) => mul(c.g, gy, y)),
  Log: unary((c, x, _y, gy) => div(c.g, gy, x)),
  Sqrt: unary((c, _x, y, gy) => div(c.g, gy, mul(c.g, y, lit(c.g, 2, y.dtype)))),
  Sin: unary((c, x, _y, gy) => mul(c.g, gy, node1(c.g, 'Cos', [x], x, dims(c, x)))),
  Cos: unary((c, x, _y, gy) => neg(c, mul(c.g, gy, node1(c.g, 'Sin', [x], x, dims(c, x))))),
  Abs: unary((c, x, _y, gy) => mul(c.g, gy, node1(c.g, 'Sign', [x], x, dims(c, x)))),
  // softplus(x) = ln(1 + eˣ), whose derivative is the sigmoid
  Softplus: unary((c, x, _y, gy) => mul(c.g, gy, sigmoid(c.g, x))),
  // erf'(x) = 2/√π · exp(−x²)
  Erf: unary((c, x, _y, gy) => {
    const e = node1(c.g, 'Exp', [neg(c, mul(c.g, x, x))], x, dims(c, x));
    return mul(c.g, gy, mul(c.g, e, lit(c.g, 2 / Math.sqrt(Math.PI), x.dtype)));
  }),
  Where: (ctx, gys) => {
    const gy = gradOf(ctx, gys);
    if (!gy) return [null, null, null];
    const cond = input(ctx, 0);
    const zero = lit(ctx.g, 0, gy.dtype);
    return [
      null,
      ctx.needs(1) ? sumTo(ctx, where(ctx.g, cond, gy, zero), dims(ctx, input(ctx, 1))) : null,
      ctx.needs(2) ? sumTo(ctx, where(ctx.g, cond, zero, gy), dims(ctx, input(ctx, 2))) : null,
    ];
  },
  // Clip passes the gradient where min ≤ x ≤ max (the bounds themselves get none).
  Clip: (ctx, gys) => {
    const gy = gradOf(ctx, gys);
    if (!gy || !ctx.needs(0)) return [null, null, null];
    const x = input(ctx, 0);
    const [, lo, hi] = ctx.inputs;
    let out = gy;
    const zero = lit(ctx.g, 0, gy.dtype);
    if (lo) out = where(ctx.g, ctx.g.node1('Less', [x, lo], 'bool', dims(ctx, x)), zero, out);
    if (hi) out = where(ctx.g, greater(ctx.g, x, hi), zero, out);
    return [out, null, null];
  },
  // A float-to-float Cast passes the gradient; casts from integers or booleans end the path.
  Cast: (ctx, gys) => {
    const gy = gradOf(ctx, gys);
    const x = input(ctx, 0);
    if (!gy || !ctx.needs(0) || !(x.dtype === 'float32' || x.dtype === 'float64')) return [null];
    return [gy.dtype === x.dtype ? gy : cast(ctx.g, gy, x.dtype)];
  },
};

/** Ops whose outputs carry no gradient (comparisons, shapes, index results). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Not',
  'Xor',
  'ArgMin',
  'ArgMax',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'ConstantOfShape',
  'Range',
  'Size',
  'OneHot',
]);
