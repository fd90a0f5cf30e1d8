/**
 * `tsam amg` end to end (the real binary, sam_vit_mini): reference parity of `--convert-to-rle`
 * with the fixture's amg.json params; the PNG folder layout (masks equal the RLE records,
 * metadata.csv rows match them); `--format sa1b` on a folder holding a corrupt, an empty and a
 * 1×1 image (the run completes, names each failure, exits 1); rerun skip and `--overwrite`;
 * every numeric flag range-checked before any model work; `--output` checked before any model
 * work (an existing file, a path under a file, an uncreatable folder); EXIF orientation.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import { decompressRle, maskIntersectionUnion, rleToMask, type CompressedRle, type Rle } from '@tsam/core';
import { validateDataset } from '@tsam/dataset';
import { AMG_OUTPUTS_LOG, AMG_RUN_RECORD, pyFloat } from '@tsam/node';
import { describeFixtures, fixturePath, readFixtureJson } from '../../../testing/fixtures.js';
import { show, tempDir, tsam } from './helpers.js';

const cache = tempDir('amg-cache');
const work = tempDir('amg-work');
const env = { TSAM_CACHE_DIR: cache };
const TIMEOUT = 300_000;

interface JsonRecord {
  segmentation: CompressedRle | Rle;
  area: number;
  bbox: number[];
  predicted_iou: number;
  point_coords: number[][];
  stability_score: number;
  crop_box: number[];
}

const maskOf = (seg: CompressedRle | Rle): Uint8Array =>
  rleToMask(typeof seg.counts === 'string' ? decompressRle(seg as CompressedRle) : (seg as Rle));

/** Greedy one-to-one matching on mask IoU (best pairs first); returns the matched IoUs. */
function matchIous(a: Uint8Array[], b: Uint8Array[]): number[] {
  const all: [number, number, number][] = [];
  a.forEach((x, i) =>
    b.forEach((y, j) => {
      const { intersection, union } = maskIntersectionUnion(x, y);
      all.push([i, j, union === 0 ? 1 : intersection / union]);
    }),
  );
  all.sort((p, q) => q[2] - p[2]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const ious: number[] = [];
  for (const [i, j, v] of all) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
    ious.push(v);
  }
  return ious;
}

/** The hidden temporary names an interrupted or failed write would leave (the run record aside). */
const leftovers = (dir: string): string[] =>
  readdirSync(dir).filter((n) => n.startsWith('.') && n !== AMG_RUN_RECORD && n !== AMG_OUTPUTS_LOG);
/** A folder's entries without the run record and its log. */
const entries = (dir: string): string[] => readdirSync(dir).filter((n) => n !== AMG_RUN_RECORD && n !== AMG_OUTPUTS_LOG);

it('metadata.csv numbers are formatted like Python str()', () => {
  expect([16, 7.625, 0.1169192343950271, 1, 0, 1e-5, 2.5e-7, 1e16].map(pyFloat)).toEqual([
    '16.0',
    '7.625',
    '0.1169192343950271',
    '1.0',
    '0.0',
    '1e-05',
    '2.5e-07',
    '1e+16',
  ]);
});

