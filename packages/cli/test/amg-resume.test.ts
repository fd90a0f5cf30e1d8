/**
 * `tsam amg` resume contract, on the real binary with the prompt-sensitive sam_vit_mini and a
 * folder of five generated images (`--format sa1b`):
 * - a run killed with SIGKILL mid-folder, then rerun, does every image exactly once and leaves
 *   outputs byte-identical to an uninterrupted run into another folder (run record and its log included);
 *   stale temporary files of the dead run are swept;
 * - a rerun with other flags or another model (or into outputs without a run record) refuses
 *   before loading the model, naming the difference, and changes nothing; `--overwrite` redoes
 *   with the new settings;
 * - SA-1B image ids are stable per file (the run record's id map), `sa_<n>` names keep `n`, and an
 *   id clash is reported instead of written; annotation ids are unique across the folder;
 * - SIGINT prints one "interrupted" line, exits 130 and leaves no temporary files or partial outputs;
 * - `--json` prints exactly one JSON summary on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import { AMG_OUTPUTS_LOG, AMG_RUN_RECORD, type AmgRunRecord } from '@tsam/node';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { BIN, show, tempDir, tsam, type RunResult } from './helpers.js';

const cache = tempDir('amg-resume-cache');
const work = tempDir('amg-resume-work');
const env = { TSAM_CACHE_DIR: cache };
const TIMEOUT = 400_000;
const NAMES = ['a.png', 'b.png', 'c.jpg', 'd.png', 'sa_42.png']; // natural order
const JSONS = NAMES.map((n) => n.replace(/\.\w+$/, '.json'));

/** A 64×48 picture of a few coloured rectangles on noise, different per `seed`. */
async function picture(seed: number, path: string): Promise<void> {
  const W = 64;
  const H = 48;
  const px = Buffer.alloc(W * H * 3);
  let s = seed * 2654435761;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(rnd() * 60);
  for (let r = 0; r < 3; r++) {
    const [x0, y0] = [Math.floor(rnd() * 40), Math.floor(rnd() * 30)];
    const colour = [rnd() * 255, rnd() * 255, rnd() * 255].map(Math.floor);
    for (let y = y0; y < y0 + 16; y++) for (let x = x0; x < x0 + 20; x++) px.set(colour, (y * W + x) * 3);
  }
  const img = sharp(px, { raw: { width: W, height: H, channels: 3 } });
  await (path.endsWith('.jpg') ? img.jpeg({ quality: 95 }) : img.png()).toFile(path);
}

interface Sa1b {
  image: { image_id: number; width: number; height: number; file_name: string };
  annotations: { id: number; area: number }[];
}

/** The run record with its outputs log (complete lines), read directly from the two files. */
function readRecord(dir: string): AmgRunRecord {
  const rec = JSON.parse(readFileSync(join(dir, AMG_RUN_RECORD), 'utf8')) as AmgRunRecord;
  const log = existsSync(join(dir, AMG_OUTPUTS_LOG)) ? readFileSync(join(dir, AMG_OUTPUTS_LOG), 'utf8') : '';
  rec.outputs = {};
  for (const line of log.split('\n').slice(0, -1)) {
    const { output, ...entry } = JSON.parse(line) as AmgRunRecord['outputs'][string] & { output: string };
    rec.outputs[output] = entry;
  }
  return rec;
}
const readSa1b = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Sa1b;
/** Hidden names other than the run record and its log: temporary files of atomic writes. */
const temps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.') && n !== AMG_RUN_RECORD && n !== AMG_OUTPUTS_LOG);
/** Image names with a "N masks" line in a run's stderr. */
const doneIn = (r: RunResult) => [...r.stderr.matchAll(/\] (\S+): \d+ masks/g)].map((m) => m[1]);

/** Spawns the CLI and stops it with `signal` once `ready()` holds (checked every 20 ms). */
function runUntil(args: string[], ready: () => boolean, signal: NodeJS.Signals): Promise<RunResult & { early: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setInterval(() => {
      if (!sent && ready()) {
        sent = true;
        child.kill(signal);
      }
    }, 20);
    child.on('close', (code, sig) => {
      clearInterval(timer);
      resolve({ code, signal: sig, stdout, stderr, early: !sent });
    });
  });
}

