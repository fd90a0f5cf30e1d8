/**
 * ONNX ops (opset 17) as functions over symbolic tensors. Each infers its output shape at build
 * time and fails, naming the current layer, when the shapes cannot work.
 */
import type { AttrValue, Graph } from './graph.js';
import {
  broadcastShapes,
  dimsAgree,
  formatShape,
  isStatic,
  normAxis,
  numel,
  type DType,
  type Dim,
  type Shape,
  type SymTensor,
} from './tensor.js';

export type Operand = SymTensor | number;

function fresh(g: Graph, hint: string): string {
  return g.uniqueName(`?${hint}`);
}

/** A float32 scalar constant (rank 0) so it broadcasts anywhere. */
export function scalar(g: Graph, v: number): SymTensor {
  return g.constant(new Float32Array([v]), [], 'float32');
}

/** An int64 1-D constant, the form ONNX wants for shapes, axes and indices. */
export function ints(g: Graph, values: readonly number[]): SymTensor {
  return g.constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'int64');
}

function operand(g: Graph, x: Operand): SymTensor {
  return typeof x === 'number' ? scalar(g, x) : x;
}

function binary(g: Graph, op: string, a: Operand, b: Operand, dtype?: DType): SymTensor {
  const ta = operand(g, a);
  const tb = operand(g, b);
  if (ta.dtype !== tb.dtype) g.fail(`${op}: dtype ${ta.dtype} vs ${tb.dtype}`);
  const shape = broadcastShapes(ta.shape, tb.shape, `${g.scopeName} ${op}`);
  return g.node1(op, [ta, tb], dtype ?? ta.dtype, shape);
}

export const add = (g: Graph, a: Operand, b: Operand) => binary(g, 'Add', a, b);
export const sub = (g: Graph, a: Operand, b: Operand) => binary(g, 'Sub', a, b);
export const mul = (g: Graph, a: Operand, b: Operand) => binary(g, 'Mul', a, b);
export const div = (g: Graph, a: Operand, b: Operand) => binary(g, 'Div', a, b);
export const pow = (g: Graph, a: Operand, b: Operand) => binary(g, 'Pow', a, b);
export const max = (g: Graph, a: Operand, b: Operand) => binary(g, 'Max', a, b);
export const min = (g: Graph, a: Operand, b: Operand) => binary(g, 'Min', a, b);
export const equal = (g: Graph, a: Operand, b: Operand) => binary(g, 'Equal', a, b, 'bool');
export const greater = (g: Graph, a: Operand, b: Operand) => binary(g, 'Greater', a, b, 'bool');

function unary(g: Graph, op: string, x: SymTensor): SymTensor {
  return g.node1(op, [x], x.dtype, x.shape);
}
export const relu = (g: Graph, x: SymTensor) => unary(g, 'Relu', x);
export const sigmoid = (g: Graph, x: SymTensor) => unary(g, 'Sigmoid', x);
export const erf = (g: Graph, x: SymTensor) => unary(g, 'Erf', x);
export const sqrt = (g: Graph, x: SymTensor) => unary(g, 'Sqrt', x);
export const sin = (g: Graph, x: SymTensor) => unary(g, 'Sin', x);
export const cos = (g: Graph, x: SymTensor) => unary(g, 'Cos', x);
export const floor = (g: Graph, x: SymTensor) => unary(g, 'Floor', x);
export const identity = (g: Graph, x: SymTensor) => unary(g, 'Identity', x);

/** where(cond, a, b) with broadcasting over all three. */
export function where(g: Graph, cond: SymTensor, a: Operand, b: Operand): SymTensor {
  const ta = operand(g, a);
  const tb = operand(g, b);
  const s = broadcastShapes(broadcastShapes(cond.shape, ta.shape, `${g.scopeName} Where`), tb.shape, `${g.scopeName} Where`);
  return g.node1('Where', [cond, ta, tb], ta.dtype, s);
}

export function cast(g: Graph, x: SymTensor, to: DType): SymTensor {
  const code = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, int8: 3, uint8: 2, float64: 11 }[to];
  return g.node1('Cast', [x], to, x.shape, { to: code });
}

