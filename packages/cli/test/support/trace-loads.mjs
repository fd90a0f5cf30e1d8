/**
 * Preload for `node --import` that records every module the process loads, to the file named by
 * TSAM_TRACE_LOADS (one URL or path a line): ES modules through a resolve hook (it runs on the
 * loader thread and appends synchronously, so nothing is lost at exit) and CommonJS modules
 * through `Module._load` on the main thread (sharp and onnxruntime-node are CommonJS).
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.TSAM_TRACE_LOADS;
if (out) {
  register('./trace-loads-hooks.mjs', import.meta.url, { data: { out } });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    let path = request;
    try {
      path = Module._resolveFilename(request, parent, isMain);
    } catch {
      // unresolvable: load() throws its own error below
    }
    appendFileSync(out, `cjs ${path}\n`);
    return load.call(this, request, parent, isMain);
  };
}