describeFixtures('tsam amg resume (sam_vit_mini, 5 images, --format sa1b)', () => {
  const input = join(work, 'in');
  const args = (out: string, ...extra: string[]) => [
    'amg',
    '--checkpoint',
    fixturePath('sam_vit_mini.pth'),
    '--input',
    input,
    '--output',
    out,
    '--format',
    'sa1b',
    '--points-per-side',
    '4',
    '--pred-iou-thresh',
    '0',
    '--stability-score-thresh',
    '0',
    ...extra,
  ];
  const refOut = join(work, 'ref');
  let ref: RunResult;
  /** Output JSONs present (renamed into place) in `dir`. */
  const outputsIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => JSONS.includes(n)) : []);

  beforeAll(async () => {
    mkdirSync(input, { recursive: true });
    for (const [i, n] of NAMES.entries()) await picture(i + 1, join(input, n));
    ref = await tsam([...args(refOut), '--json'], { env, timeoutMs: TIMEOUT });
    if (ref.code !== 0) throw new Error(`uninterrupted run failed: ${show(ref)}`);
  }, TIMEOUT);

  it('--json prints one summary on stdout and nothing else', () => {
    const lines = ref.stdout.split('\n').filter((l) => l !== '');
    expect(lines.length, ref.stdout).toBe(1);
    const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
    const masks = JSONS.reduce((s, n) => s + readSa1b(refOut, n).annotations.length, 0);
    expect(masks).toBeGreaterThan(0);
    expect(summary).toMatchObject({ images: 5, done: 5, skipped: 0, failed: [], masks });
    expect(typeof summary.seconds === 'number' && summary.seconds > 0).toBe(true);
    expect(ref.stderr).toMatch(/amg: 5 done, 0 skipped, 0 failed of 5 image\(s\)/); // progress and lines stay on stderr
  });

  it('ids: sa_<n> keeps n, other files get stable ids from the id map; annotation ids are unique', () => {
    const rec = readRecord(refOut);
    expect(rec.image_ids).toEqual({ 'a.png': 1, 'b.png': 2, 'c.jpg': 3, 'd.png': 4, 'sa_42.png': 42 });
    const ids: number[] = [];
    for (const [i, n] of JSONS.entries()) {
      const j = readSa1b(refOut, n);
      expect(j.image).toMatchObject({ image_id: rec.image_ids[NAMES[i]!], width: 64, height: 48, file_name: NAMES[i] });
      expect(j.annotations.length).toBeGreaterThan(0);
      expect(j.annotations.filter((a) => a.area > 0).length).toBeGreaterThan(0); // real masks, not only empty ones
      ids.push(...j.annotations.map((a) => a.id));
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it(
    'SIGKILL mid-folder, then a rerun: every image done exactly once, outputs byte-identical to the uninterrupted run',
    async () => {
      const out = join(work, 'killed');
      const killed = await runUntil(
        args(out),
        () => {
          // Some but not all images listed in the outputs log (each listed one is renamed into place).
          const n = existsSync(join(out, AMG_OUTPUTS_LOG)) ? readFileSync(join(out, AMG_OUTPUTS_LOG), 'utf8').split('\n').length - 1 : 0;
          return n >= 1 && n < NAMES.length;
        },
        'SIGKILL',
      );
      expect(killed.early, `the run finished before it could be killed: ${show(killed)}`).toBe(false);
      expect(killed.signal).toBe('SIGKILL');
      const recordedFirst = Object.keys(readRecord(out).outputs);
      expect(recordedFirst.length).toBeGreaterThanOrEqual(1);
      expect(recordedFirst.length).toBeLessThan(NAMES.length);
      // What a dead run leaves mid-write: a temp file and a replaced-output folder tagged with its pid.
      const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      writeFileSync(join(out, `.d.json.tmp-${deadPid}-zz9`), '{"partial');
      mkdirSync(join(out, `.x.old-${deadPid}-zz9`));
      const before = temps(out).length;
      const again = await tsam(args(out), { env, timeoutMs: TIMEOUT });
      expect(again.code, show(again)).toBe(0);
      expect(again.stderr).toContain(`removed ${before} temporary file(s)`);
      expect(again.stderr).toMatch(new RegExp(`skipping ${recordedFirst.length} image\\(s\\)`));
      const second = doneIn(again);
      const first = recordedFirst.map((j) => NAMES[JSONS.indexOf(j)]!);
      expect([...first, ...second].sort()).toEqual([...NAMES].sort()); // each exactly once
      expect(temps(out)).toEqual([]);
      for (const name of [...JSONS, ...NAMES, AMG_RUN_RECORD, AMG_OUTPUTS_LOG])
        expect(readFileSync(join(out, name)).equals(readFileSync(join(refOut, name))), name).toBe(true);
      expect(readdirSync(out).sort()).toEqual(readdirSync(refOut).sort());
    },
    TIMEOUT,
  );

  it(
    'a rerun with other flags or another model refuses before any model work and changes nothing',
    async () => {
      const mtimes = () => readdirSync(refOut).map((n) => statSync(join(refOut, n)).mtimeMs);
      const before = mtimes();
      const flags = await tsam([...args(refOut), '--points-per-side', '3', '--crop-overlap-ratio', '0.5'], { env, timeoutMs: TIMEOUT });
      expect(flags.code).toBe(1);
      expect(flags.stderr).toMatch(
        /--output .*ref holds masks made with other settings: --points-per-side 4 \(now 3\); --crop-overlap-ratio 0\.341\d* \(now 0\.5\)/,
      );
      expect(flags.stderr).toMatch(/pass --overwrite to redo every image/);
      const model = await tsam(
        args(refOut).map((a) => (a.endsWith('sam_vit_mini.pth') ? fixturePath('mobile_sam_random.pth') : a)),
        {
          env,
          timeoutMs: TIMEOUT,
        },
      );
      expect(model.code).toBe(1);
      expect(model.stderr).toMatch(/other settings: model sha256 [0-9a-f]{12}… \(now [0-9a-f]{12}…\)/);
      expect(model.stderr).not.toMatch(/exporting/); // refused before loading (exporting) the model
      const exif = await tsam([...args(refOut), '--no-exif-rotate'], { env, timeoutMs: TIMEOUT });
      expect(exif.code).toBe(1);
      expect(exif.stderr).toMatch(/EXIF rotation on \(now off\)/);
      expect(mtimes()).toEqual(before);
      // Outputs without a run record (an older tsam's): their settings are unknown, so refuse too.
      const bare = join(work, 'no-record');
      cpSync(refOut, bare, { recursive: true });
      rmSync(join(bare, AMG_RUN_RECORD));
      rmSync(join(bare, AMG_OUTPUTS_LOG));
      const r = await tsam(args(bare), { env, timeoutMs: TIMEOUT });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /--output .*no-record already holds output for 5 image\(s\) \(a\.png, b\.png, c\.jpg, …\) but no run record \.tsam-amg\.json/,
      );
      expect(existsSync(join(bare, AMG_RUN_RECORD))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'new files get new ids and old ones keep theirs; an id clash fails that file; --overwrite redoes with new settings',
    async () => {
      const out = join(work, 'grow');
      cpSync(refOut, out, { recursive: true });
      const grown = join(work, 'in-grown');
      cpSync(input, grown, { recursive: true });
      await picture(9, join(grown, 'aa.png'));
      await picture(10, join(grown, 'sa_1.png')); // 1 is a.png's
      const withInput = (a: string[]) => a.map((x) => (x === input ? grown : x));
      const r = await tsam(withInput(args(out)), { env, timeoutMs: TIMEOUT });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(/sa_1\.png: failed, skipped: its SA-1B image_id 1 is already a\.png's/);
      expect(r.stderr).toMatch(/amg: 1 done, 5 skipped, 1 failed of 7 image\(s\) \(sa_1\.png\)/);
      expect(existsSync(join(out, 'sa_1.json'))).toBe(false);
      const rec = readRecord(out);
      expect(rec.image_ids).toEqual({ 'a.png': 1, 'b.png': 2, 'c.jpg': 3, 'd.png': 4, 'sa_42.png': 42, 'aa.png': 5 });
      expect(readSa1b(out, 'aa.json').image.image_id).toBe(5);
      const ids = [...JSONS, 'aa.json'].flatMap((n) => readSa1b(out, n).annotations.map((a) => a.id));
      expect(new Set(ids).size).toBe(ids.length);

      const one = join(work, 'in-one');
      mkdirSync(one);
      cpSync(join(input, 'b.png'), join(one, 'b.png'));
      const single = join(work, 'single');
      cpSync(refOut, single, { recursive: true });
      const redo = await tsam([...args(single).map((x) => (x === input ? one : x)), '--points-per-side', '3', '--overwrite'], {
        env,
        timeoutMs: TIMEOUT,
      });
      expect(redo.code, show(redo)).toBe(0);
      const after = readRecord(single);
      expect(after.settings.params.pointsPerSide).toBe(3);
      expect(Object.keys(after.outputs)).toEqual(['b.json']); // the others were made with 4: no longer listed
      expect(after.image_ids['b.png']).toBe(2); // ids survive a change of settings
      expect(readFileSync(join(single, 'b.json')).equals(readFileSync(join(refOut, 'b.json')))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'SIGINT prints one "interrupted" line, exits 130 and leaves only finished outputs',
    async () => {
      const out = join(work, 'sigint');
      const recorded = () => (existsSync(join(out, AMG_RUN_RECORD)) ? Object.keys(readRecord(out).outputs) : []);
      // Interrupt once one image is recorded, i.e. while a later one is being computed.
      const r = await runUntil(args(out), () => recorded().length >= 1, 'SIGINT');
      expect(r.early, `the run finished before it could be interrupted: ${show(r)}`).toBe(false);
      expect(r.code, show(r)).toBe(130);
      expect(r.stderr.match(/interrupted/g)?.length, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/tsam amg: interrupted \(SIGINT\) with \d+ of 5 image\(s\) done; rerun the same command to resume/);
      expect(temps(out)).toEqual([]);
      const present = outputsIn(out);
      expect(present.length).toBeLessThan(NAMES.length);
      // Every output present is whole (identical to the uninterrupted run's). One renamed in the
      // instant before its record entry may be unlisted: a rerun redoes it.
      for (const n of present) expect(readFileSync(join(out, n)).equals(readFileSync(join(refOut, n))), n).toBe(true);
      expect(recorded().every((n) => present.includes(n))).toBe(true);
      expect(present.length - recorded().length).toBeLessThanOrEqual(1);
    },
    TIMEOUT,
  );
});
