/**
 * The annotator's build. onnxruntime-web's runtime (`ort-wasm-simd-threaded.{mjs,wasm}`) is
 * copied into `dist/ort/` and loaded from there (`env.wasm.wasmPaths`), never from a CDN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

/** Cross-origin isolation, so WASM threads work in `vite dev` / `vite preview` too. */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * ORT's bundle names its .wasm with `new URL(…, import.meta.url)`, which Vite would emit a second
 * time as a hashed asset. The app always sets `wasmPaths`, so that fallback is pointed at `ort/`.
 */
function ortRuntime(emit: boolean): Plugin {
  return {
    name: 'tsam-ort-runtime',
    transform(code, id) {
      if (!id.includes('onnxruntime-web')) return null;
      const out = code.replaceAll(
        'new URL("ort-wasm-simd-threaded.wasm",import.meta.url)',
        'new URL("ort/ort-wasm-simd-threaded.wasm",self.location.href)',
      );
      return out === code ? null : { code: out, map: null };
    },
    generateBundle() {
      if (emit) for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [ortRuntime(true)],
  // JSX with esbuild's automatic runtime (no React plugin: no dev-time Fast Refresh needed).
  esbuild: { jsx: 'automatic' },
  worker: { format: 'es', plugins: () => [ortRuntime(false)] },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { headers: isolation },
  preview: { headers: isolation },
});
