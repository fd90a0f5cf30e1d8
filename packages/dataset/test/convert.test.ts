/**
 * Round trips among the layouts: SA-1B folder → COCO → SA-1B (identical JSON and masks), folder →
 * tar shard → folder (identical bytes), COCO polygons → masks, and `--polygons` export.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rleFromSegmentation, rleToMask } from '@tsam/core';
import {
  convertDataset,
  generateSynthetic,
  readShard,
  readTarEntries,
  segmentationCounts,
  ShardWriter,
  type CocoDataset,
  type Sa1bRecord,
} from '../src/index.js';
import { annotation, maskOf, record, tempDir } from './helpers.js';

const files = (dir: string) => readdirSync(dir).sort();
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;

describe('SA-1B ↔ COCO', () => {
  it('SA-1B → COCO → SA-1B gives back identical per-image JSON (masks, ids, all fields)', async () => {
    const src = tempDir('rt-src');
    await generateSynthetic(src, { images: 6, masksPerImage: 12, seed: 9 });
    const coco = join(tempDir('rt-coco'), 'instances.json');
    const r1 = await convertDataset(src, coco, { to: 'coco' });
    expect(r1).toEqual({ from: 'sa1b', images: 6, annotations: 72, missingImages: 0 });
    const ds = readJson<CocoDataset>(coco);
    expect(ds.images).toHaveLength(6);
    expect(ds.annotations).toHaveLength(72);
    expect(ds.categories).toEqual([{ id: 1, name: 'object' }]);
    expect(ds.annotations[0]).toMatchObject({ image_id: 1, category_id: 1, iscrowd: 0 });

    const back = tempDir('rt-back');
    const r2 = await convertDataset(coco, back, { to: 'sa1b', imagesDir: src });
    expect(r2.missingImages).toBe(0);
    expect(files(back)).toEqual(files(src));
    for (const f of files(src)) {
      if (f.endsWith('.json')) expect(readJson(join(back, f)), f).toEqual(readJson(join(src, f)));
      else expect(readFileSync(join(back, f)).equals(readFileSync(join(src, f))), f).toBe(true);
    }
  });

  it('reads COCO polygons with pycocotools rasterisation and keeps categories / iscrowd', async () => {
    const dir = tempDir('coco-poly');
    const poly = [[1.3, 2.2, 7.9, 3.1, 5.5, 8.8]];
    const ds: CocoDataset = {
      images: [{ id: 7, width: 12, height: 10, file_name: 'a.jpg' }],
      annotations: [
        { id: 1, image_id: 7, category_id: 3, segmentation: poly, area: 19, bbox: [1.3, 2.2, 6.6, 6.6], iscrowd: 0 },
        {
          id: 2,
          image_id: 7,
          category_id: 4,
          segmentation: { size: [10, 12], counts: [5, 3, 112] },
          area: 3,
          bbox: [0, 5, 1, 3],
          iscrowd: 1,
        },
      ],
      categories: [
        { id: 3, name: 'cat' },
        { id: 4, name: 'dog' },
      ],
    };
    writeFileSync(join(dir, 'in.json'), JSON.stringify(ds));
    const out = tempDir('coco-poly-out');
    const r = await convertDataset(join(dir, 'in.json'), out, { to: 'sa1b' });
    expect(r.missingImages).toBe(1);
    const rec = readJson<Sa1bRecord>(join(out, 'a.json'));
    expect(rec.image).toEqual({ image_id: 7, width: 12, height: 10, file_name: 'a.jpg' });
    expect(rec.annotations[0]!.segmentation).toEqual({ size: [10, 12], counts: 'f0290O2N2NN2MX1' }); // pycocotools' answer
    expect(rec.annotations[0]!.category_id).toBe(3);
    expect(rec.annotations[1]).toMatchObject({ category_id: 4, iscrowd: 1 });
    expect(segmentationCounts(rec.annotations[1]!.segmentation)).toEqual([5, 3, 112]);
    // …and back to COCO keeps the categories of the source.
    const again = join(dir, 'again.json');
    await convertDataset(join(dir, 'in.json'), again, { to: 'coco' });
    expect(readJson<CocoDataset>(again).categories).toEqual(ds.categories);
  });

  it('--polygons writes outlines that rasterise back to the same masks (shapes without holes)', async () => {
    const src = tempDir('poly-src');
    await generateSynthetic(src, { images: 2, masksPerImage: 15, seed: 4, writeImages: false });
    const coco = join(tempDir('poly-out'), 'p.json');
    await convertDataset(src, coco, { to: 'coco', polygons: true });
    const ds = readJson<CocoDataset>(coco);
    for (const a of ds.annotations) {
      expect(Array.isArray(a.segmentation)).toBe(true);
      const img = ds.images.find((i) => i.id === a.image_id)!;
      const orig = readJson<Sa1bRecord>(join(src, img.file_name.replace('.jpg', '.json'))).annotations.find((o) => o.id === a.id)!;
      const [h, w] = orig.segmentation.size;
      const want = rleToMask({ size: [h, w], counts: segmentationCounts(orig.segmentation) });
      const got = rleToMask(rleFromSegmentation(a.segmentation as number[][], img.height, img.width));
      expect(Buffer.from(got).equals(Buffer.from(want)), `annotation ${a.id}`).toBe(true);
    }
  });
});

describe('tar shards', () => {
  it('folder → shard → folder keeps every file byte for byte, streaming pairs', async () => {
    const src = tempDir('sh-src');
    await generateSynthetic(src, { images: 5, masksPerImage: 7 });
    const tar = join(tempDir('sh-tar'), 'sa_000000.tar');
    await convertDataset(src, tar, { to: 'shard' });
    const names: string[] = [];
    for await (const e of readTarEntries(tar)) names.push(e.name);
    expect(names.slice(0, 4)).toEqual(['sa_1.jpg', 'sa_1.json', 'sa_2.jpg', 'sa_2.json']);
    const samples = [];
    for await (const s of readShard(tar, { images: true })) samples.push(s);
    expect(samples).toHaveLength(5);
    expect(samples.every((s) => s.imagePresent && s.image && 'bytes' in s.image)).toBe(true);

    const back = tempDir('sh-back');
    await convertDataset(tar, back, { from: 'shard', to: 'sa1b' });
    expect(files(back)).toEqual(files(src));
    for (const f of files(src)) expect(readFileSync(join(back, f)).equals(readFileSync(join(src, f))), f).toBe(true);
  });

  it('pairs a JSON with an image that comes later, and reports images without JSON', async () => {
    const src = tempDir('sh-order');
    const mask = maskOf(4, 5, (x, y) => x < 2 && y < 3);
    writeFileSync(join(src, 'x.json'), JSON.stringify(record(1, 5, 4, [annotation(1, mask, 4, 5)])));
    writeFileSync(join(src, 'sa_1.jpg'), 'not really a jpeg');
    const tar = join(src, 'out.tar');
    const w = await ShardWriter.open(tar);
    await w.add('x.json', readFileSync(join(src, 'x.json')));
    await w.add('orphan.jpg', Buffer.from('o'));
    await w.add('sa_1.jpg', readFileSync(join(src, 'sa_1.jpg')));
    await w.close();
    const orphans: string[] = [];
    const got = [];
    for await (const s of readShard(tar, { images: true, onOrphanImage: (n) => orphans.push(n) })) got.push(s);
    expect(got).toHaveLength(1);
    expect(got[0]!.imageName).toBe('sa_1.jpg');
    expect(Buffer.from((got[0]!.image as { bytes: Uint8Array }).bytes).toString()).toBe('not really a jpeg');
    expect(orphans).toEqual(['orphan.jpg']);
  });
});
