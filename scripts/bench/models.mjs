/** The checkpoints and exports `npm run bench` measures, made once into .bench/ (no downloads). */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BENCH_DIR, ROOT, fixture, log } from './common.mjs';
import { FIGURES } from './figures.mjs';

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

export function spawnNode(args, { capture = true } = {}) {
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
  const name = Object.values(FIGURES).find((f) => f.model === variant && f.fixture)?.fixture;
  if (name) {
    if (!existsSync(fixture(name))) throw new Error(`fixture ${fixture(name)} not found (set TSAM_FIXTURES)`);
    return fixture(name);
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
export async function ensureExport(variant, precision) {
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
