/** `tsam export --precision fp16|int8`: reduced-precision graphs that load, plus the printed accuracy check. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeFixtures, fixturePath, manifest } from '../../../testing/fixtures.js';
import { show, tempDir, tsam } from './helpers.js';

const MODEL = 'sam_vit_mini';

describeFixtures(`tsam export --precision (${MODEL})`, () => {
  const work = tempDir('export-precision');
  const checkpoint = () => fixturePath(manifest().models[MODEL]!.checkpoint);

  for (const precision of ['fp16', 'int8'] as const) {
    it(`--precision ${precision} writes graphs that run and prints their accuracy against fp32`, async () => {
      const out = join(work, precision);
      const r = await tsam([
        'export',
        '--checkpoint',
        checkpoint(),
        '--out',
        out,
        '--precision',
        precision,
        '--check-image',
        fixturePath(manifest().images.scene_tiny!.file),
      ]);
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toMatch(
        new RegExp(`${precision} vs fp32 on .*embedding max\\|Δ\\|/max\\|ref\\| [\\d.e+-]+.*low-res mask IoU mean [\\d.]+`),
      );
      const m = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
        precision: string;
        precisionCheck: { maskIouMean: number; embeddingMeanRel: number };
      };
      expect(m.precision).toBe(precision);
      expect(m.precisionCheck.maskIouMean).toBeGreaterThan(0.9);
      expect(m.precisionCheck.embeddingMeanRel).toBeLessThan(0.05);
      // The exported graphs predict.
      const pred = await tsam([
        'predict',
        '--model-dir',
        out,
        '--image',
        fixturePath(manifest().images.scene_tiny!.file),
        '--point',
        '40,30,1',
        '--out',
        join(work, `${precision}-pred`),
      ]);
      expect(pred.code, show(pred)).toBe(0);
      const result = JSON.parse(readFileSync(join(work, `${precision}-pred`, 'result.json'), 'utf8')) as { iou_predictions: number[] };
      expect(result.iou_predictions.every(Number.isFinite)).toBe(true);
      // And through automatic mask generation (filters off, so the untrained model yields records).
      const amgOut = join(work, `${precision}-amg`);
      const amg = await tsam([
        'amg',
        '--model-dir',
        out,
        '--input',
        fixturePath(manifest().images.scene_tiny!.file),
        '--output',
        amgOut,
        '--points-per-side',
        '4',
        '--pred-iou-thresh',
        '0',
        '--stability-score-thresh',
        '0',
        '--box-nms-thresh',
        '1',
        '--convert-to-rle',
      ]);
      expect(amg.code, show(amg)).toBe(0);
      const records = JSON.parse(readFileSync(join(amgOut, 'scene_tiny.json'), 'utf8')) as { area: number }[];
      expect(records.length).toBeGreaterThan(0);
      expect(records.every((r) => r.area > 0)).toBe(true);
      if (precision === 'fp16') {
        const ref = join(work, 'fp32');
        const f = await tsam(['export', '--checkpoint', checkpoint(), '--out', ref]);
        expect(f.code, show(f)).toBe(0);
        expect(statSync(join(out, 'decoder.onnx')).size).toBeLessThan(0.6 * statSync(join(ref, 'decoder.onnx')).size);
      }
    }, 300_000);
  }

  it('rejects an unknown precision', async () => {
    const r = await tsam(['export', '--checkpoint', checkpoint(), '--out', join(work, 'bad'), '--precision', 'int4']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/expected one of fp32, fp16, int8, got "int4"/);
  });
});
