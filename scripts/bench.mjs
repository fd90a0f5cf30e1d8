#!/usr/bin/env node
/**
 * `npm run bench`: the performance figures of docs/PERFORMANCE.md, on full-size random-weight
 * checkpoints in the official layout (generated once into .bench/, no downloads).
 *
 * Each figure runs in its own child process (so its peak RSS is its own), after a warm-up, and
 * reports the median, min and max of N runs:
 *   encoder-mobilesam  MobileSAM encoder session, one 1024² image (scene_landscape, preprocessed)
 *   encoder-vitb       ViT-B encoder session, same input
 *   predict-1pt        SamPredictor.predict, 1 point, multimask → 3 masks at 1800×1200 (MobileSAM)
 *   amg-32-mobilesam   AutomaticMaskGenerator, 32×32 points, MobileSAM, 1800×1200, encoder included
 *   browser-decoder    the decoder in headless Chromium (onnxruntime-web), when packages/web is there
 *
 * Usage: npm run build && npm run bench -- [--only a,b] [--json] [--runs N] [--threads N]
 *          [--precision fp32|fp16|int8] [--no-doc] [--wait-load L]
 * --wait-load L: before each figure, wait (up to 10 min) until the 1-minute load average is below L
 * (the machine may be shared; the load before and after each figure is recorded either way).
 * --json prints one line per figure: {"name","median_ms","min_ms","max_ms","runs","peak_rss_mb"}.
 * Without --json a table is printed. Results are merged into .bench/results.json and, unless
 * --no-doc (or --precision other than fp32), rendered into docs/PERFORMANCE.md between the
 * `bench:results` markers. Benchmarks only: nothing here fails on a slow machine.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = join(ROOT, '.bench');
const SCENE = '/work/shared/fixtures/scene_landscape.png';
const DOC = join(ROOT, 'docs/PERFORMANCE.md');
const RESULTS = join(BENCH_DIR, 'results.json');

/** Targets and the reference figures of the performance issue (2-core AMD EPYC Zen 3, 2 threads). */
const FIGURES = {
  'encoder-mobilesam': {
    model: 'mobile_sam',
    runs: 10,
    what: 'MobileSAM encoder (1024² input)',
    target: { ms: 600 },
    ref: { torch: '3.1 s', onnx: '0.91 s, 0.75 GB' },
  },
  'encoder-vitb': {
    model: 'vit_b',
    runs: 5,
    what: 'ViT-B encoder (1024² input)',
    target: { ms: 7000, rssMb: 1536 },
    ref: { torch: '28 s', onnx: '8.9 s, 7.3 GB' },
  },
  'predict-1pt': {
    model: 'mobile_sam',
    runs: 30,
    what: '`predict`, 1 point → 3 masks at 1800×1200',
    target: { ms: 25 },
    ref: { torch: '196 ms', onnx: '111 ms (decoder, orig-size masks)' },
  },
  'predict-1pt-trained': {
    model: 'sam_vit_mini_trained',
    fixture: '/work/shared/fixtures/sam_vit_mini_trained.pth',
    supplementary: true,
    runs: 30,
    what: '`predict` as above with a trained decoder (sam_vit_mini_trained fixture: same decoder size, smooth masks)',
    target: { ms: 25 },
    ref: { torch: '196 ms', onnx: '111 ms (decoder, orig-size masks)' },
  },
  'amg-32-mobilesam': {
    model: 'mobile_sam',
    runs: 3,
    what: 'AMG 32×32, MobileSAM, 1800×1200 (encoder included)',
    target: { ms: 30000 },
    ref: { torch: '242 s', onnx: '—' },
  },
  'browser-decoder': {
    model: 'mobile_sam',
    runs: 20,
    what: 'decoder in headless Chromium (onnxruntime-web, wasm)',
    target: { ms: 40 },
    ref: { torch: '—', onnx: '—' },
  },
};

