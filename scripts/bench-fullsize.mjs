#!/usr/bin/env node
/**
 * Full-size benchmark on random checkpoints in the official layout (no downloads): for each model,
 * write a `.pth` with randomSamStateDict + writeTorchCheckpoint, then measure in separate child
 * processes, so each peak RSS belongs to one step:
 *   export   `tsam export --checkpoint X --out DIR` (the CLI, whole process)
 *   setImage loadSam({modelDir}) (reported as "load"), then the first setImage of one image
 *   predict  loadSam({modelDir}), setEmbedding (saved by the setImage step), then N point prompts
 *            with multimask (median reported)
 * Prints markdown tables of times, peak RSS and export file sizes.
 *
 * Usage: npm run build && node scripts/bench-fullsize.mjs [--vit-h] [--models vit_b,mobile_sam]
 *          [--dtype float32|float16|bfloat16] [--predicts 5] [--threads N] [--keep]
 * `--vit-h` adds ViT-H (2.5 GB of float32 encoder weights: the ONNX external-data path). Its .pth
 * is stored as float16 unless --dtype is given, because a float32 ViT-H .pth is 2.56 GB and
 * `loadStateDict` reads the file with readFileSync, which refuses files over 2 GiB.
 * Peak RSS is `/usr/bin/time -f %M` when present, else the child's own process.resourceUsage().
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticImage } from './bench/common.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/bin/tsam.js');
const SCENE = '/work/shared/fixtures/scene_landscape.png';
const TIME = '/usr/bin/time';

const { values: opt } = parseArgs({
  options: {
    child: { type: 'string' },
    'model-dir': { type: 'string' },
    image: { type: 'string' },
    embedding: { type: 'string' },
    'vit-h': { type: 'boolean', default: false },
    models: { type: 'string' },
    dtype: { type: 'string' },
    predicts: { type: 'string', default: '5' },
    threads: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
const sessionOpts = () => (opt.threads ? { intraOpNumThreads: Number(opt.threads) } : {});

/** The child side: one measured step, reported as one JSON line on stdout. */
async function child(kind) {
  const { loadImage, loadSam } = await import('@tsam/node');
  const dir = opt['model-dir'];
  let t = performance.now();
  const sam = await loadSam({ modelDir: dir, ...sessionOpts() });
  const out = { loadMs: performance.now() - t };
  if (kind === 'setimage') {
    const img = opt.image ? await loadImage(opt.image) : syntheticImage(1800, 1200);
    t = performance.now();
    const emb = await sam.predictor.setImage(img);
    out.setImageMs = performance.now() - t;
    out.image = `${img.width}×${img.height}`;
    writeFileSync(opt.embedding, JSON.stringify({ dims: emb.dims, width: emb.width, height: emb.height }));
    writeFileSync(`${opt.embedding}.f32`, new Uint8Array(emb.data.buffer, emb.data.byteOffset, emb.data.byteLength));
  } else {
    const meta = JSON.parse(readFileSync(opt.embedding, 'utf8'));
    const raw = readFileSync(`${opt.embedding}.f32`);
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    sam.predictor.setEmbedding({ ...meta, data });
    const point = [[Math.round(meta.width * 0.45), Math.round(meta.height * 0.55)]];
    out.predictMs = [];
    for (let i = 0; i < Number(opt.predicts); i++) {
      t = performance.now();
      const p = await sam.predictor.predict({ points: point, labels: [1], multimaskOutput: true });
      out.predictMs.push(performance.now() - t);
      if (p.masks.length !== 3 || !p.iouPredictions.every(Number.isFinite)) throw new Error('bad prediction');
    }
  }
  out.selfMaxRssKB = process.resourceUsage().maxRSS;
  process.stdout.write(`\nBENCH ${JSON.stringify(out)}\n`);
}

