/**
 * `--precision fp16|int8`: each reduced-precision export loads and predicts, and the accuracy report
 * it writes into model.json equals the same figures measured here through the public predictor
 * (the exported fp32 graphs against the reduced ones, on the same image and prompts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { maskIntersectionUnion, type RgbImage } from '@tsam/core';
import { exportModel, loadImage, loadSam, type LoadedSam, type PrecisionReport } from '../src/index.js';
import { describeFixtures, fixturePath, manifest } from '../../../testing/fixtures.js';
import { relDiff } from '../../../testing/compare.js';

const MODEL = 'sam_vit_mini'; // untrained: every prompt answers differently, so mask agreement means something
const work = mkdtempSync(join(tmpdir(), 'tsam-precision-'));

/** The report's figures, measured independently: both models through `predict` at the report's 4×4 grid. */
async function measure(fp32: LoadedSam, low: LoadedSam, img: RgbImage): Promise<PrecisionReport & { nonEmpty: number }> {
  const embRef = await fp32.predictor.setImage(img);
  const embLow = await low.predictor.setImage(img);
  let sumD = 0;
  let sumR = 0;
  for (let i = 0; i < embRef.data.length; i++) {
    sumD += Math.abs(embLow.data[i]! - embRef.data[i]!);
    sumR += Math.abs(embRef.data[i]!);
  }
  const ious: number[] = [];
  let iouPredMaxDiff = 0;
  let nonEmpty = 0;
  const plane = 256 * 256;
  for (let gy = 0; gy < 4; gy++) {
    for (let gx = 0; gx < 4; gx++) {
      const prompt = {
        points: [[((gx + 0.5) / 4) * img.width, ((gy + 0.5) / 4) * img.height] as const],
        labels: [1],
        multimaskOutput: true,
      };
      const a = await fp32.predictor.predict(prompt);
      const b = await low.predictor.predict(prompt);
      for (let m = 0; m < 3; m++) {
        const ma = Uint8Array.from(a.lowResLogits.subarray(m * plane, (m + 1) * plane), (v) => (v > 0 ? 1 : 0));
        const mb = Uint8Array.from(b.lowResLogits.subarray(m * plane, (m + 1) * plane), (v) => (v > 0 ? 1 : 0));
        const { intersection, union } = maskIntersectionUnion(ma, mb);
        if (ma.some((v) => v) && mb.some((v) => v)) nonEmpty++;
        ious.push(union === 0 ? 1 : intersection / union);
        iouPredMaxDiff = Math.max(iouPredMaxDiff, Math.abs(a.iouPredictions[m]! - b.iouPredictions[m]!));
      }
    }
  }
  return {
    image: '',
    embeddingMaxRel: relDiff(embLow.data, embRef.data),
    embeddingMeanRel: sumD / sumR,
    maskIouMean: ious.reduce((x, y) => x + y, 0) / ious.length,
    maskIouMin: Math.min(...ious),
    masks: ious.length,
    iouPredMaxDiff,
    nonEmpty,
  };
}

describeFixtures(`reduced-precision exports (${MODEL})`, () => {
  let img: RgbImage;
  let fp32: LoadedSam;
  const checkpoint = () => fixturePath(manifest().models[MODEL]!.checkpoint);

  beforeAll(async () => {
    img = await loadImage(fixturePath(manifest().images.scene_portrait!.file));
    await exportModel(checkpoint(), join(work, 'fp32'));
    fp32 = await loadSam({ modelDir: join(work, 'fp32'), cacheOptimizedModel: false });
  });

  for (const precision of ['fp16', 'int8'] as const) {
    it(`${precision}: the printed accuracy equals an independent measurement through predict`, async () => {
      const dir = join(work, precision);
      const written = await exportModel(checkpoint(), dir, { precision, checkImage: { ...img, name: 'scene_portrait' } });
      const report = written.precisionCheck!;
      expect(written.precision).toBe(precision);
      const low = await loadSam({ modelDir: dir, cacheOptimizedModel: false });
      expect(low.manifest.precisionCheck).toEqual(report);
      const got = await measure(fp32, low, img);
      console.log(
        `[${precision}] report: embedding max ${report.embeddingMaxRel.toExponential(3)} mean ${report.embeddingMeanRel.toExponential(3)}, ` +
          `mask IoU mean ${report.maskIouMean.toFixed(5)} min ${report.maskIouMin.toFixed(5)}, IoU-pred max|Δ| ${report.iouPredMaxDiff.toExponential(2)}\n` +
          `[${precision}] measured: embedding max ${got.embeddingMaxRel.toExponential(3)} mean ${got.embeddingMeanRel.toExponential(3)}, ` +
          `mask IoU mean ${got.maskIouMean.toFixed(5)} min ${got.maskIouMin.toFixed(5)}, IoU-pred max|Δ| ${got.iouPredMaxDiff.toExponential(2)}, ` +
          `${got.nonEmpty}/${got.masks} mask pairs non-empty`,
      );
      // A real loss was measured, on masks that exist.
      expect(report.embeddingMaxRel).toBeGreaterThan(0);
      expect(got.nonEmpty).toBe(got.masks);
      expect(report.masks).toBe(got.masks);
      // The same figures (the report's fp32 graphs are built in memory, ours are read from disk).
      expect(Math.abs(got.embeddingMaxRel - report.embeddingMaxRel)).toBeLessThanOrEqual(1e-5 * report.embeddingMaxRel);
      expect(Math.abs(got.embeddingMeanRel - report.embeddingMeanRel)).toBeLessThanOrEqual(1e-5 * report.embeddingMeanRel);
      expect(Math.abs(got.maskIouMean - report.maskIouMean)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.maskIouMin - report.maskIouMin)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.iouPredMaxDiff - report.iouPredMaxDiff)).toBeLessThanOrEqual(1e-6);
    }, 300_000);
  }
});
