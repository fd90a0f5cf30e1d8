/**
 * onnxruntime-web's global WASM settings. SIMD is always on (ORT ≥ 1.19 ships SIMD builds only);
 * threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP + COEP headers).
 */
import * as ort from 'onnxruntime-web/wasm';

export interface WebRuntimeOptions {
  /** WASM threads. Default: up to 4 when the page is cross-origin isolated, else 1. */
  threads?: number;
  /**
   * Where `ort-wasm-simd-threaded.{mjs,wasm}` are served (a URL prefix ending in `/`). The
   * annotator copies them into its build under `ort/`; nothing is fetched from a CDN.
   */
  wasmPaths?: string;
}

/** What the runtime ended up with (ORT's settings are global and fixed by the first session). */
export interface WebRuntimeInfo {
  backend: 'wasm';
  simd: true;
  threads: number;
  crossOriginIsolated: boolean;
}

let configured: WebRuntimeInfo | undefined;

/** True when SharedArrayBuffer (and so WASM threads) is available. */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/** The default thread count: min(4, cores) when cross-origin isolated, else 1. */
export function defaultThreads(): number {
  if (!isCrossOriginIsolated()) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, cores));
}

/** Sets ORT's WASM flags once; later calls return the settings in force. */
export function configureOrt(opts: WebRuntimeOptions = {}): WebRuntimeInfo {
  if (configured) return configured;
  const coi = isCrossOriginIsolated();
  const threads = coi ? Math.max(1, opts.threads ?? defaultThreads()) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false; // the annotator already runs ORT in its own worker
  if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
  configured = { backend: 'wasm', simd: true, threads, crossOriginIsolated: coi };
  return configured;
}

/** The settings in force, if a session was created. */
export function runtimeInfo(): WebRuntimeInfo | undefined {
  return configured;
}
