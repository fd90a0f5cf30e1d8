/**
 * The `tsam amg` run record helpers: SA-1B id assignment (sa_<n> keeps n, other names the smallest
 * free id, kept across calls, clashes reported), settings differences named as flags, the sweep of
 * dead runs' temporary files (a live process's are kept), and the SA-1B id-room check.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AMG_DEFAULTS, type AmgRecord } from '@tsam/core';
import {
  AMG_OUTPUTS_LOG,
  amgSa1bRecord,
  assignImageIds,
  diffAmgSettings,
  newAmgRunRecord,
  readAmgRunRecord,
  recordAmgOutput,
  sweepAmgTemps,
  writeAmgRunRecord,
  type AmgSettings,
} from '@tsam/node';

const dir = mkdtempSync(join(tmpdir(), 'tsam-amg-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('assignImageIds', () => {
  it('sa_<n> keeps n; other names get the smallest id no file holds or claims; known ids are kept', () => {
    const known: Record<string, number> = {};
    const first = assignImageIds(['in/b.png', 'in/sa_2.jpg', 'in/c.png', 'in/d.png'], known);
    expect([...first.ids.values()]).toEqual([1, 2, 3, 4]);
    expect(first.clashes).toEqual([]);
    expect(known).toEqual({ 'b.png': 1, 'sa_2.jpg': 2, 'c.png': 3, 'd.png': 4 });
    // A new file sorted first does not shift anyone; removed files keep their ids reserved.
    const second = assignImageIds(['in/a.png', 'in/c.png', 'in/sa_9.png'], known);
    expect(Object.fromEntries([...second.ids].map(([f, id]) => [f, id]))).toEqual({ 'in/a.png': 5, 'in/c.png': 3, 'in/sa_9.png': 9 });
    expect(known['b.png']).toBe(1);
  });

  it('reports a file whose id another file holds, and gives it none', () => {
    const known: Record<string, number> = { 'a.png': 3 };
    const r = assignImageIds(['x/sa_3.jpg', 'x/sa_7.png', 'x/sa_07.png'], known);
    expect(r.clashes).toEqual([
      { file: 'x/sa_3.jpg', holder: 'a.png', id: 3 },
      { file: 'x/sa_07.png', holder: 'sa_7.png', id: 7 },
    ]);
    expect([...r.ids.keys()]).toEqual(['x/sa_7.png']);
  });
});

describe('diffAmgSettings', () => {
  const { pointGrids: _g, outputMode: _m, ...params } = AMG_DEFAULTS;
  const base: AmgSettings = { format: 'sa1b', params, model: { sha256: 'a'.repeat(64), precision: 'fp32' }, exifRotate: true };
  it('is empty for equal settings and names each difference as a flag', () => {
    expect(diffAmgSettings(base, structuredClone(base))).toEqual([]);
    const other: AmgSettings = {
      ...base,
      format: 'rle',
      params: { ...params, pointsPerSide: 16, cropNPointsDownscaleFactor: 2 },
      model: { sha256: 'b'.repeat(64), precision: 'fp16' },
      exifRotate: false,
    };
    expect(diffAmgSettings(base, other)).toEqual([
      '--format sa1b (now rle)',
      '--points-per-side 32 (now 16)',
      '--crop-n-points-downscale-factor 1 (now 2)',
      'model sha256 aaaaaaaaaaaa… (now bbbbbbbbbbbb…)',
      'precision fp32 (now fp16)',
      'EXIF rotation on (now off)',
    ]);
  });
});

describe('run record and outputs log', () => {
  const { pointGrids: _g, outputMode: _m, ...params } = AMG_DEFAULTS;
  const settings: AmgSettings = { format: 'rle', params, model: { sha256: 'c'.repeat(64), precision: 'fp32' }, exifRotate: true };
  it('round-trips, drops a line cut short by a kill, and a fresh start forgets the old outputs', async () => {
    const out = join(dir, 'log');
    mkdirSync(out);
    expect(await readAmgRunRecord(out)).toBeUndefined();
    const rec = newAmgRunRecord(settings, { 'a.png': 1 });
    await writeAmgRunRecord(out, rec, true);
    await recordAmgOutput(out, rec, 'a.json', { source: 'a.png', image_id: 1, masks: 3 });
    appendFileSync(join(out, AMG_OUTPUTS_LOG), '{"output":"b.json","sou'); // killed mid-append
    const back = await readAmgRunRecord(out);
    expect(back?.settings).toEqual(settings);
    expect(back?.image_ids).toEqual({ 'a.png': 1 });
    expect(back?.outputs).toEqual({ 'a.json': { source: 'a.png', image_id: 1, masks: 3 } });
    expect(readFileSync(join(out, AMG_OUTPUTS_LOG), 'utf8')).toBe('{"output":"a.json","source":"a.png","image_id":1,"masks":3}\n');
    await writeAmgRunRecord(out, newAmgRunRecord({ ...settings, exifRotate: false }, back!.image_ids), true);
    expect(existsSync(join(out, AMG_OUTPUTS_LOG))).toBe(false);
    expect((await readAmgRunRecord(out))?.outputs).toEqual({});
  });

  it('a damaged record or log line is an error naming the file and what to do', async () => {
    const out = join(dir, 'damaged');
    mkdirSync(out);
    writeFileSync(join(out, '.tsam-amg.json'), '{"tool":"something else"}');
    await expect(readAmgRunRecord(out)).rejects.toThrow(
      /\.tsam-amg\.json: not a tsam amg run record .*pass --overwrite to redo every image/,
    );
    await writeAmgRunRecord(out, newAmgRunRecord(settings), true);
    writeFileSync(join(out, AMG_OUTPUTS_LOG), 'garbage\n{"output":"a.json","source":"a.png","image_id":1,"masks":0}\n');
    await expect(readAmgRunRecord(out)).rejects.toThrow(/\.tsam-amg\.outputs\.jsonl line 1: .*remove it to start the folder afresh/);
  });
});

describe('sweepAmgTemps', () => {
  it("removes a dead process's temporary files and folders, keeps a live one's and the outputs", () => {
    const out = join(dir, 'sweep');
    mkdirSync(out);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(out, `.a.json.tmp-${dead}-abc123`), 'partial');
    mkdirSync(join(out, `.b.old-${dead}-abc123`));
    writeFileSync(join(out, `.c.json.tmp-${process.pid}-abc123`), 'mine, in progress');
    writeFileSync(join(out, 'a.json'), '[]');
    writeFileSync(join(out, '.tsam-amg.json'), '{}');
    expect(sweepAmgTemps(out, 'stale').sort()).toEqual([`.a.json.tmp-${dead}-abc123`, `.b.old-${dead}-abc123`]);
    expect(readdirSync(out).sort()).toEqual([`.c.json.tmp-${process.pid}-abc123`, '.tsam-amg.json', 'a.json']);
    expect(sweepAmgTemps(out, 'own')).toEqual([`.c.json.tmp-${process.pid}-abc123`]);
    expect(readdirSync(out).sort()).toEqual(['.tsam-amg.json', 'a.json']);
  });
});

describe('amgSa1bRecord id room', () => {
  it('refuses 100000 masks in one image (ids would run into the next image_id)', () => {
    const records = Array.from({ length: 100000 }, () => ({}) as AmgRecord);
    expect(() => amgSa1bRecord(records, { imageId: 1, width: 1, height: 1, fileName: 'big.png' })).toThrow(
      /big\.png: 100000 masks, but SA-1B annotation ids leave room for 99999 per image/,
    );
  });
});
