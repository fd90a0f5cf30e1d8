/**
 * The runtime seam. Core never imports a runtime: Node (onnxruntime-node) and the browser
 * (onnxruntime-web) adapters wrap their sessions in this shape.
 */

/** A float32 tensor as plain data: row-major `data` with `dims`. */
export interface TensorLike {
  data: Float32Array;
  dims: readonly number[];
}

/** One loaded ONNX graph that maps named float32 inputs to named outputs. */
export interface SessionLike {
  /**
   * Runs the graph. `fetches`, when given, names the outputs to compute and return (a runtime
   * computes only what they need, e.g. the batched decoder's low-res masks without the
   * full-size ones); without it every output is returned.
   */
  run(feeds: Record<string, TensorLike>, fetches?: readonly string[]): Promise<Record<string, TensorLike>>;
  release?(): Promise<void>;
}

/** The two graphs a predictor needs; `modelSize` is the encoder's input side (1024). */
export interface SamSessions {
  encoder: SessionLike;
  decoder: SessionLike;
  modelSize?: number;
}

/** Output by name, or a clear error naming what the graph did return. */
export function requireOutput(out: Record<string, TensorLike>, name: string): TensorLike {
  const t = out[name];
  if (!t) throw new Error(`model output "${name}" missing (got: ${Object.keys(out).join(', ')})`);
  return t;
}