/** Batched matrix product: [..., m, k] x [..., k, n] -> [..., m, n]. */
export function matmul(g: Graph, a: SymTensor, b: SymTensor): SymTensor {
  if (a.shape.length < 2 || b.shape.length < 2) g.fail(`MatMul needs rank >= 2, got ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
  const m = a.shape[a.shape.length - 2] as Dim;
  const k1 = a.shape[a.shape.length - 1] as Dim;
  const k2 = b.shape[b.shape.length - 2] as Dim;
  const n = b.shape[b.shape.length - 1] as Dim;
  if (!dimsAgree(k1, k2)) g.fail(`MatMul inner dims differ: ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), `${g.scopeName} MatMul`);
  return g.node1('MatMul', [a, b], a.dtype, [...batch, m, n]);
}

/** ONNX Reshape: 0 copies the input dim, -1 is inferred. */
export function reshape(g: Graph, x: SymTensor, shape: readonly number[]): SymTensor {
  const out: Dim[] = shape.map((d, i) => (d === 0 ? (x.shape[i] ?? g.fail(`Reshape: no dim ${i} to copy`)) : d));
  const inferAt = out.indexOf(-1);
  if (isStatic(x.shape)) {
    const total = numel(x.shape);
    const known = out.reduce<number>((a, d) => (d === -1 || typeof d !== 'number' ? a : a * d), 1);
    if (inferAt >= 0 && out.every((d) => typeof d === 'number')) out[inferAt] = total / known;
    if (out.every((d) => typeof d === 'number') && numel(out as number[]) !== total) {
      g.fail(`Reshape ${formatShape(x.shape)} to ${formatShape(shape)}: element counts differ`);
    }
  } else if (inferAt >= 0) {
    out[inferAt] = fresh(g, 'reshape');
  }
  return g.node1('Reshape', [x, ints(g, shape)], x.dtype, out);
}

export function transpose(g: Graph, x: SymTensor, perm: readonly number[]): SymTensor {
  if (perm.length !== x.shape.length) g.fail(`Transpose perm ${formatShape(perm)} for rank ${x.shape.length}`);
  return g.node1(
    'Transpose',
    [x],
    x.dtype,
    perm.map((p) => x.shape[p] as Dim),
    { perm: [...perm] },
  );
}

export function softmax(g: Graph, x: SymTensor, axis = -1): SymTensor {
  return g.node1('Softmax', [x], x.dtype, x.shape, { axis });
}

export function concat(g: Graph, xs: readonly SymTensor[], axis: number): SymTensor {
  const first = xs[0] ?? g.fail('Concat of nothing');
  const ax = normAxis(axis, first.shape.length, g.scopeName);
  let along: Dim = 0;
  for (const t of xs) {
    if (t.shape.length !== first.shape.length) g.fail(`Concat rank mismatch ${formatShape(first.shape)} vs ${formatShape(t.shape)}`);
    t.shape.forEach((d, i) => {
      if (i !== ax && !dimsAgree(d, first.shape[i] as Dim))
        g.fail(`Concat shapes differ off axis ${axis}: ${formatShape(first.shape)} vs ${formatShape(t.shape)}`);
    });
    const d = t.shape[ax] as Dim;
    along = typeof along === 'number' && typeof d === 'number' ? along + d : fresh(g, 'concat');
  }
  const shape = [...first.shape];
  shape[ax] = along;
  return g.node1('Concat', [...xs], first.dtype, shape, { axis: ax });
}

/** Static slice along `axes` (ends clamp like Python). */
export function slice(g: Graph, x: SymTensor, starts: readonly number[], ends: readonly number[], axes: readonly number[]): SymTensor {
  const shape = [...x.shape];
  axes.forEach((axis, i) => {
    const ax = normAxis(axis, shape.length, g.scopeName);
    const d = shape[ax] as Dim;
    const s = starts[i] ?? 0;
    const e = ends[i] ?? 0;
    if (typeof d === 'number') {
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      shape[ax] = Math.max(clamp(e) - clamp(s), 0);
    } else shape[ax] = s >= 0 && e >= 0 && e < 2 ** 31 ? e - s : fresh(g, 'slice');
  });
  return g.node1('Slice', [x, ints(g, starts), ints(g, ends), ints(g, axes)], x.dtype, shape);
}

/** Slice with run-time ends (int64 tensor); the sliced dims become symbolic `names`. */
export function sliceDynamic(
  g: Graph,
  x: SymTensor,
  starts: SymTensor,
  ends: SymTensor,
  axes: readonly number[],
  names: readonly string[],
): SymTensor {
  const shape = [...x.shape];
  axes.forEach((axis, i) => {
    shape[normAxis(axis, shape.length, g.scopeName)] = names[i] ?? fresh(g, 'slice');
  });
  return g.node1('Slice', [x, starts, ends, ints(g, axes)], x.dtype, shape);
}

