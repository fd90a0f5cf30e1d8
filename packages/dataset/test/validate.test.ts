/**
 * `validateDataset`: one test per kind of problem (each reported with file, record and reason),
 * and `--fix` repairing area/bbox atomically without touching anything else.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSynthetic, ShardWriter, validateDataset, type CocoDataset, type Issue, type Sa1bRecord } from '../src/index.js';
import { annotation, maskOf, record, square, tempDir } from './helpers.js';

async function validate(path: string, opts: { fix?: boolean; imagesDir?: string } = {}) {
  const issues: Issue[] = [];
  const summary = await validateDataset(path, { ...opts, onIssue: (i) => issues.push(i) });
  return { summary, issues, errors: issues.filter((i) => i.severity === 'error' && !i.fixed) };
}

/** A valid 2-image SA-1B folder; `edit` may corrupt image 1's record before it is written. */
function folder(edit?: (r: Sa1bRecord) => void): string {
  const dir = tempDir('val');
  for (const id of [1, 2]) {
    const r = record(id, 8, 6, [
      annotation(10 * id, maskOf(6, 8, square(1, 1, 3)), 6, 8),
      annotation(10 * id + 1, maskOf(6, 8, square(4, 2, 2)), 6, 8),
    ]);
    if (id === 1) edit?.(r);
    writeFileSync(join(dir, `sa_${id}.json`), JSON.stringify(r));
    writeFileSync(join(dir, `sa_${id}.jpg`), 'jpg');
  }
  return dir;
}

const ann0 = (r: Sa1bRecord) => r.annotations[0]!;

