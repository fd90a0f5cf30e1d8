/**
 * Statistics on datasets whose numbers are known exactly: hand-made squares and L-shapes, and the
 * synthetic generator's closed-form expectations. The report files are checked for their keys.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeStats, FineHistogram, generateSynthetic, mulberry32, writeReport, type DatasetStatsJson } from '../src/index.js';
import { annotation, lShape, maskOf, record, square, tempDir } from './helpers.js';

/** 5 images of 100×100 with 5, 12, 60, 150 and 250 masks: one image per paper bucket. */
function knownDataset(): { dir: string; masks: number; ls: number; relSum: number } {
  const dir = tempDir('known');
  let id = 0;
  let ls = 0;
  let relSum = 0;
  [5, 12, 60, 150, 250].forEach((n, img) => {
    const anns = [];
    for (let m = 0; m < n; m++) {
      // Alternate 10×10 squares (relative size 0.1) and 20×20 L's missing 10×10 (area 300, concavity 1/7).
      const isL = m % 2 === 1;
      const mask = maskOf(100, 100, isL ? lShape(40, 40, 20, 10) : square(45, 45, 10));
      anns.push(annotation(++id, mask, 100, 100));
      if (isL) ls++;
      relSum += isL ? Math.sqrt(300 / 10_000) : 0.1;
    }
    writeFileSync(join(dir, `sa_${img + 1}.json`), JSON.stringify(record(img + 1, 100, 100, anns)));
  });
  return { dir, masks: 477, ls, relSum };
}

describe('computeStats on a dataset with known statistics', () => {
  it('gives the exact counts, buckets, concavity and sizes', async () => {
    const k = knownDataset();
    const s = (await computeStats(k.dir, { grid: 10 })).toJSON();
    expect(s.images).toBe(5);
    expect(s.masks).toBe(k.masks);
    expect(s.masks_per_image.mean).toBe(k.masks / 5);
    expect(s.masks_per_image.counts).toEqual({ 5: 1, 12: 1, 60: 1, 150: 1, 250: 1 });
    expect(s.masks_per_image.histogram.map((b) => [b.bucket, b.images])).toEqual([
      ['≤10', 1],
      ['11-50', 1],
      ['51-100', 1],
      ['101-200', 1],
      ['>200', 1],
    ]);
    expect(s.concavity.count).toBe(k.masks);
    expect(s.concavity.mean).toBeCloseTo(k.ls / 7 / k.masks, 14);
    expect(s.concavity.quantiles['0.25']).toBe(0);
    expect(s.concavity.quantiles['0.99']).toBe(1 / 7); // exact: the bin holds one distinct value
    expect(s.relative_size.mean).toBeCloseTo(k.relSum / k.masks, 14);
    expect(s.relative_size.quantiles['0.01']).toBe(0.1);
    expect(s.relative_size.quantiles['0.99']).toBe(Math.sqrt(0.03));
    // Square centred at (50, 50) and L centroid: both fall in cell (5, 4..5) of a 10×10 grid.
    const total = s.centre_heatmap.counts.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(k.masks);
    expect(s.centre_heatmap.counts[5]![5]).toBe(k.masks - k.ls); // squares: centroid (50, 50)
  });

  it('matches the synthetic generator’s closed-form statistics', async () => {
    const dir = tempDir('synth');
    const expected = await generateSynthetic(dir, { images: 40, masksPerImage: 25, seed: 5, writeImages: false });
    expect(expected.masks).toBe(1000);
    const s = (await computeStats(dir)).toJSON();
    expect(s.images).toBe(40);
    expect(s.masks).toBe(1000);
    expect(s.masks_per_image.counts).toEqual(expected.masksPerImage);
    expect(s.relative_size.mean).toBeCloseTo(expected.relativeSizeMean, 12);
    expect(s.concavity.mean).toBeCloseTo(expected.concavityMean, 12);
    expect(s.concavity.quantiles['0.99']).toBe(1 / 7);
  });

  it('reads shards the same way and skips unreadable images', async () => {
    const dir = tempDir('shard');
    const tar = join(dir, 'sa_000000.tar');
    const expected = await generateSynthetic(tar, { images: 6, masksPerImage: 10, format: 'shard' });
    const skipped: string[] = [];
    const s = (await computeStats(tar, { onSkip: (m) => skipped.push(m) })).toJSON();
    expect(s.masks).toBe(expected.masks);
    expect(skipped).toEqual([]);
    const bad = tempDir('bad');
    writeFileSync(join(bad, 'sa_1.json'), '{"image": 3');
    const s2 = await computeStats(bad, { onSkip: (m) => skipped.push(m) });
    expect(s2.skippedImages).toBe(1);
    expect(skipped[0]).toMatch(/sa_1\.json.*cannot read JSON/);
  });
});

describe('writeReport', () => {
  it('writes index.html with SVG figures and stats.json with the required fields (and --compare)', async () => {
    const k = knownDataset();
    const dir = tempDir('synth2');
    await generateSynthetic(dir, { images: 4, masksPerImage: 8, writeImages: false });
    const a = (await computeStats(k.dir, { name: 'known' })).toJSON();
    const b = (await computeStats(dir, { name: 'synthetic' })).toJSON();
    const out = tempDir('report');
    const files = await writeReport(out, [a, b]);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as DatasetStatsJson & { compare: DatasetStatsJson };
    for (const key of ['images', 'masks', 'masks_per_image', 'relative_size', 'concavity', 'centre_heatmap'] as const)
      expect(json).toHaveProperty(key);
    expect(json.masks_per_image).toHaveProperty('histogram');
    expect(json.relative_size).toHaveProperty('quantiles');
    expect(json.compare.name).toBe('synthetic');
    const html = readFileSync(files.html, 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toContain('known');
    expect(html).toContain('synthetic');
    for (const f of files.svgs) expect(existsSync(f)).toBe(true);
  });
});

/** numpy `quantile(method="inverted_cdf")`: the ⌈q·n⌉-th smallest value. */
function invertedCdf(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length - 1e-9))) - 1]!;
}

describe('FineHistogram quantiles', () => {
  it('are exact when each bin holds one distinct value', () => {
    const h = new FineHistogram();
    const values = [0, 0, 0, 1 / 7, 1 / 7, 0.5, 0.5, 0.5, 0.5, 1];
    for (const v of values) h.add(v);
    for (const q of [0, 0.1, 0.3, 0.31, 0.5, 0.9, 0.99, 1]) expect(h.quantile(q), `q=${q}`).toBe(invertedCdf(values, q));
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b) / values.length, 15);
  });

  it('are within one bin width of the exact value on random data', () => {
    const rand = mulberry32(3);
    const h = new FineHistogram(1000);
    const values = Array.from({ length: 20_000 }, () => rand() ** 3);
    for (const v of values) h.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
      expect(Math.abs(h.quantile(q) - invertedCdf(sorted, q))).toBeLessThanOrEqual(1e-3);
  });

  it('clamps out-of-range values into the end bins and reports NaN when empty', () => {
    const h = new FineHistogram(10);
    expect(h.quantile(0.5)).toBeNaN();
    h.add(-1);
    h.add(2);
    expect(h.counts[0]).toBe(1);
    expect(h.counts[9]).toBe(1);
    expect(h.coarse(5)).toEqual([1, 0, 0, 0, 1]);
    expect(() => h.coarse(3)).toThrow(/divide/);
  });
});
