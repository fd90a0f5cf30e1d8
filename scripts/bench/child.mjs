/**
 * Child side of `npm run bench`: one figure in its own process (so its peak RSS is its own).
 * Usage (spawned by scripts/bench.mjs): node scripts/bench/child.mjs NAME --model-dir D --runs N --threads T --warmup W
 * Prints one `BENCH {json}` line: {ms: [...], maxRssKB, ...extra}.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fixture, median, syntheticImage } from './common.mjs';

const SCENE = fixture('scene_landscape.png');
const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'model-dir': { type: 'string' },
    runs: { type: 'string' },
    threads: { type: 'string' },
    warmup: { type: 'string' },
    // Time this ONNX encoder (e.g. the reference's own export) instead of ours, on the same input.
    'foreign-encoder': { type: 'string' },
  },
});
const threads = Number(opt.threads);

async function loadScene() {
  const { loadImage } = await import('@tsam/node');
  if (existsSync(SCENE)) return loadImage(SCENE);
  return syntheticImage(1800, 1200);
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
  const foreign = opt['foreign-encoder'];
  // A foreign encoder is timed alone in its process (its RSS is its own), with our session options.
  const sam = foreign ? undefined : await loadSam({ modelDir: opt['model-dir'], intraOpNumThreads: threads });
  const image = await loadScene();
  const modelSize = sam?.manifest.modelSize ?? 1024;
  const extra = {};
  let ms;
  if (name.startsWith('encoder-')) {
    // The predictor's preprocessing (core's encoderInput), outside the timed runs.
    const feeds = { image: core.encoderInput(image, modelSize) };
    if (foreign) {
      // The same onnxruntime-node, threads and session options as ours; its own first input name.
      // (packages/node/src/session.ts: optimisation 'all', memory pattern off).
      const ort = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(foreign, {
        graphOptimizationLevel: 'all',
        enableMemPattern: false,
        intraOpNumThreads: threads,
      });
      const tensor = new ort.Tensor('float32', feeds.image.data, [...feeds.image.dims]);
      ms = await timeRuns(runs, warmup, () => s.run({ [s.inputNames[0]]: tensor }));
      extra.foreign = foreign;
    } else ms = await timeRuns(runs, warmup, () => sam.encoder.run(feeds));
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

await child(positionals[0]);