const { values: opt } = parseArgs({
  options: {
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    runs: { type: 'string' },
    threads: { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
    'no-doc': { type: 'boolean', default: false },
    'wait-load': { type: 'string' },
    // child side
    child: { type: 'string' },
    'model-dir': { type: 'string' },
    warmup: { type: 'string' },
  },
});

const threads = Number(opt.threads ?? availableParallelism());
const log = (msg) => process.stderr.write(`${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------- child side: one figure

async function loadScene() {
  const { loadImage } = await import('@tsam/node');
  if (existsSync(SCENE)) return loadImage(SCENE);
  // A deterministic 1800×1200 gradient with rectangles when the fixture is absent.
  const width = 1800;
  const height = 1200;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const box = ((x >> 7) + (y >> 7)) % 3;
      data[i] = (x * 255) / width;
      data[i + 1] = box === 0 ? 40 : (y * 255) / height;
      data[i + 2] = box * 100;
    }
  }
  return { data, width, height };
}

async function timeRuns(n, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return ms;
}

async function child(name) {
  const core = await import('@tsam/core');
  const { loadSam } = await import('@tsam/node');
  const runs = Number(opt.runs);
  const warmup = Number(opt.warmup ?? 1);
  const sam = await loadSam({ modelDir: opt['model-dir'], intraOpNumThreads: threads });
  const image = await loadScene();
  const modelSize = sam.manifest.modelSize;
  const extra = {};
  let ms;
  if (name.startsWith('encoder-')) {
    const resized = core.applyImage(image.data, image.width, image.height, modelSize);
    const input = core.preprocessImage(resized.data, resized.width, resized.height, modelSize);
    const feeds = { image: { data: input, dims: [1, 3, modelSize, modelSize] } };
    ms = await timeRuns(runs, warmup, () => sam.encoder.run(feeds));
  } else if (name.startsWith('predict-1pt')) {
    await sam.predictor.setImage(image);
    const prompt = { points: [[Math.round(image.width * 0.45), Math.round(image.height * 0.55)]], labels: [1], multimaskOutput: true };
    ms = await timeRuns(runs, warmup, async () => {
      const p = await sam.predictor.predict(prompt);
      if (p.masks.length !== 3 || p.masks[0].length !== image.width * image.height) throw new Error('bad prediction');
    });
  } else if (name === 'amg-32-mobilesam') {
    const batchedDecoder = await sam.openBatchedDecoder();
    const make = (pointsPerSide) => new core.AutomaticMaskGenerator({ encoder: sam.encoder, batchedDecoder, modelSize }, { pointsPerSide });
    // Warm-up: a 4×4 grid runs both graphs once; each timed run gets a fresh generator (no cached embedding).
    for (let i = 0; i < warmup; i++) await make(4).generate(image);
    ms = [];
    const profiles = [];
    for (let i = 0; i < runs; i++) {
      const profile = { now: () => performance.now(), ms: {} };
      const t = performance.now();
      const records = await make(32).generate(image, { profile });
      ms.push(performance.now() - t);
      profiles.push(profile.ms);
      const h = createHash('sha256');
      for (const r of records)
        h.update(JSON.stringify(r, (k, v) => (v instanceof Uint8Array ? createHash('sha256').update(v).digest('hex') : v)));
      extra.records = records.length;
      extra.recordsSha256 = h.digest('hex').slice(0, 16);
    }
    extra.phasesMs = Object.fromEntries(Object.keys(profiles[0] ?? {}).map((k) => [k, Math.round(median(profiles.map((p) => p[k] ?? 0)))]));
  } else throw new Error(`unknown figure ${name}`);
  const out = { ms, maxRssKB: process.resourceUsage().maxRSS, ...extra };
  process.stdout.write(`\nBENCH ${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------- browser figure

/**
 * The decoder in headless Chromium (playwright-core + /usr/bin/chromium, onnxruntime-web's WASM
 * build from node_modules, cross-origin isolated so it gets 2 threads): decoder_lowres.onnx (what
 * the predictor runs) and the official decoder.onnx (which also upscales all 4 masks to
 * 1800×1200), one point prompt on a fixed embedding. Reported figure: decoder_lowres.onnx.
 */
async function browserFigure(modelDir, runs) {
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

// ---------------------------------------------------------------- parent side

/** A stamp of everything that shapes the exported graphs, so a code change re-exports. */
function exportStamp() {
  const h = createHash('sha256');
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.js')) h.update(f).update(readFileSync(p));
    }
  };
  walk(join(ROOT, 'packages/onnx/dist'));
  walk(join(ROOT, 'packages/model/dist'));
  h.update(readFileSync(join(ROOT, 'packages/node/dist/export.js')));
  return h.digest('hex').slice(0, 12);
}

function spawnNode(args, { capture = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`node ${args.slice(0, 3).join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
      resolvePromise({ stdout, stderr });
    });
  });
}

/** .bench/models/<variant>.pth (seed 0, float32), generated when absent; or a fixture checkpoint. */
async function ensureCheckpoint(variant) {
  const fixture = Object.values(FIGURES).find((f) => f.model === variant && f.fixture)?.fixture;
  if (fixture) {
    if (!existsSync(fixture)) throw new Error(`fixture ${fixture} not found`);
    return fixture;
  }
  const file = join(BENCH_DIR, 'models', `${variant}.pth`);
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  log(`generating a random ${variant} checkpoint → ${file}`);
  const { randomSamStateDict, writeTorchCheckpoint } = await import('@tsam/model');
  const sd = randomSamStateDict(variant, { seed: 0 });
  writeFileSync(`${file}.tmp`, writeTorchCheckpoint(sd, { dtype: 'float32', archiveName: variant }));
  sd.clear();
  renameSync(`${file}.tmp`, file);
  return file;
}

/** .bench/onnx/<variant>-<precision>-<stamp>/, exported (in a child process) when absent. */
async function ensureExport(variant, precision) {
  const stamp = exportStamp();
  const dir = join(BENCH_DIR, 'onnx', `${variant}-${precision}-${stamp}`);
  if (existsSync(join(dir, 'model.json'))) return dir;
  const ckpt = await ensureCheckpoint(variant);
  // Drop exports of older code for this variant/precision.
  const root = join(BENCH_DIR, 'onnx');
  if (existsSync(root))
    for (const d of readdirSync(root))
      if (d.startsWith(`${variant}-${precision}-`)) rmSync(join(root, d), { recursive: true, force: true });
  log(`exporting ${variant} (${precision}) → ${dir}`);
  const cli = join(ROOT, 'packages/cli/bin/tsam.js');
  await spawnNode([cli, 'export', '--checkpoint', ckpt, '--out', dir, ...(precision !== 'fp32' ? ['--precision', precision] : [])]);
  // Open the sessions once so ONNX Runtime's optimised graphs are cached (.ort-cache) before any
  // figure is measured: the figures are the steady state, not the first-ever load.
  await spawnNode([
    '--input-type=module',
    '-e',
    `const { loadSam } = await import('@tsam/node'); const s = await loadSam({ modelDir: ${JSON.stringify(dir)} }); await s.openBatchedDecoder();`,
  ]);
  return dir;
}

function cpuInfo() {
  let model = cpus()[0]?.model ?? 'unknown';
  const flags = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? model;
    const family = /cpu family\s*:\s*(\d+)/.exec(info)?.[1];
    const mod = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    const zen = { 23: 'Zen/Zen 2', 25: 'Zen 3/Zen 4', 26: 'Zen 5' }[family];
    if (family) model += ` (family ${family}, model ${mod}${zen && model.includes('AMD') ? `: ${zen}` : ''})`;
    const f = /flags\s*:\s*(.*)/.exec(info)?.[1]?.split(' ') ?? [];
    for (const x of ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'f16c']) if (f.includes(x)) flags.push(x);
  } catch {
    // not Linux
  }
  return { model, cores: availableParallelism(), flags };
}

function versions() {
  const pkg = (p) => JSON.parse(readFileSync(join(ROOT, p), 'utf8')).version;
  let ort = '?';
  try {
    ort = pkg('node_modules/onnxruntime-node/package.json');
  } catch {
    // not installed
  }
  return { node: process.version, onnxruntimeNode: ort, tsam: pkg('packages/node/package.json') };
}

async function waitForLoad() {
  const limit = Number(opt['wait-load']);
  if (!(limit > 0)) return;
  const until = Date.now() + 10 * 60_000;
  while (loadavg()[0] >= limit && Date.now() < until) {
    log(`load ${loadavg()[0].toFixed(2)} ≥ ${limit}; waiting`);
    await sleep(15_000);
  }
}

async function runFigure(name) {
  const fig = FIGURES[name];
  const runs = Number(opt.runs ?? fig.runs);
  const dir = await ensureExport(fig.model, opt.precision);
  await waitForLoad();
  const load = [loadavg()[0]];
  let res;
  if (name === 'browser-decoder') {
    res = await browserFigure(dir, runs);
    if (res.skipped) return { name, skipped: res.skipped };
  } else {
    const { stdout } = await spawnNode([
      fileURLToPath(import.meta.url),
      '--child',
      name,
      '--model-dir',
      dir,
      '--runs',
      String(runs),
      '--threads',
      String(threads),
      '--warmup',
      String(name === 'encoder-vitb' ? 1 : name === 'amg-32-mobilesam' ? 1 : 3),
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
    if (!line) throw new Error(`${name}: no result`);
    res = JSON.parse(line.slice(6));
  }
  load.push(loadavg()[0]);
  const { ms, maxRssKB, ...extra } = res;
  return {
    name,
    median_ms: Number(median(ms).toFixed(2)),
    min_ms: Number(Math.min(...ms).toFixed(2)),
    max_ms: Number(Math.max(...ms).toFixed(2)),
    runs: ms.length,
    peak_rss_mb: maxRssKB ? Math.round(maxRssKB / 1024) : null, // browser: not measured
    extra: { ...extra, load1: load.map((l) => Number(l.toFixed(2))), threads, precision: opt.precision, at: new Date().toISOString() },
  };
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 100 ? 1 : 0)} ms`);

function verdict(r) {
  const t = FIGURES[r.name].target;
  const okMs = r.median_ms <= t.ms;
  const okRss = t.rssMb === undefined || (r.peak_rss_mb ?? Infinity) <= t.rssMb;
  return okMs && okRss ? 'met' : 'missed';
}

function targetText(name) {
  const t = FIGURES[name].target;
  return `≤ ${fmtMs(t.ms)}${t.rssMb ? `, ≤ ${(t.rssMb / 1024).toFixed(1)} GB RSS` : ''}`;
}

function renderTable(results) {
  const lines = [
    '| figure | what | tsam median (min–max, runs) | peak RSS | target | met? | reference PyTorch | reference ONNX (ORT 1.30) | load (1-min avg, before → after) |',
    '|---|---|---:|---:|---|---|---:|---:|---|',
  ];
  for (const name of Object.keys(FIGURES)) {
    const r = results[name];
    const f = FIGURES[name];
    if (!r) lines.push(`| \`${name}\` | ${f.what} | not run | | ${targetText(name)} | | ${f.ref.torch} | ${f.ref.onnx} | |`);
    else if (r.skipped)
      lines.push(
        `| \`${name}\` | ${f.what} | not measurable: ${r.skipped} | | ${targetText(name)} | — | ${f.ref.torch} | ${f.ref.onnx} | |`,
      );
    else
      lines.push(
        `| \`${name}\` | ${f.what} | **${fmtMs(r.median_ms)}** (${fmtMs(r.min_ms)}–${fmtMs(r.max_ms)}, ${r.runs}) | ${r.peak_rss_mb === null ? '—' : `${r.peak_rss_mb} MB`} | ${targetText(name)} | ${verdict(r)}${f.supplementary ? ' (supplementary)' : ''} | ${f.ref.torch} | ${f.ref.onnx} | ${r.extra.load1.join(' → ')} |`,
      );
  }
  return lines.join('\n');
}

function writeDoc(results) {
  const cpu = cpuInfo();
  const v = versions();
  const first = Object.values(results).find((r) => r.extra);
  const block = [
    '<!-- bench:results:start (generated by `npm run bench`; edit outside the markers) -->',
    `Machine: ${cpu.model}, ${cpu.cores} cores (${cpu.flags.join(', ') || 'flags unknown'}); ${v.node}, onnxruntime-node ${v.onnxruntimeNode}, tsam ${v.tsam}; ${first?.extra.threads ?? threads} intra-op threads, ${first?.extra.precision ?? 'fp32'}.`,
    `Last run: ${Object.values(results)
      .map((r) => r.extra?.at)
      .filter(Boolean)
      .sort()
      .pop()}.`,
    '',
    renderTable(results),
    '<!-- bench:results:end -->',
  ].join('\n');
  const old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Performance\n\n<!-- bench:results:start -->\n<!-- bench:results:end -->\n';
  const re = /<!-- bench:results:start[\s\S]*?<!-- bench:results:end -->/;
  const next = re.test(old) ? old.replace(re, block) : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, next);
  log(`wrote ${DOC}`);
}

async function main() {
  // Supplementary figures (not among the stable --json names) run only in the human/doc mode or by name.
  const names = opt.only
    ? opt.only.split(',').map((s) => s.trim())
    : Object.keys(FIGURES).filter(
        (n) => !(opt.json && FIGURES[n].supplementary) && !(FIGURES[n].fixture && !existsSync(FIGURES[n].fixture)),
      );
  for (const n of names) if (!FIGURES[n]) throw new Error(`unknown figure "${n}" (known: ${Object.keys(FIGURES).join(', ')})`);
  if (!['fp32', 'fp16', 'int8'].includes(opt.precision)) throw new Error(`--precision must be fp32, fp16 or int8`);
  try {
    await import('@tsam/node');
  } catch (e) {
    throw new Error(`cannot import @tsam/node (${e.message}); run \`npm run build\` first`);
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  const saved = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  const key = `${opt.precision}/${threads}`;
  const results = saved[key] ?? {};
  log(
    `bench: ${names.join(', ')}; ${threads} threads; ${opt.precision}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const name of names) {
    let r;
    try {
      r = await runFigure(name);
    } catch (e) {
      log(`${name}: FAILED ${e.message}`);
      continue;
    }
    results[name] = r;
    if (opt.json) {
      if (!r.skipped) {
        const { name: n, median_ms, min_ms, max_ms, runs, peak_rss_mb } = r;
        process.stdout.write(`${JSON.stringify({ name: n, median_ms, min_ms, max_ms, runs, peak_rss_mb })}\n`);
      } else log(`${name}: not measurable: ${r.skipped}`);
    } else if (r.skipped) log(`${name}: not measurable: ${r.skipped}`);
    else
      log(
        `${name}: median ${fmtMs(r.median_ms)} (${fmtMs(r.min_ms)}–${fmtMs(r.max_ms)}, ${r.runs} runs), peak RSS ${r.peak_rss_mb} MB ${JSON.stringify(r.extra)}`,
      );
    saved[key] = results;
    writeFileSync(RESULTS, `${JSON.stringify(saved, null, 2)}\n`);
  }
  if (!opt.json) process.stdout.write(`${renderTable(results)}\n`);
  if (!opt['no-doc'] && opt.precision === 'fp32') writeDoc(results);
}

if (opt.child) await child(opt.child);
else await main();