/** Gather with a constant scalar index: drops `axis`. */
export function gatherIndex(g: Graph, x: SymTensor, index: number, axis: number): SymTensor {
  const ax = normAxis(axis, x.shape.length, g.scopeName);
  const idx = g.constant(BigInt64Array.from([BigInt(index)]), [], 'int64');
  return g.node1(
    'Gather',
    [x, idx],
    x.dtype,
    x.shape.filter((_, i) => i !== ax),
    { axis: ax },
  );
}

export function unsqueeze(g: Graph, x: SymTensor, axes: readonly number[]): SymTensor {
  const shape: Dim[] = [...x.shape];
  const rank = shape.length + axes.length;
  for (const a of [...axes].map((a) => normAxis(a, rank, g.scopeName)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
  return g.node1('Unsqueeze', [x, ints(g, axes)], x.dtype, shape);
}

export function squeeze(g: Graph, x: SymTensor, axes: readonly number[]): SymTensor {
  const drop = new Set(axes.map((a) => normAxis(a, x.shape.length, g.scopeName)));
  for (const a of drop)
    if (x.shape[a] !== 1 && typeof x.shape[a] === 'number') g.fail(`Squeeze axis ${a} of ${formatShape(x.shape)} is not 1`);
  return g.node1(
    'Squeeze',
    [x, ints(g, axes)],
    x.dtype,
    x.shape.filter((_, i) => !drop.has(i)),
  );
}

/** Broadcast `x` to `shape` (a run-time int64 tensor); `outShape` is what the caller knows. */
export function expand(g: Graph, x: SymTensor, shape: SymTensor, outShape: Shape): SymTensor {
  return g.node1('Expand', [x, shape], x.dtype, outShape);
}

export function shapeOf(g: Graph, x: SymTensor): SymTensor {
  return g.node1('Shape', [x], 'int64', [x.shape.length]);
}

export function reduceMean(g: Graph, x: SymTensor, axes: readonly number[], keepdims = true): SymTensor {
  const ax = new Set(axes.map((a) => normAxis(a, x.shape.length, g.scopeName)));
  const shape = keepdims ? x.shape.map((d, i) => (ax.has(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.has(i));
  return g.node1('ReduceMean', [x], x.dtype, shape, { axes: [...ax], keepdims: keepdims ? 1 : 0 });
}

/** Zero (constant) padding; `pads` is ONNX order: all begins then all ends. */
export function pad(g: Graph, x: SymTensor, pads: readonly number[]): SymTensor {
  const r = x.shape.length;
  if (pads.length !== 2 * r) g.fail(`Pad needs ${2 * r} values, got ${pads.length}`);
  const shape = x.shape.map((d, i) => (typeof d === 'number' ? d + (pads[i] ?? 0) + (pads[i + r] ?? 0) : d));
  return g.node1('Pad', [x, ints(g, pads)], x.dtype, shape, { mode: 'constant' });
}

/**
 * Bilinear resize with half-pixel centres and no antialias, i.e. torch's
 * F.interpolate(mode="bilinear", align_corners=False). `sizes` is a full int64 NCHW size.
 */
export function resizeBilinear(g: Graph, x: SymTensor, sizes: SymTensor | readonly number[], outShape?: Shape): SymTensor {
  const sizesT = Array.isArray(sizes) ? ints(g, sizes as number[]) : (sizes as SymTensor);
  const shape = outShape ?? (Array.isArray(sizes) ? (sizes as number[]) : x.shape.map(() => fresh(g, 'resize')));
  return g.node1('Resize', [x, null, null, sizesT], x.dtype, shape, {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

/** Einsum with explicit output ("bhwc,hkc->bhwk"); output dims are looked up by letter. */
export function einsum(g: Graph, equation: string, a: SymTensor, b: SymTensor): SymTensor {
  const [lhs, rhs] = equation.replace(/\s/g, '').split('->') as [string, string | undefined];
  const [ea, eb] = lhs.split(',') as [string, string];
  if (rhs === undefined || ea.length !== a.shape.length || eb.length !== b.shape.length) {
    g.fail(`Einsum "${equation}" does not fit ${formatShape(a.shape)}, ${formatShape(b.shape)}`);
  }
  const dims = new Map<string, Dim>();
  const note = (letters: string, shape: Shape) =>
    [...letters].forEach((ch, i) => {
      const d = shape[i] as Dim;
      const prev = dims.get(ch);
      if (prev !== undefined && !dimsAgree(prev, d) && prev !== 1 && d !== 1) g.fail(`Einsum "${equation}": ${ch} is ${prev} and ${d}`);
      if (prev === undefined || prev === 1) dims.set(ch, d);
    });
  note(ea, a.shape);
  note(eb, b.shape);
  return g.node1(
    'Einsum',
    [a, b],
    a.dtype,
    [...rhs].map((ch) => dims.get(ch) ?? g.fail(`Einsum output ${ch} unknown`)),
    { equation },
  );
}

/** Bilinear resize by constant per-axis `scales` (half-pixel, no antialias). */
export function resizeBilinearScales(g: Graph, x: SymTensor, scales: readonly number[]): SymTensor {
  const shape = x.shape.map((d, i) => (typeof d === 'number' ? Math.floor(d * (scales[i] ?? 1)) : d));
  return g.node1('Resize', [x, null, g.constant(Float32Array.from(scales), [scales.length], 'float32')], x.dtype, shape, {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

/** ONNX Runtime's contrib operator set (CPU, WebAssembly and GPU execution providers). */
export const MS_DOMAIN = 'com.microsoft';

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** Multiplies q·kᵀ; default 1/√headSize. */
  scale?: number;
  /** Added to the scaled logits before softmax: [1|B, 1|heads, S, T]. */
  attentionBias?: SymTensor | null;
}

/**
 * com.microsoft MultiHeadAttention: softmax(q·kᵀ·scale + attentionBias)·v per head, with the
 * heads split from and merged back into the last dim: q [B, S, heads·dk], k [B, T, heads·dk],
 * v [B, T, heads·dv] → [B, S, heads·dv]. With `k` and `v` null, `q` is packed QKV
 * [B, S, heads, 3, d] (per head q | k | v). ONNX Runtime only (not a standard ONNX op).
 */
export function multiHeadAttention(
  g: Graph,
  q: SymTensor,
  k: SymTensor | null,
  v: SymTensor | null,
  opts: MultiHeadAttentionOptions,
): SymTensor {
  const { numHeads, scale, attentionBias = null } = opts;
  let out: Dim[];
  if (k === null || v === null) {
    if (k !== v) g.fail('MultiHeadAttention: give both k and v, or neither (packed QKV)');
    if (q.shape.length !== 5 || q.shape[2] !== numHeads || q.shape[3] !== 3)
      g.fail(`MultiHeadAttention: packed QKV must be [B, S, ${numHeads}, 3, d], got ${formatShape(q.shape)}`);
    const d = q.shape[4] as Dim;
    out = [q.shape[0] as Dim, q.shape[1] as Dim, typeof d === 'number' ? d * numHeads : fresh(g, 'mha')];
  } else {
    for (const t of [q, k, v])
      if (t.shape.length !== 3) g.fail(`MultiHeadAttention: q, k, v must be [B, S, hidden], got ${formatShape(t.shape)}`);
    const dq = q.shape[2] as Dim;
    const dk = k.shape[2] as Dim;
    const dv = v.shape[2] as Dim;
    if (!dimsAgree(dq, dk)) g.fail(`MultiHeadAttention: q ${formatShape(q.shape)} and k ${formatShape(k.shape)} hidden sizes differ`);
    if (!dimsAgree(k.shape[1] as Dim, v.shape[1] as Dim))
      g.fail(`MultiHeadAttention: k ${formatShape(k.shape)} and v ${formatShape(v.shape)} lengths differ`);
    for (const d of [dq, dv])
      if (typeof d === 'number' && d % numHeads !== 0) g.fail(`MultiHeadAttention: hidden ${d} does not split over ${numHeads} heads`);
    out = [q.shape[0] as Dim, q.shape[1] as Dim, dv];
  }
  const attrs: Record<string, AttrValue> = { num_heads: numHeads };
  if (scale !== undefined) attrs.scale = { float: scale };
  return g.node1('MultiHeadAttention', [q, k, v, null, null, attentionBias], q.dtype, out, attrs, MS_DOMAIN);
}