describe('validateDataset: SA-1B folder', () => {
  it('accepts a valid dataset (and the synthetic generator output)', async () => {
    expect((await validate(folder())).issues).toEqual([]);
    const syn = tempDir('val-syn');
    await generateSynthetic(syn, { images: 3, masksPerImage: 5 });
    const v = await validate(syn);
    expect(v.summary).toMatchObject({ format: 'sa1b', files: 3, errors: 0, warnings: 0 });
  });

  const cases: [string, (r: Sa1bRecord) => void, RegExp, string][] = [
    [
      'RLE size ≠ image size',
      (r) => (ann0(r).segmentation.size = [8, 6]),
      /RLE size \[8, 6\] differs from the image size \[6, 8\]/,
      'annotation #0 (id 10)',
    ],
    ['undecodable counts', (r) => (ann0(r).segmentation.counts = 'ab c'), /cannot be decoded/, 'annotation #0 (id 10)'],
    [
      'counts not covering the image',
      (r) => (ann0(r).segmentation = { size: [6, 8], counts: [3, 4] }),
      /sum to 7, expected 6×8 = 48/,
      'annotation #0 (id 10)',
    ],
    ['wrong area', (r) => (ann0(r).area = 10), /area 10 differs from the mask pixel count \(9\)/, 'annotation #0 (id 10)'],
    ['wrong bbox', (r) => (ann0(r).bbox = [0, 0, 7, 5]), /bbox \[0,0,7,5\] differs from \[1,1,2,2\]/, 'annotation #0 (id 10)'],
    ['missing bbox', (r) => delete (ann0(r) as Partial<Sa1bRecord['annotations'][0]>).bbox, /bbox is missing/, 'annotation #0 (id 10)'],
    ['duplicate annotation id in a file', (r) => (r.annotations[1]!.id = 10), /duplicate annotation id 10/, 'annotation #1 (id 10)'],
    ['duplicate image id across files', (r) => (r.image.image_id = 2), /duplicate image id 2/, 'image'],
    ['bad width', (r) => (r.image.width = 8.5), /width must be a positive integer/, 'image'],
    [
      'bad point_coords',
      (r) => (ann0(r).point_coords = [[1]] as unknown as [number, number][]),
      /point_coords must be/,
      'annotation #0 (id 10)',
    ],
    ['non-integer id', (r) => (ann0(r).id = 'x' as unknown as number), /id must be an integer/, 'annotation #0 (id "x")'],
  ];
  for (const [name, edit, reason, rec] of cases) {
    it(`reports ${name}`, async () => {
      const dir = folder(edit);
      const { errors, summary } = await validate(dir);
      expect(summary.errors).toBeGreaterThan(0);
      const hit = errors.find((e) => reason.test(e.reason));
      expect(hit, JSON.stringify(errors)).toBeDefined();
      expect(hit!.record).toBe(rec);
      expect(hit!.file).toMatch(/sa_[12]\.json$/);
    });
  }

  it('reports a duplicate annotation id across files with where it was first seen', async () => {
    const dir = folder((r) => (r.annotations[1]!.id = 20)); // image 2 has ids 20 and 21
    const { errors } = await validate(dir);
    expect(errors).toEqual([
      expect.objectContaining({
        file: join(dir, 'sa_2.json'),
        record: 'annotation #0 (id 20)',
        reason: expect.stringContaining(join(dir, 'sa_1.json')),
      }),
    ]);
  });

  it('reports bad JSON, a missing image, a wrong schema, and warns about orphan images', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'sa_3.json'), '{"image": ');
    writeFileSync(
      join(dir, 'sa_4.json'),
      JSON.stringify({ image: { image_id: 4, width: 8, height: 6, file_name: 'sa_4.jpg' }, annotations: {} }),
    );
    rmSync(join(dir, 'sa_2.jpg'));
    writeFileSync(join(dir, 'stray.jpg'), 'x');
    const { errors, issues } = await validate(dir);
    const line = (i: Issue) => `${i.file.replace(dir, '')}: ${i.record}: ${i.reason}`;
    expect(errors.map(line)).toEqual([
      '/sa_2.json: image: image file sa_2.jpg not found next to the JSON',
      expect.stringMatching(/^\/sa_3\.json: file: cannot read JSON/),
      '/sa_4.json: file: "annotations" must be an array, got {}',
      '/sa_4.json: image: image file sa_4.jpg not found next to the JSON',
    ]);
    expect(issues.filter((i) => i.severity === 'warning').map(line)).toEqual(['/stray.jpg: image: no JSON refers to this image']);
  });

  it('--fix recomputes area and bbox, rewrites only that file atomically, keeps everything else', async () => {
    const dir = folder((r) => {
      ann0(r).area = 1;
      r.annotations[1]!.bbox = [9, 9, 9, 9];
    });
    const before = JSON.parse(readFileSync(join(dir, 'sa_1.json'), 'utf8')) as Sa1bRecord;
    const untouched = readFileSync(join(dir, 'sa_2.json'));
    const fixed = await validate(dir, { fix: true });
    expect(fixed.summary).toMatchObject({ errors: 0, fixed: 2, rewritten: 1 });
    expect(fixed.issues.every((i) => i.fixed)).toBe(true);
    const after = JSON.parse(readFileSync(join(dir, 'sa_1.json'), 'utf8')) as Sa1bRecord;
    expect(after.annotations[0]!.area).toBe(9);
    expect(after.annotations[1]!.bbox).toEqual([4, 2, 1, 1]);
    ann0(before).area = 9;
    before.annotations[1]!.bbox = [4, 2, 1, 1];
    expect(after).toEqual(before);
    expect(readFileSync(join(dir, 'sa_2.json')).equals(untouched)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
    expect((await validate(dir)).issues).toEqual([]);
  });

  it('--fix leaves unfixable errors (and their files) alone', async () => {
    const dir = folder((r) => (ann0(r).segmentation.size = [8, 6]));
    const raw = readFileSync(join(dir, 'sa_1.json'));
    const v = await validate(dir, { fix: true });
    expect(v.summary).toMatchObject({ errors: 1, fixed: 0, rewritten: 0 });
    expect(readFileSync(join(dir, 'sa_1.json')).equals(raw)).toBe(true);
  });
});

