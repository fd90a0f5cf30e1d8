/**
 * Backward rules of 2-D Conv and ConvTranspose (group 1, dilation 1). The weight gradients are
 * themselves convolutions: batch and channel axes swapped, the output gradient as the kernel,
 * dilated by the forward stride.
 */
import { slice, transpose } from '../ops.js';
import type { SymTensor } from '../tensor.js';
import { dims, fail, input, reduceSum, type BackwardRule, type RuleContext } from './context.js';

interface ConvAttrs {
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

function attrs(ctx: RuleContext, w: SymTensor, transposed: boolean): ConvAttrs {
  const a = ctx.node.attrs;
  if (((a.group as number | undefined) ?? 1) !== 1) fail(ctx, 'only group 1 is supported');
  if ((a.dilations as number[] | undefined)?.some((d) => d !== 1)) fail(ctx, 'only dilation 1 is supported');
  if (a.auto_pad !== undefined && a.auto_pad !== 'NOTSET') fail(ctx, 'auto_pad is not supported; give pads');
  const ws = dims(ctx, w);
  if (ws.length !== 4) fail(ctx, 'only 2-D convolutions are supported');
  const pads = ((a.pads as number[] | undefined) ?? [0, 0, 0, 0]) as ConvAttrs['pads'];
  if (transposed && (pads.some((p) => p !== 0) || (a.output_padding as number[] | undefined)?.some((p) => p !== 0) || a.output_shape))
    fail(ctx, 'ConvTranspose with pads, output_padding or output_shape is not supported');
  return {
    kernel: [ws[2] as number, ws[3] as number],
    strides: ((a.strides as number[] | undefined) ?? [1, 1]) as [number, number],
    pads,
  };
}

const swap01 = (ctx: RuleContext, t: SymTensor) => transpose(ctx.g, t, [1, 0, 2, 3]);

/**
 * The correlation of `data` [C, N, H, W] with `kernel` [O, N, h, w] at dilation `strides`
 * (stride 1), cropped to the forward kernel: [C, O, kh, kw].
 */
function weightCorrelation(ctx: RuleContext, data: SymTensor, kernel: SymTensor, at: ConvAttrs, pads: number[]): SymTensor {
  const [c, , h, w] = dims(ctx, data) as [number, number, number, number];
  const [o, , kh2, kw2] = dims(ctx, kernel) as [number, number, number, number];
  const oh = h + (pads[0] ?? 0) + (pads[2] ?? 0) - at.strides[0] * (kh2 - 1);
  const ow = w + (pads[1] ?? 0) + (pads[3] ?? 0) - at.strides[1] * (kw2 - 1);
  const full = ctx.g.node1('Conv', [data, kernel], data.dtype, [c, o, oh, ow], {
    kernel_shape: [kh2, kw2],
    dilations: [...at.strides],
    pads,
    strides: [1, 1],
  });
  if (oh === at.kernel[0] && ow === at.kernel[1]) return full;
  return slice(ctx.g, full, [0, 0], [...at.kernel], [2, 3]);
}

/** Conv: X [N, C, H, W], W [O, C, kh, kw], B [O] → Y [N, O, Ho, Wo]. */
const convRule: BackwardRule = (ctx, [gy]) => {
  if (!gy) return [null, null, null];
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const at = attrs(ctx, w, false);
  const [, , h, wd] = dims(ctx, x) as [number, number, number, number];
  const [, , ho, wo] = dims(ctx, gy) as [number, number, number, number];
  let dx: SymTensor | null = null;
  if (ctx.needs(0)) {
    // The rows/cols the forward never reached come back through output_padding.
    const opad = [
      h - (at.strides[0] * (ho - 1) + at.kernel[0] - at.pads[0] - at.pads[2]),
      wd - (at.strides[1] * (wo - 1) + at.kernel[1] - at.pads[1] - at.pads[3]),
    ];
    dx = ctx.g.node1('ConvTranspose', [gy, w], x.dtype, dims(ctx, x), {
      kernel_shape: [...at.kernel],
      strides: [...at.strides],
      pads: [...at.pads],
      output_padding: opad,
    });
  }
  const dw = ctx.needs(1) ? swap01(ctx, weightCorrelation(ctx, swap01(ctx, x), swap01(ctx, gy), at, [...at.pads])) : null;
  const b = ctx.inputs[2] ?? null;
  return [dx, dw, b && ctx.needs(2) ? reduceSum(ctx.g, gy, [0, 2, 3], false) : null];
};

/** ConvTranspose (no pads): X [N, Ci, H, W], W [Ci, Co, kh, kw], B [Co] → Y [N, Co, s(H−1)+kh, …]. */
const convTransposeRule: BackwardRule = (ctx, [gy]) => {
  if (!gy) return [null, null, null];
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const at = attrs(ctx, w, true);
  const dx = ctx.needs(0)
    ? ctx.g.node1('Conv', [gy, w], x.dtype, dims(ctx, x), { kernel_shape: [...at.kernel], strides: [...at.strides], pads: [0, 0, 0, 0] })
    : null;
  // dW[ci, co] = Σ x[n, ci] ⋆ dy[n, co]: dy as data [Co, N, Ho, Wo], x as kernel [Ci, N, H, W] → [Co, Ci, kh, kw]
  const dw = ctx.needs(1) ? swap01(ctx, weightCorrelation(ctx, swap01(ctx, gy), swap01(ctx, x), at, [0, 0, 0, 0])) : null;
  const b = ctx.inputs[2] ?? null;
  return [dx, dw, b && ctx.needs(2) ? reduceSum(ctx.g, gy, [0, 2, 3], false) : null];
};

export const convRules: Record<string, BackwardRule> = { Conv: convRule, ConvTranspose: convTransposeRule };
