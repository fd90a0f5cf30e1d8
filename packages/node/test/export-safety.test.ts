/**
 * Exports and the ONNX cache under concurrency, failures and kills, with real processes running
 * the built dist: two processes exporting one checkpoint into one cache (one exports, the other
 * waits and reuses it; the result loads and matches the reference), an export of model B over
 * model A that fails or is SIGKILLed midway (the folder stays A byte for byte), a complete one
 * (the folder is B), the precision in the cache key, and unused-key warnings through onWarning.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { rleToMask, type Rle } from '@tsam/core';
import { readCheckpoint, writeTorchCheckpoint } from '@tsam/model';
import { ensureExported, exportCacheDir, exportModel, loadSam, readModelManifest } from '../src/index.js';
import { describeFixtures, fixturePath, manifest, readFixture, readFixtureJson, type PromptCase } from '../../../testing/fixtures.js';
import { masksAgree } from '../../../testing/compare.js';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
const work = mkdtempSync(join(tmpdir(), 'tsam-export-safety-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `code` (an ES module body with `node` = the built @tsam/node) in a new node process. */
function child(
  code: string,
  onLine?: (line: string, kill: () => void) => void,
): Promise<{ code: number | null; signal: string | null; out: string[] }> {
  const p = spawn(process.execPath, ['--input-type=module', '-e', `const node = await import(${JSON.stringify(DIST)});\n${code}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let err = '';
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      out.push(line);
      onLine?.(line, () => p.kill('SIGKILL'));
    }
  });
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res, rej) => {
    p.on('error', rej);
    p.on('close', (code, signal) =>
      code !== 0 && signal === null ? rej(new Error(`child exited ${code}: ${err}`)) : res({ code, signal, out }),
    );
  });
}

/** File → SHA-256 of every file under `dir` (ORT's .ort-cache aside). */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (!e.isFile() || path.includes('.ort-cache')) continue;
    files[path.slice(dir.length + 1)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return files;
}

/** Loads `dir` and runs the reference's first prompt case of `model` on scene_tiny: every mask non-empty and agreeing. */
async function expectRunsLikeReference(dir: string, model: string): Promise<void> {
  const c = manifest().cases.find((x): x is PromptCase => !x.onnx_contract && x.model === model && x.image === 'scene_tiny' && !!x.points)!;
  const sam = await loadSam({ modelDir: dir });
  try {
    await sam.predictor.setImage(fixturePath(manifest().images.scene_tiny!.file));
    const pred = await sam.predictor.predict({ points: c.points!, labels: c.labels!, multimaskOutput: c.multimask === true });
    const refs = readFixtureJson<Rle[]>(c.expected.masks);
    expect(pred.masks.length).toBe(refs.length);
    refs.forEach((r, i) => {
      const a = masksAgree(pred.masks[i]!, rleToMask(r));
      expect(a.refArea, `${model} ${c.id}[${i}] reference non-empty`).toBeGreaterThan(0);
      expect(a.ok, `${model} ${c.id}[${i}]: ${a.differing} differing pixels`).toBe(true);
    });
  } finally {
    for (const s of [sam.encoder, sam.decoder, sam.sessions.lowResDecoder]) await s?.release?.();
  }
}

/** Hidden temporaries beside `dir` (`.<name>.tsam-export-*`, `.tsam-old-*`) and lock files. */
const leftovers = (dir: string): string[] =>
  readdirSync(dirname(dir)).filter((n) => n.startsWith(`.${dir.split('/').pop()}.tsam-`) || n.endsWith('.lock'));

describeFixtures('export safety', () => {
  const A = fixturePath('sam_vit_mini.pth');
  const B = fixturePath('mobile_sam_random.pth');

  it('two processes exporting the same checkpoint into one cache: one exports, the other reuses it; the result runs', async () => {
    const cache = join(work, 'cache');
    const code = `const steps = [];
const dir = await node.ensureExported(${JSON.stringify(A)}, { cacheDir: ${JSON.stringify(cache)}, onStep: (s) => steps.push(s) });
console.log(JSON.stringify({ dir, exported: steps.length > 0 }));`;
    const results = await Promise.all([child(code), child(code)]);
    const answers = results.map((r) => JSON.parse(r.out.at(-1)!) as { dir: string; exported: boolean });
    expect(answers[0]!.dir).toBe(answers[1]!.dir);
    expect(answers.filter((a) => a.exported).length, 'exactly one process exported').toBe(1);
    const dir = answers[0]!.dir;
    expect(readModelManifest(dir).checkpoint.file).toBe('sam_vit_mini.pth');
    expect(leftovers(dir)).toEqual([]);
    await expectRunsLikeReference(dir, 'sam_vit_mini');
  });

  it('export B over A: a failure midway leaves A byte for byte; so does SIGKILL; a complete export leaves B', async () => {
    const out = join(work, 'out');
    await exportModel(A, out);
    const a = snapshot(out);
    expect(Object.keys(a).sort()).toEqual(['decoder.onnx', 'decoder_batched.onnx', 'decoder_lowres.onnx', 'encoder.onnx', 'model.json']);

    const failAt = (step: string) => (s: string) => {
      if (s === step) throw new Error('simulated failure');
    };
    await expect(exportModel(B, out, { onStep: failAt('decoder_batched.onnx') })).rejects.toThrow('simulated failure');
    expect(snapshot(out)).toEqual(a);
    expect(leftovers(out)).toEqual([]);

    // A real kill, once B's encoder and decoder are written.
    let killed = false;
    const r = await child(
      `await node.exportModel(${JSON.stringify(B)}, ${JSON.stringify(out)}, { onStep: (s) => console.log(s) });`,
      (line, kill) => {
        if (line === 'decoder_batched.onnx' && !killed) {
          killed = true;
          kill();
        }
      },
    );
    expect(r.signal).toBe('SIGKILL');
    expect(snapshot(out)).toEqual(a);
    expect(readModelManifest(out).checkpoint.file).toBe('sam_vit_mini.pth');
    expect(leftovers(out).length, 'the killed export left its temporary folder').toBe(1);

    await exportModel(B, out); // sweeps the dead process's temporary
    const b = snapshot(out);
    expect(readModelManifest(out).checkpoint.file).toBe('mobile_sam_random.pth');
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const f of Object.keys(a)) expect(b[f], f).not.toBe(a[f]);
    expect(leftovers(out)).toEqual([]);
    await expectRunsLikeReference(out, 'mobile_sam_random');
  });

  it('a folder with other files in it: they are kept, and a failed export still leaves the old model', async () => {
    const out = join(work, 'mixed');
    await exportModel(A, out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const a = snapshot(out);
    await expect(
      exportModel(B, out, {
        onStep: (s) => {
          if (s === 'decoder.onnx') throw new Error('simulated failure');
        },
      }),
    ).rejects.toThrow('simulated failure');
    expect(snapshot(out)).toEqual(a);
    await exportModel(B, out);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readModelManifest(out).checkpoint.file).toBe('mobile_sam_random.pth');
    expect(leftovers(out)).toEqual([]);
  });

  it('the cache key includes the precision: fp16 and fp32 exports of one checkpoint live apart', async () => {
    const cache = join(work, 'cache-precision');
    const fp32 = await ensureExported(A, { cacheDir: cache });
    const fp16 = await ensureExported(A, { cacheDir: cache, precision: 'fp16' });
    expect(fp16).not.toBe(fp32);
    expect(fp16).toBe(`${fp32}-fp16`);
    expect(fp32).toBe(exportCacheDir(readModelManifest(fp32).checkpoint.sha256, 'fp32', cache));
    expect(readModelManifest(fp32).precision).toBeUndefined();
    expect(readModelManifest(fp16).precision).toBe('fp16');
    // Asking again reuses each without exporting.
    const steps: string[] = [];
    expect(await ensureExported(A, { cacheDir: cache, precision: 'fp16', onStep: (s) => steps.push(s) })).toBe(fp16);
    expect(await ensureExported(A, { cacheDir: cache, onStep: (s) => steps.push(s) })).toBe(fp32);
    expect(steps).toEqual([]);
  });

  it('a checkpoint with SAM-HQ extras: exported with a warning through onWarning (nothing on stderr), repeated on every load', async () => {
    const sd = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const extras = ['mask_decoder.hf_token.weight', 'mask_decoder.hf_mlp.layers.0.weight', 'mask_decoder.hf_mlp.layers.0.bias'];
    sd.set(extras[0]!, { shape: [1, 256], data: new Float32Array(256) });
    sd.set(extras[1]!, { shape: [256, 256], data: new Float32Array(256 * 256) });
    sd.set(extras[2]!, { shape: [256], data: new Float32Array(256) });
    const ckpt = join(work, 'sam_hq_like.pth');
    writeFileSync(ckpt, writeTorchCheckpoint(sd));
    const stderr = vi.spyOn(process.stderr, 'write');
    const warnings: string[] = [];
    const m = await exportModel(ckpt, join(work, 'hq'), { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([`sam_hq_like.pth: ignored 3 checkpoint keys the model does not use: ${extras.join(', ')}`]);
    expect(m.checkpoint.unusedKeys).toEqual(extras);
    const cache = join(work, 'cache-hq');
    const loadWarnings: string[] = [];
    for (let i = 0; i < 2; i++) {
      const sam = await loadSam({ checkpoint: ckpt, cacheDir: cache, onWarning: (w) => loadWarnings.push(w) });
      await sam.encoder.release?.();
    }
    expect(loadWarnings).toEqual([warnings[0], warnings[0]]); // once per load: the export's own is not repeated
    expect(stderr.mock.calls.filter(([s]) => String(s).includes('ignored')).length).toBe(0);
    stderr.mockRestore();
  });
});