describeFixtures('tsam amg (sam_vit_mini)', () => {
  const checkpoint = () => fixturePath('sam_vit_mini.pth');
  const tiny = () => fixturePath('scene_tiny.png');
  const ref = () => readFixtureJson<{ params: Record<string, number>; records: JsonRecord[] }>('sam_vit_mini/scene_tiny/amg.json');
  /** The fixture's reference params as amg.py flags (`points_per_side` → `--points-per-side`). */
  const refFlags = () => Object.entries(ref().params).flatMap(([k, v]) => [`--${k.replaceAll('_', '-')}`, String(v)]);
  const rleOut = join(work, 'rle');
  let rle: JsonRecord[] = [];

  beforeAll(async () => {
    const r = await tsam(['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', rleOut, '--convert-to-rle', ...refFlags()], {
      env,
      timeoutMs: TIMEOUT,
    });
    if (r.code !== 0) throw new Error(`tsam amg --convert-to-rle failed: ${show(r)}`);
    rle = JSON.parse(readFileSync(join(rleOut, 'scene_tiny.json'), 'utf8')) as JsonRecord[];
  }, TIMEOUT);

  it('--convert-to-rle with the fixture params matches the reference records', () => {
    expect(entries(rleOut)).toEqual(['scene_tiny.json']);
    const theirs = ref().records;
    for (const r of rle) {
      expect(typeof r.segmentation.counts).toBe('string'); // compressed COCO RLE, like amg.py's coco_rle
      expect(r.segmentation.size).toEqual([61, 97]);
      expect(Object.keys(r)).toEqual(['segmentation', 'area', 'bbox', 'predicted_iou', 'point_coords', 'stability_score', 'crop_box']);
    }
    const ious = matchIous(
      theirs.map((r) => maskOf(r.segmentation)),
      rle.map((r) => maskOf(r.segmentation)),
    );
    const good = ious.filter((v) => v >= 0.95).length;
    console.log(`[tsam amg] scene_tiny: ours ${rle.length} / ref ${theirs.length}; IoU ≥ 0.95: ${good}/${theirs.length}`);
    expect(rle.length).toBe(theirs.length);
    expect(good).toBeGreaterThanOrEqual(Math.ceil(0.97 * theirs.length));
  });

  it(
    'writes <output>/<name>/N.png + metadata.csv equal to the RLE records',
    async () => {
      const out = join(work, 'png');
      const r = await tsam(['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', out, ...refFlags()], {
        env,
        timeoutMs: TIMEOUT,
      });
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toMatch(/\[1\/1\] scene_tiny\.png: \d+ masks \(97×61/);
      expect(entries(out)).toEqual(['scene_tiny']);
      const dir = join(out, 'scene_tiny');
      const names = readdirSync(dir);
      expect(names.sort()).toEqual([...rle.map((_, i) => `${i}.png`), 'metadata.csv'].sort());
      const lines = readFileSync(join(dir, 'metadata.csv'), 'utf8').split('\n');
      expect(lines[0]).toBe(
        'id,area,bbox_x0,bbox_y0,bbox_w,bbox_h,point_input_x,point_input_y,predicted_iou,stability_score,crop_box_x0,crop_box_y0,crop_box_w,crop_box_h',
      );
      expect(lines.length).toBe(rle.length + 1); // no trailing newline, like amg.py
      for (const [i, rec] of rle.entries()) {
        const row = lines[i + 1]!.split(',').map(Number);
        expect(row).toEqual([i, rec.area, ...rec.bbox, ...rec.point_coords[0]!, rec.predicted_iou, rec.stability_score, ...rec.crop_box]);
        const png = join(dir, `${i}.png`);
        const meta = await sharp(png).metadata();
        expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([97, 61, 1, 'uchar']); // 8-bit grey, like cv2.imwrite
        const data = await sharp(png).extractChannel(0).raw().toBuffer();
        expect(data.every((v) => v === 0 || v === 255)).toBe(true);
        const expected = maskOf(rec.segmentation);
        expect(Buffer.from(data.map((v) => (v ? 1 : 0)))).toEqual(Buffer.from(expected));
        expect(expected.reduce((s, v) => s + v, 0)).toBe(rec.area);
      }
      expect(lines[1]).toMatch(/^0,\d+,\d+,\d+,\d+,\d+,\d+\.\d+,\d+\.\d+,/); // points as Python floats (7.625, 16.0)
    },
    TIMEOUT,
  );

  const folder = join(work, 'mixed');
  const sa1bOut = join(work, 'sa1b');
  const sa1bArgs = () => [
    'amg',
    '--checkpoint',
    checkpoint(),
    '--input',
    folder,
    '--output',
    sa1bOut,
    '--format',
    'sa1b',
    '--points-per-side',
    '4',
  ];
  const fast = ['--pred-iou-thresh', '0', '--stability-score-thresh', '0'];

  it(
    'a folder with a corrupt, an empty and a 1×1 image completes, names each failure and exits 1 (--format sa1b)',
    async () => {
      mkdirSync(folder, { recursive: true });
      copyFileSync(tiny(), join(folder, 'scene_tiny.png'));
      writeFileSync(join(folder, 'corrupt.jpg'), Buffer.from('\xff\xd8\xff\xe0 this is not really a JPEG', 'latin1'));
      writeFileSync(join(folder, 'empty.png'), Buffer.alloc(0));
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
        .png()
        .toFile(join(folder, 'one_pixel.png'));
      writeFileSync(join(folder, 'notes.txt'), 'not an image');
      const r = await tsam([...sa1bArgs(), ...fast], { env, timeoutMs: TIMEOUT });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(/ignoring 1 non-image file\(s\): notes\.txt/);
      expect(r.stderr).toMatch(/corrupt\.jpg: failed, skipped: cannot decode image .*corrupt\.jpg/);
      expect(r.stderr).toMatch(/empty\.png: failed, skipped: cannot decode image .*empty\.png: it is empty \(0 bytes\)/);
      expect(r.stderr).toMatch(/one_pixel\.png: \d+ masks \(1×1/);
      expect(r.stderr).toMatch(/scene_tiny\.png: \d+ masks \(97×61/);
      expect(r.stderr).toMatch(/amg: 2 done, 0 skipped, 2 failed of 4 image\(s\) \(corrupt\.jpg, empty\.png\)/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(entries(sa1bOut).sort()).toEqual(['one_pixel.json', 'one_pixel.png', 'scene_tiny.json', 'scene_tiny.png']);
      const rec = JSON.parse(readFileSync(join(sa1bOut, 'scene_tiny.json'), 'utf8')) as {
        image: Record<string, unknown>;
        annotations: (JsonRecord & { id: number })[];
      };
      expect(rec.image).toEqual({ image_id: 4, width: 97, height: 61, file_name: 'scene_tiny.png' });
      expect(rec.annotations.length).toBeGreaterThan(0);
      for (const a of rec.annotations) {
        expect(a.segmentation.size).toEqual([61, 97]);
        expect(maskOf(a.segmentation).reduce((s, v) => s + v, 0)).toBe(a.area);
      }
      expect(new Set(rec.annotations.map((a) => a.id)).size).toBe(rec.annotations.length);
      const issues: string[] = [];
      const summary = await validateDataset(sa1bOut, { format: 'sa1b', onIssue: (i) => issues.push(JSON.stringify(i)) });
      expect(summary.errors, issues.join('\n')).toBe(0);
      expect(summary.files).toBe(2);
    },
    TIMEOUT,
  );

  it(
    'a rerun skips finished images; --overwrite redoes them',
    async () => {
      const mtime = () => statSync(join(sa1bOut, 'scene_tiny.json')).mtimeMs;
      const before = mtime();
      const again = await tsam([...sa1bArgs(), ...fast, '--model-type', 'vit_h', '--device', 'cuda'], { env, timeoutMs: TIMEOUT });
      expect(again.code, show(again)).toBe(1); // the two bad files still fail
      expect(again.stderr).toMatch(/note: --model-type vit_h is ignored/);
      expect(again.stderr).toMatch(/note: --device cuda is ignored/);
      expect(again.stderr).toMatch(/skipping 2 image\(s\) whose output exists/);
      expect(again.stderr).toMatch(/amg: 0 done, 2 skipped, 2 failed of 4 image\(s\)/);
      expect(mtime()).toBe(before);
      const redo = await tsam([...sa1bArgs(), ...fast, '--overwrite'], { env, timeoutMs: TIMEOUT });
      expect(redo.stderr).toMatch(/amg: 2 done, 0 skipped, 2 failed of 4 image\(s\)/);
      expect(mtime()).toBeGreaterThan(before);
      expect(leftovers(sa1bOut)).toEqual([]);
      // PNG folders are replaced whole, too.
      const png = join(work, 'png');
      const r = await tsam(
        ['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', png, '--overwrite', ...fast, '--points-per-side', '2'],
        {
          env,
          timeoutMs: TIMEOUT,
        },
      );
      expect(r.code, show(r)).toBe(0);
      const n = Number(/(\d+) masks/.exec(r.stderr)?.[1]);
      expect(readdirSync(join(png, 'scene_tiny')).length).toBe(n + 1);
      expect(leftovers(png)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'reports two inputs that would write the same output',
    async () => {
      const dir = join(work, 'clash');
      mkdirSync(dir, { recursive: true });
      copyFileSync(tiny(), join(dir, 'a.png'));
      copyFileSync(tiny(), join(dir, 'a.tif')); // PNG bytes: sharp decodes by content
      const r = await tsam(
        ['amg', '--checkpoint', checkpoint(), '--input', dir, '--output', join(work, 'clash-out'), '--points-per-side', '1'],
        {
          env,
          timeoutMs: TIMEOUT,
        },
      );
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(/a\.tif: failed, skipped: a\.png writes the same output .*a \(names differ only in extension\); rename one/);
      expect(r.stderr).toMatch(/amg: 1 done, 0 skipped, 1 failed of 2 image\(s\) \(a\.tif\)/);
    },
    TIMEOUT,
  );

  it('rejects bad flags before loading the model, naming the flag; --help shows the defaults', async () => {
    const fresh = tempDir('amg-flags-cache');
    const bad: [flag: string, value: string, message: RegExp][] = [
      ['--points-per-side', '0', /expected a positive integer, got "0"/],
      ['--points-per-side', '2.5', /expected a positive integer, got "2\.5"/],
      ['--points-per-batch', '0', /expected a positive integer/],
      ['--pred-iou-thresh', '1.5', /expected a number in \[0, 1\], got "1\.5"/],
      ['--stability-score-thresh', '-0.1', /expected a number in \[0, 1\]/],
      ['--stability-score-offset', '-1', /expected a number ≥ 0, got "-1"/],
      ['--box-nms-thresh', 'nan', /expected a number in \[0, 1\], got "nan"/],
      ['--crop-n-layers', '1.5', /expected a non-negative integer, got "1\.5"/],
      ['--crop-nms-thresh', '2', /expected a number in \[0, 1\]/],
      ['--crop-overlap-ratio', '1', /expected a number in \[0, 1\), got "1"/],
      ['--crop-overlap-ratio', '-0.2', /expected a number in \[0, 1\)/],
      ['--crop-n-points-downscale-factor', '0', /expected a positive integer/],
      ['--min-mask-region-area', '-5', /expected a non-negative integer/],
    ];
    for (const [flag, value, message] of bad) {
      const r = await tsam(['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', join(work, 'x'), flag, value], {
        env: { TSAM_CACHE_DIR: fresh },
      });
      expect(r.code, `${flag} ${value}`).not.toBe(0);
      expect(r.stderr, `${flag} ${value}`).toContain(`option '${flag} `);
      expect(r.stderr, `${flag} ${value}`).toMatch(message);
    }
    expect(existsSync(join(fresh, 'onnx'))).toBe(false); // no model was exported or loaded
    const c = await tsam(['amg', '--input', tiny(), '--output', join(work, 'x'), '--convert-to-rle', '--format', 'sa1b'], { env });
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/--convert-to-rle .* cannot be combined with --format sa1b/);
    const m = await tsam(['amg', '--input', join(work, 'missing.png'), '--output', join(work, 'x')], { env });
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/--input .*missing\.png: no such file or folder/);
    const help = await tsam(['amg', '--help'], { env });
    const helpText = help.stdout.replace(/\s+/g, ' '); // commander wraps long descriptions
    for (const d of [
      '(default: 32)',
      '(default: 64)',
      '(default: 0.88)',
      '(default: 0.95)',
      '(default: 0.7)',
      '(default: 512/1500 ≈ 0.3413)',
      'default: "png"',
    ])
      expect(helpText).toContain(d);
  });

  it('checks --output before any model work: an existing file, a path under a file, an uncreatable folder', async () => {
    const fresh = tempDir('amg-out-cache');
    const file = join(work, 'existing-file');
    writeFileSync(file, 'keep me');
    const run = (out: string) =>
      tsam(['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', out, '--points-per-side', '1'], {
        env: { TSAM_CACHE_DIR: fresh },
      });
    const t0 = performance.now();
    const r = await run(file);
    const secs = (performance.now() - t0) / 1000;
    console.log(`[tsam amg] --output existing-file failed in ${secs.toFixed(2)} s`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--output .*existing-file: exists and is a file, not a folder; pass a folder path/);
    expect(r.stderr).not.toMatch(/scene_tiny\.png: /); // no image was run
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const under = await run(join(file, 'sub'));
    expect(under.code).toBe(1);
    expect(under.stderr).toMatch(/--output .*existing-file\/sub: .*existing-file is a file, so the folder cannot be created there/);
    const proc = await run('/proc/tsam-amg-out'); // not creatable, even by root
    expect(proc.code).toBe(1);
    expect(proc.stderr).toMatch(/--output \/proc\/tsam-amg-out: cannot create the folder \(\w+\); pass a writable path/);
    expect(existsSync(join(fresh, 'onnx'))).toBe(false); // no model was exported or loaded
    expect(secs).toBeLessThan(10); // vs ~10 s to export and run this model
  });

  it.skipIf(process.getuid?.() === 0)('checks --output is writable (permissions; skipped as root, which ignores them)', async () => {
    const dir = join(work, 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    const r = await tsam(['amg', '--checkpoint', checkpoint(), '--input', tiny(), '--output', dir], { env });
    chmodSync(dir, 0o755);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--output .*read-only: the folder is not writable \(EACCES\); fix its permissions or pass another folder/);
  });

  it(
    'applies EXIF orientation like cv2.imread; --no-exif-rotate keeps the stored order',
    async () => {
      const dir = join(work, 'exif');
      mkdirSync(dir, { recursive: true });
      await sharp(join(tiny())).jpeg().withMetadata({ orientation: 6 }).toFile(join(dir, 'phone.jpg'));
      const sizeOf = async (extra: string[], out: string) => {
        const r = await tsam(
          [
            'amg',
            '--checkpoint',
            checkpoint(),
            '--input',
            dir,
            '--output',
            out,
            '--format',
            'sa1b',
            '--points-per-side',
            '2',
            ...fast,
            ...extra,
          ],
          { env, timeoutMs: TIMEOUT },
        );
        expect(r.code, show(r)).toBe(0);
        const rec = JSON.parse(readFileSync(join(out, 'phone.json'), 'utf8')) as {
          image: { width: number; height: number };
          annotations: { segmentation: CompressedRle }[];
        };
        for (const a of rec.annotations) expect(a.segmentation.size).toEqual([rec.image.height, rec.image.width]);
        return [rec.image.width, rec.image.height];
      };
      expect(await sizeOf([], join(work, 'exif-on'))).toEqual([61, 97]); // upright: 97×61 stored, turned 90°
      expect(await sizeOf(['--no-exif-rotate'], join(work, 'exif-off'))).toEqual([97, 61]);
    },
    TIMEOUT,
  );
});