/** Runs `node args…`, timing the whole process and taking its peak RSS. */
function run(args, label) {
  const rssFile = join(tmpdir(), `tsam-bench-rss-${process.pid}-${Date.now()}`);
  const useTime = existsSync(TIME);
  const [cmd, argv] = useTime ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args]] : [process.execPath, args];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
      const result = line ? JSON.parse(line.slice(6)) : {};
      let rssKB = result.selfMaxRssKB;
      if (useTime && existsSync(rssFile)) {
        rssKB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        rmSync(rssFile, { force: true });
      }
      if (code !== 0) return reject(new Error(`${label} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      resolvePromise({ ...result, wallMs, rssMB: rssKB / 1024 });
    });
  });
}

/** Every file of an export dir (graphs, external data, model.json) with its size. */
function exportSizes(dir) {
  return readdirSync(dir)
    .sort()
    .map((f) => [f, statSync(join(dir, f)).size]);
}

async function main() {
  const { randomSamStateDict, writeTorchCheckpoint } = await import('@tsam/model');
  const models = (opt.models ?? 'vit_b,mobile_sam').split(',').filter(Boolean);
  if (opt['vit-h'] && !models.includes('vit_h')) models.push('vit_h');
  const image = existsSync(SCENE) ? SCENE : undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'tsam-bench-'));
  const rows = [];
  const sizes = [];
  console.error(`bench in ${tmp}; image: ${image ?? 'synthetic 1800×1200'}; ${Number(opt.predicts)} predicts`);
  try {
    for (const model of models) {
      const dtype = opt.dtype ?? (model === 'vit_h' ? 'float16' : 'float32');
      let t = performance.now();
      const sd = randomSamStateDict(model, { seed: 0 });
      const genMs = performance.now() - t;
      const ckpt = join(tmp, `${model}.pth`);
      t = performance.now();
      writeFileSync(ckpt, writeTorchCheckpoint(sd, { dtype, archiveName: model }));
      const writeMs = performance.now() - t;
      let params = 0;
      for (const x of sd.values()) params += x.data.length;
      sd.clear(); // let the values go before the children run
      const pthBytes = statSync(ckpt).size;
      console.error(
        `${model}: ${(params / 1e6).toFixed(1)}M params, .pth ${mb(pthBytes)} MB (${dtype}); generated in ${genMs.toFixed(0)} ms, written in ${writeMs.toFixed(0)} ms`,
      );
      const dir = join(tmp, `${model}-onnx`);
      const emb = join(tmp, `${model}-embedding.json`);
      const row = (step, ms, rss, note = '') => rows.push(`| ${model} | ${step} | ${ms} | ${rss} | ${note} |`);
      try {
        const ex = await run([CLI, 'export', '--checkpoint', ckpt, '--out', dir], `${model} export`);
        row('export (`tsam export`, whole process)', ex.wallMs.toFixed(0), ex.rssMB.toFixed(0), `.pth ${mb(pthBytes)} MB ${dtype}`);
        sizes.push(
          `| ${model} | ${mb(pthBytes)} | ${exportSizes(dir)
            .map(([f, s]) => `${f} ${mb(s)}`)
            .join(', ')} |`,
        );
        const childArgs = [
          fileURLToPath(import.meta.url),
          '--model-dir',
          dir,
          '--embedding',
          emb,
          ...(opt.threads ? ['--threads', opt.threads] : []),
        ];
        const si = await run([...childArgs, '--child', 'setimage', ...(image ? ['--image', image] : [])], `${model} setImage`);
        row('load (loadSam modelDir)', si.loadMs.toFixed(0), '', 'in the setImage process');
        row(`setImage (first, ${si.image})`, si.setImageMs.toFixed(0), si.rssMB.toFixed(0), `process wall ${si.wallMs.toFixed(0)} ms`);
        const pr = await run([...childArgs, '--child', 'predict', '--predicts', opt.predicts], `${model} predict`);
        const ms = pr.predictMs;
        row(
          `predict (point, multimask; median of ${ms.length})`,
          median(ms).toFixed(1),
          pr.rssMB.toFixed(0),
          `min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)}; load ${pr.loadMs.toFixed(0)} ms`,
        );
      } catch (err) {
        row('FAILED', '', '', err.message.replaceAll('|', '/'));
      }
      if (!opt.keep) rmSync(dir, { recursive: true, force: true });
      if (!opt.keep) rmSync(ckpt, { force: true });
    }
  } finally {
    if (!opt.keep) rmSync(tmp, { recursive: true, force: true });
  }
  console.log('| model | step | time (ms) | peak RSS (MB) | notes |');
  console.log('|---|---|---:|---:|---|');
  for (const r of rows) console.log(r);
  console.log('\n| model | .pth (MB) | export files (MB) |');
  console.log('|---|---:|---|');
  for (const s of sizes) console.log(s);
}

if (opt.child) await child(opt.child);
else await main();
