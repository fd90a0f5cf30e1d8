/** Symbolic tensors: what the graph builder passes around while a graph is being built. */

/** Element types. float16/int8/uint8 appear only as stored weights (precision.ts). */
export type DType = 'float32' | 'int64' | 'int32' | 'bool' | 'float16' | 'int8' | 'uint8' | 'float64';

/** A dimension: a number when known at build time, a name (e.g. "num_points") when dynamic. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** A shape or wiring mistake found while building; the message names the layer. */
export class GraphError extends Error {
  override name = 'GraphError';
}

/** Constant values known at build time (initializers); kept so shape-carrying ops can fold. */
/** float16 data is its IEEE half bit patterns in a Uint16Array. float64 appears only in gradient-check graphs. */
export type ConstData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array | Int8Array;

export interface SymTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** Present for initializers and constants. */
  readonly value?: ConstData;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Two dims agree when equal, or when either is symbolic (checked at run time instead). */
export function dimsAgree(a: Dim, b: Dim): boolean {
  return a === b || typeof a === 'string' || typeof b === 'string';
}

/** Numpy-style broadcast of two shapes; throws naming `where` when they cannot broadcast. */
export function broadcastShapes(a: Shape, b: Shape, where: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (dimsAgree(da, db)) out.push(typeof da === 'number' ? da : db);
    else throw new GraphError(`${where}: cannot broadcast ${formatShape(a)} with ${formatShape(b)}`);
  }
  return out;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${where}: axis ${axis} out of range for rank ${rank}`);
  return a;
}
