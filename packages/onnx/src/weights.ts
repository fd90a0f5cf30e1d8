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

  constructor(
    readonly g: Graph,
    private readonly source: ParamSource,
  ) {}

  has(key: string): boolean {
    return this.source(key) !== undefined;
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
    const sym = this.g.constant(t.data, t.shape, 'float32', key);
    this.cache.set(key, sym);
    return sym;
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
