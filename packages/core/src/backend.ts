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

/** The part of an ONNX Runtime tensor read here (onnxruntime-common's `Tensor`, in Node and the browser). */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** The part of an ONNX Runtime `InferenceSession` used here; `T` is the runtime's own tensor class. */
export interface OrtSessionLike<T> {
  run(feeds: Record<string, T>): Promise<Record<string, OrtTensorLike>>;
  run(feeds: Record<string, T>, fetches: string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/**
 * An ONNX Runtime session (onnxruntime-node or onnxruntime-web) behind `SessionLike`: float32
 * feeds become the runtime's tensors through `toTensor` (e.g. `new ort.Tensor('float32', data, dims)`),
 * and every output must be float32 (an error names the one that is not).
 */
export function ortSession<T>(session: OrtSessionLike<T>, toTensor: (t: TensorLike) => T): SessionLike {
  return {
    async run(feeds, fetches) {
      const ortFeeds: Record<string, T> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toTensor(t);
      // Fetches limit the outputs copied back. (ORT still runs every node of the graph.)
      const out = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      const result: Record<string, TensorLike> = {};
      for (const [name, t] of Object.entries(out)) {
        if (t.type !== 'float32') throw new Error(`model output "${name}" is ${t.type}, expected float32`);
        if (!(t.data instanceof Float32Array)) throw new Error(`model output "${name}": the runtime returned no Float32Array data`);
        result[name] = { data: t.data, dims: t.dims };
      }
      return result;
    },
    release: () => session.release(),
  };
}
