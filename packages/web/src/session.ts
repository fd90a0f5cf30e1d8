/** onnxruntime-web behind core's SessionLike seam (the browser twin of @tsam/node's session.ts). */
import * as ort from 'onnxruntime-web/wasm';
import { ortSession, type SessionLike } from '@tsam/core';
import { configureOrt, type WebRuntimeOptions } from './env.js';

export type WebSessionOptions = WebRuntimeOptions;

/**
 * Loads an .onnx graph from a URL or from its bytes into a WASM (SIMD, threaded when
 * cross-origin isolated) session. The first call fixes ORT's global thread count and wasm paths.
 */
export async function createWebSession(model: string | URL | Uint8Array | ArrayBuffer, opts: WebSessionOptions = {}): Promise<SessionLike> {
  configureOrt(opts);
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  let session: ort.InferenceSession;
  if (typeof model === 'string' || model instanceof URL) {
    session = await ort.InferenceSession.create(String(model), options);
  } else {
    const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
    session = await ort.InferenceSession.create(bytes, options);
  }
  return ortSession(session, (t) => new ort.Tensor('float32', t.data, [...t.dims]));
}