describe('validateDataset: tar shard', () => {
  it('reports images missing from the shard and orphans; --fix rewrites the shard', async () => {
    const tar = join(tempDir('val-tar'), 'sa_000000.tar');
    const r = record(1, 8, 6, [annotation(1, maskOf(6, 8, square(0, 0, 2)), 6, 8)]);
    r.annotations[0]!.area = 5;
    const w = await ShardWriter.open(tar);
    await w.add('sa_1.json', Buffer.from(JSON.stringify(r)));
    await w.add('sa_9.jpg', Buffer.from('x'));
    await w.close();
    const v = await validate(tar);
    expect(v.errors.map((e) => `${e.file}: ${e.record}: ${e.reason}`)).toEqual([
      `${tar}:sa_1.json: annotation #0 (id 1): area 5 differs from the mask pixel count (4)`,
      `${tar}:sa_1.json: image: image sa_1.jpg is not in the shard`,
    ]);
    expect(v.issues.filter((i) => i.severity === 'warning').map((i) => `${i.file}: ${i.record}`)).toEqual([`${tar}:sa_9.jpg: image`]);
    const f = await validate(tar, { fix: true });
    expect(f.summary).toMatchObject({ fixed: 1, rewritten: 1, errors: 1 });
    const again = await validate(tar);
    expect(again.errors.map((e) => e.reason)).toEqual(['image sa_1.jpg is not in the shard']);
  });
});

describe('validateDataset: COCO', () => {
  const base = (): CocoDataset => ({
    images: [{ id: 1, width: 10, height: 8, file_name: 'a.jpg' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, segmentation: [[2, 2, 6, 2, 6, 6, 2, 6]], area: 16, bbox: [2, 2, 4, 4], iscrowd: 0 },
      { id: 2, image_id: 1, category_id: 1, segmentation: { size: [8, 10], counts: [10, 4, 66] }, area: 4, bbox: [1, 2, 1, 4], iscrowd: 1 },
    ],
    categories: [{ id: 1, name: 'thing' }],
  });
  const run = async (edit: (d: CocoDataset) => void, opts: { fix?: boolean; imagesDir?: string } = {}) => {
    const d = base();
    edit(d);
    const path = join(tempDir('val-coco'), 'c.json');
    writeFileSync(path, JSON.stringify(d));
    return { ...(await validate(path, opts)), path };
  };

  it('accepts a valid file', async () => {
    expect((await run(() => {})).issues).toEqual([]);
  });

  const cases: [string, (d: CocoDataset) => void, RegExp][] = [
    ['an unknown image_id', (d) => (d.annotations[0]!.image_id = 5), /image_id 5 is not in images/],
    ['an unknown category', (d) => (d.annotations[0]!.category_id = 9), /category_id 9 is not in categories/],
    ['duplicate annotation ids', (d) => (d.annotations[1]!.id = 1), /duplicate annotation id 1/],
    ['duplicate image ids', (d) => d.images.push({ ...d.images[0]! }), /duplicate image id 1/],
    [
      'an RLE of the wrong size',
      (d) => ((d.annotations[1]!.segmentation as { size: number[] }).size = [10, 8]),
      /RLE size \[10, 8\] differs/,
    ],
    ['a far-off polygon area', (d) => (d.annotations[0]!.area = 100), /area 100 differs from the rasterised pixel count \(16\)/],
    ['a wrong RLE bbox', (d) => (d.annotations[1]!.bbox = [5, 5, 1, 1]), /bbox \[5,5,1,1\] differs from \[1,2,1,4\]/],
    ['a malformed polygon', (d) => (d.annotations[0]!.segmentation = [[1, 2, 3]]), /polygon segmentation must be/],
  ];
  for (const [name, edit, reason] of cases) {
    it(`reports ${name}`, async () => {
      const { errors, path } = await run(edit);
      expect(
        errors.some((e) => reason.test(e.reason) && e.file === path),
        JSON.stringify(errors),
      ).toBe(true);
    });
  }

  it('checks image files with imagesDir', async () => {
    const { errors } = await run(() => {}, { imagesDir: tempDir('noimg') });
    expect(errors.map((e) => [e.record, e.reason])).toEqual([['images[0] (id 1)', expect.stringMatching(/image file a\.jpg not found/)]]);
  });

  it('--fix writes COCO conventions back (polygon area and extent, RLE pixel count and toBbox)', async () => {
    const { summary, path } = await run(
      (d) => {
        d.annotations[0]!.area = 100;
        d.annotations[1]!.area = 3;
        d.annotations[1]!.bbox = [0, 0, 0, 0];
      },
      { fix: true },
    );
    expect(summary).toMatchObject({ errors: 0, fixed: 3, rewritten: 1 });
    const d = JSON.parse(readFileSync(path, 'utf8')) as CocoDataset;
    expect(d).toEqual(base());
  });
});
