import type { Graph } from './graph.js';
import { formatShape, type SymTensor } from './tensor.js';

/** A float32 tensor from a checkpoint: `data` is row-major with `shape`. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** Looks up a weight by its state-dict key; returns undefined when absent. */
export type ParamSource = (key: string) => TensorData | undefined;

/**
 * Turns state-dict entries into graph initializers, once per key, and checks their shapes so a
 * checkpoint that does not fit the architecture fails with the key and both shapes.
 */
export class Weights {
  private readonly cache = new Map<string, SymTensor>();
  /** State-dict keys that became graph inputs (training graphs), in first-use order. */
  readonly params: string[] = [];

  /**
   * `trainable` (training graphs only): keys for which it returns true become graph inputs named
   * by the key, so a gradient can be taken with respect to them; everything else stays an
   * initializer. Without it every weight is a constant, as in the exported inference graphs.
   */
  constructor(
    readonly g: Graph,
    private readonly source: ParamSource,
    private readonly trainable?: (key: string) => boolean,
  ) {}

  has(key: string): boolean {
    return this.source(key) !== undefined;
  }

  /** True when `key` is a trainable parameter of this (training) graph. */
  isParam(key: string): boolean {
    return this.trainable?.(key) === true && this.has(key);
  }

  /** The raw tensor, for build-time folding (BatchNorm, transposes, relative positions). */
  raw(key: string, shape?: readonly number[]): TensorData {
    const t = this.source(key);
    if (!t) this.g.fail(`missing weight "${key}"`);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => shape[i] !== -1 && d !== shape[i]))) {
      this.g.fail(`weight "${key}" has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
    }
    return t;
  }

  /** The weight as an initializer named by its key. `-1` in `shape` accepts any size. */
  tensor(key: string, shape?: readonly number[]): SymTensor {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const t = this.raw(key, shape);
    let sym: SymTensor;
    if (this.isParam(key)) {
      sym = this.g.input(key, 'float32', t.shape);
      this.params.push(key);
    } else sym = this.g.constant(t.data, t.shape, 'float32', key);
    this.cache.set(key, sym);
    return sym;
  }

  /**
   * A weight rearranged for the graph (transposed, reshaped): for a constant, `fold` is applied
   * once at build time and the result stored as the initializer `name` (what inference graphs
   * do); for a trainable parameter, `op` applies the same rearrangement in the graph, so the
   * gradient flows back to the state-dict key in its official shape.
   */
  view(
    key: string,
    name: string,
    fold: (t: TensorData) => TensorData,
    op: (param: SymTensor) => SymTensor,
    shape?: readonly number[],
  ): SymTensor {
    if (this.isParam(key)) {
      const hit = this.cache.get(name);
      if (hit) return hit;
      const sym = op(this.tensor(key, shape));
      this.cache.set(name, sym);
      return sym;
    }
    const t = fold(this.raw(key, shape));
    return this.derived(name, t.data, t.shape);
  }

  /** A derived initializer (e.g. a transposed or folded weight) under a readable name. */
  derived(key: string, data: Float32Array, shape: readonly number[]): SymTensor {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const sym = this.g.constant(data, shape, 'float32', key);
    this.cache.set(key, sym);
    return sym;
  }
}

/** Row-major 2-D transpose, done once at build time so Linear becomes a plain MatMul. */
export function transpose2d(t: TensorData): TensorData {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c] as number;
  return { shape: [cols, rows], data: out };
}
