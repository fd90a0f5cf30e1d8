/** The browser figure of `npm run bench`: the decoder in headless Chromium on onnxruntime-web. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, median } from './common.mjs';

/**
 * The decoder in headless Chromium (playwright-core + /usr/bin/chromium, onnxruntime-web's WASM
 * build from node_modules, cross-origin isolated so it gets 2 threads): decoder_lowres.onnx (what
 * the predictor runs) and the official decoder.onnx (which also upscales all 4 masks to
 * 1800×1200), one point prompt on a fixed embedding. Reported figure: decoder_lowres.onnx.
 */
export async function browserFigure(modelDir, runs) {
  const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromiumPath) return { skipped: 'no Chromium at /usr/bin/chromium' };
  const ortDir = join(ROOT, 'node_modules/onnxruntime-web/dist');
  if (!existsSync(join(ortDir, 'ort.wasm.min.mjs'))) return { skipped: 'onnxruntime-web is not installed' };
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skipped: 'playwright-core is not installed' };
  }
  const { createServer } = await import('node:http');
  const page = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = Math.min(4, navigator.hardwareConcurrency || 1);
async function bench(file, withOrig, runs) {
  const s = await ort.InferenceSession.create('/model/' + file, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const emb = new Float32Array(256 * 64 * 64);
  for (let i = 0; i < emb.length; i++) emb[i] = Math.sin(i * 0.37) * 0.5;
  const feeds = {
    image_embeddings: new ort.Tensor('float32', emb, [1, 256, 64, 64]),
    point_coords: new ort.Tensor('float32', Float32Array.of(460, 375, 0, 0), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(65536), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
  };
  if (withOrig) feeds.orig_im_size = new ort.Tensor('float32', Float32Array.of(1200, 1800), [2]);
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await s.run(feeds); ms.push(performance.now() - t); }
  await s.release();
  return ms;
}
const runs = Number(new URLSearchParams(location.search).get('runs') || 20);
try {
  const lowres = await bench('decoder_lowres.onnx', false, runs);
  const official = await bench('decoder.onnx', true, runs);
  window.__result = { lowres, official, threads: ort.env.wasm.numThreads, isolated: crossOriginIsolated };
} catch (e) { window.__result = { error: String(e && e.stack || e) }; }
</script>`;
  const types = {
    '.mjs': 'text/javascript',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
    '.onnx': 'application/octet-stream',
    '.html': 'text/html',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    let file;
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      return res.end(page);
    }
    if (url.pathname.startsWith('/ort/')) file = join(ortDir, url.pathname.slice(5));
    else if (url.pathname.startsWith('/model/')) file = join(modelDir, url.pathname.slice(7));
    if (!file || !existsSync(file) || file.includes('..')) {
      res.writeHead(404, headers);
      return res.end();
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${server.address().port}/?runs=${runs}`);
    await tab.waitForFunction(() => globalThis.__result, null, { timeout: 600_000 });
    const r = await tab.evaluate(() => globalThis.__result);
    if (r.error) throw new Error(`in Chromium: ${r.error}`);
    const version = browser.version();
    const med = (xs) => Number(median(xs).toFixed(1));
    return {
      ms: r.lowres,
      maxRssKB: 0,
      browser: `Chromium ${version}, onnxruntime-web wasm, ${r.threads} threads${r.isolated ? '' : ' (not cross-origin isolated)'}`,
      officialDecoderMedianMs: med(r.official),
    };
  } finally {
    await browser.close();
    server.close();
  }
}
