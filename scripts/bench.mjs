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
 *          [--precision fp32|fp16|int8] [--no-doc] [--wait-load L] [--doc-only]
 *          [--reference-encoder FILE.onnx [--rounds K]]
 * --reference-encoder: time another encoder graph (the reference's own ONNX export, say) on the
 * same input, onnxruntime-node and threads, interleaved with ours over K rounds (default 2) of
 * fresh processes, and report both and the ratio (ours / theirs). Only a same-run ratio is a
 * comparison: never set a figure beside one measured on another machine.
 * --wait-load L: before each figure, wait (up to 10 min) until the 1-minute load average is below L
 * (the machine may be shared; the load before and after each figure is recorded either way).
 * --json prints one line per figure: {"name","median_ms","min_ms","max_ms","runs","peak_rss_mb"}.
 * Without --json a table is printed. Results are merged into .bench/results.json and, unless
 * --no-doc (or --precision other than fp32), rendered into docs/PERFORMANCE.md between the
 * `bench:results` markers. Benchmarks only: nothing here fails on a slow machine.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { browserFigure } from './bench/browser.mjs';
import { BENCH_DIR, ROOT, fmtMs, hasFixture, log, median } from './bench/common.mjs';
import { renderTable, writeDoc } from './bench/doc.mjs';
import { FIGURES } from './bench/figures.mjs';
import { ensureExport, spawnNode } from './bench/models.mjs';

const RESULTS = join(BENCH_DIR, 'results.json');
const { values: opt } = parseArgs({
  options: {
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    runs: { type: 'string' },
    threads: { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
    'no-doc': { type: 'boolean', default: false },
    'wait-load': { type: 'string' },
    'doc-only': { type: 'boolean', default: false },
    'reference-encoder': { type: 'string' },
    rounds: { type: 'string', default: '2' },
  },
});
const threads = Number(opt.threads ?? availableParallelism());

async function waitForLoad() {
  const limit = Number(opt['wait-load']);
  if (!(limit > 0)) return;
  const until = Date.now() + 10 * 60_000;
  while (loadavg()[0] >= limit && Date.now() < until) {
    log(`load ${loadavg()[0].toFixed(2)} ≥ ${limit}; waiting`);
    await sleep(15_000);
  }
}

/** One child process for one figure; returns its `BENCH` line. */
async function runChild(name, dir, runs, foreign) {
  const { stdout } = await spawnNode([
    join(ROOT, 'scripts/bench/child.mjs'),
    name,
    '--model-dir',
    dir,
    '--runs',
    String(runs),
    '--threads',
    String(threads),
    '--warmup',
    String(name === 'encoder-vitb' ? 1 : name === 'amg-32-mobilesam' ? 1 : 3),
    ...(foreign ? ['--foreign-encoder', foreign] : []),
  ]);
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`${name}: no result`);
  return JSON.parse(line.slice(6));
}

const stats = (ms, maxRssKB) => ({
  median_ms: Number(median(ms).toFixed(2)),
  min_ms: Number(Math.min(...ms).toFixed(2)),
  max_ms: Number(Math.max(...ms).toFixed(2)),
  runs: ms.length,
  peak_rss_mb: maxRssKB ? Math.round(maxRssKB / 1024) : null, // browser: not measured
});

async function runFigure(name) {
  const fig = FIGURES[name];
  const runs = Number(opt.runs ?? fig.runs);
  const dir = await ensureExport(fig.model, opt.precision);
  await waitForLoad();
  const load = [loadavg()[0]];
  let res;
  let reference;
  if (name === 'browser-decoder') {
    res = await browserFigure(dir, runs);
    if (res.skipped) return { name, skipped: res.skipped };
  } else if (opt['reference-encoder'] && name.startsWith('encoder-')) {
    // Side by side in one run: ours, theirs, ours, theirs… each in a fresh process.
    const ours = { ms: [], rss: 0 };
    const theirs = { ms: [], rss: 0 };
    for (let r = 0; r < Number(opt.rounds); r++) {
      for (const [side, foreign] of [
        [ours, undefined],
        [theirs, opt['reference-encoder']],
      ]) {
        const got = await runChild(name, dir, runs, foreign);
        side.ms.push(...got.ms);
        side.rss = Math.max(side.rss, got.maxRssKB);
      }
    }
    res = { ms: ours.ms, maxRssKB: ours.rss };
    const t = stats(theirs.ms, theirs.rss);
    reference = { file: opt['reference-encoder'], ...t, ratio: Number((median(ours.ms) / t.median_ms).toFixed(3)) };
  } else res = await runChild(name, dir, runs);
  load.push(loadavg()[0]);
  const { ms, maxRssKB, ...extra } = res;
  return {
    name,
    ...stats(ms, maxRssKB),
    extra: {
      ...extra,
      ...(reference && { reference }),
      load1: load.map((l) => Number(l.toFixed(2))),
      threads,
      precision: opt.precision,
      at: new Date().toISOString(),
    },
  };
}

async function main() {
  // Supplementary figures (not among the stable --json names) run only in the human/doc mode or by name.
  const names = opt.only
    ? opt.only.split(',').map((s) => s.trim())
    : Object.keys(FIGURES).filter(
        (n) => !(opt.json && FIGURES[n].supplementary) && !(FIGURES[n].fixture && !hasFixture(FIGURES[n].fixture)),
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
  if (opt['doc-only']) return writeDoc(results, threads); // re-render docs/PERFORMANCE.md from .bench/results.json
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
        const reference = r.extra.reference;
        process.stdout.write(
          `${JSON.stringify({ name: n, median_ms, min_ms, max_ms, runs, peak_rss_mb, ...(reference && { reference }) })}\n`,
        );
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
  if (!opt['no-doc'] && opt.precision === 'fp32') writeDoc(results, threads);
}

await main();
