/**
 * `tsam dataset …` end to end through the real binary (packages/cli/bin/tsam.js → dist, so
 * `tsc -b` must have run): synth → validate → stats → show → convert, and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../../cli/bin/tsam.js', import.meta.url));
const tsam = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'dataset', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe.skipIf(!existsSync(fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url))))('tsam dataset (CLI)', () => {
  it('synth → validate → stats → show → convert', () => {
    const dir = tempDir('cli');
    const data = join(dir, 'data');
    const synth = tsam('synth', '--out', data, '--images', '6', '--masks-per-image', '20', '--json');
    expect(synth.code, synth.stderr).toBe(0);
    const expected = JSON.parse(synth.stdout) as { masks: number; concavityMean: number };
    expect(expected.masks).toBe(120);

    const ok = tsam('validate', data);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/6 file\(s\) checked: 0 error\(s\)/);

    const report = join(dir, 'report');
    const st = tsam('stats', data, '--out', report);
    expect(st.code, st.stderr).toBe(0);
    const stats = JSON.parse(readFileSync(join(report, 'stats.json'), 'utf8')) as { masks: number; concavity: { mean: number } };
    expect(stats.masks).toBe(120);
    expect(stats.concavity.mean).toBeCloseTo(expected.concavityMean, 12);
    expect(existsSync(join(report, 'index.html'))).toBe(true);
    expect(st.stderr).toMatch(/peak RSS \d+ MiB/);

    const png = join(dir, 'overlay.png');
    const show = tsam('show', join(data, 'sa_1.json'), '--out', png);
    expect(show.code, show.stderr).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');

    const coco = join(dir, 'coco.json');
    expect(tsam('convert', '--from', 'sa1b', data, '--to', 'coco', coco).code).toBe(0);
    const tar = join(dir, 'sa_000000.tar');
    expect(tsam('convert', data, '--to', 'shard', tar).code).toBe(0);
    const cmp = tsam('stats', tar, '--out', join(dir, 'r2'), '--compare', coco, '--compare-name', 'as COCO');
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/as COCO: 6 images, 120 masks/);
  });

  it('validate exits 1 with FILE: RECORD: REASON lines, and --fix repairs what it can', () => {
    const data = join(tempDir('cli-bad'), 'data');
    expect(tsam('synth', '--out', data, '--images', '2', '--masks-per-image', '3').code).toBe(0);
    const file = join(data, 'sa_2.json');
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { annotations: { area: number }[] };
    rec.annotations[1]!.area += 7;
    writeFileSync(file, JSON.stringify(rec));
    const bad = tsam('validate', data);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(`^error: ${file}: annotation #1 \\(id \\d+\\): area \\d+ differs from the mask pixel count`, 'm'),
    );
    const fixed = tsam('validate', data, '--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/^fixed: /m);
    expect(tsam('validate', data).code).toBe(0);
  });
});
