/** onnxruntime-node behind core's SessionLike seam. */
import * as ort from 'onnxruntime-node';
import type { SessionLike, TensorLike } from '@tsam/core';

export interface OrtSessionOptions {
  /** Threads for one op; defaults to ORT's choice (all cores). */
  intraOpNumThreads?: number;
}

/** Loads an .onnx file (external data is read from beside it) or in-memory model bytes. */
export async function createOrtSession(model: string | Uint8Array, opts: OrtSessionOptions = {}): Promise<SessionLike> {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (opts.intraOpNumThreads) options.intraOpNumThreads = opts.intraOpNumThreads;
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  return {
    async run(feeds: Record<string, TensorLike>, fetches?: readonly string[]): Promise<Record<string, TensorLike>> {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
      // With fetches, ORT computes only the subgraph those outputs need.
      const out = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      const result: Record<string, TensorLike> = {};
      for (const [name, t] of Object.entries(out)) result[name] = { data: t.data as Float32Array, dims: t.dims };
      return result;
    },
    release: () => session.release(),
  };
}
