/**
 * Reference parity for every prompt case in the fixtures manifest, through the public API:
 * checkpoint → exported ONNX → SamPredictor (setImage / setEmbedding → predict).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { parseNpy, rleToMask, type Prediction, type PromptInput, type Rle } from '@tsam/core';
import { loadImage, loadSam, type LoadedSam } from '../src/index.js';
import {
  describeFixtures,
  fixturePath,
  hasFixtures,
  manifest,
  readFixture,
  readFixtureJson,
  type PromptCase,
} from '../../../testing/fixtures.js';
import { MASK_IOU_MIN, PARITY_RTOL, masksAgree, maxDiff, relDiff } from '../../../testing/compare.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tsam-parity-'));

function promptOf(c: PromptCase, maskInput?: Float32Array): PromptInput {
  return {
    ...(c.points && { points: c.points, labels: c.labels ?? [] }),
    ...(c.box && { box: c.box }),
    ...(maskInput && { maskInput }),
    multimaskOutput: c.multimask === true,
  };
}

/** The highest-IoU low-res logits of a prediction (what the reference feeds back to refine). */
function bestLowRes(lowRes: Float32Array, ious: readonly number[]): Float32Array {
  const best = ious.indexOf(Math.max(...ious));
  return lowRes.slice(best * 65536, (best + 1) * 65536);
}

interface Measured {
  logits: number;
  iou: number;
  /** Worst IoU over the non-empty reference masks (1 when there are none). */
  maskIou: number;
  /** Masks that break the parity rule of `masksAgree`. */
  badMasks: number;
  /** Non-empty reference masks compared. */
  nonEmpty: number;
}

function compare(c: PromptCase, pred: Prediction): Measured {
  const ref = parseNpy(readFixture(c.expected.low_res_logits));
  const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
  expect(pred.masks.length).toBe(c.expected.iou_predictions.length);
  const agreements = refMasks.map((r, i) => masksAgree(pred.masks[i]!, rleToMask(r)));
  const nonEmpty = agreements.filter((a) => a.refArea > 0);
  return {
    logits: relDiff(pred.lowResLogits, ref.data),
    iou: maxDiff(pred.iouPredictions, c.expected.iou_predictions),
    maskIou: Math.min(1, ...nonEmpty.map((a) => a.iou)),
    badMasks: agreements.filter((a) => !a.ok).length,
    nonEmpty: nonEmpty.length,
  };
}

/** Every case gets the one tolerance of testing/compare.ts (the fixtures' README explains the regenerated trained model). */
function expectParity(m: Measured, label: string): void {
  expect(m.logits, `${label}: low-res logits`).toBeLessThanOrEqual(PARITY_RTOL);
  expect(m.iou, `${label}: IoU predictions`).toBeLessThanOrEqual(PARITY_RTOL);
  expect(m.badMasks, `${label}: masks below IoU ${MASK_IOU_MIN} or non-empty where the reference is empty`).toBe(0);
}

/** The untrained models answer every prompt with a speckled, non-empty mask: an empty one means a broken path. */
const PROMPT_SENSITIVE = new Set(['sam_vit_mini', 'mobile_sam_random']);

const models = hasFixtures ? Object.keys(manifest().models) : [];
const summary: string[] = [];

for (const model of models) {
  describeFixtures(`prompt parity: ${model}`, () => {
    let sam: LoadedSam;
    const cases = () => manifest().cases.filter((c): c is PromptCase => c.model === model && !c.onnx_contract);
    beforeAll(async () => {
      sam = await loadSam({ checkpoint: fixturePath(manifest().models[model]!.checkpoint), cacheDir });
    });

    const images = [
      ...new Set(
        manifest()
          .cases.filter((c) => c.model === model && !c.onnx_contract)
          .map((c) => c.image),
      ),
    ];
    for (const image of images) {
      it(`${image}: embedding, decode from the reference embedding, and end to end`, async () => {
        const rgb = await loadImage(fixturePath(manifest().images[image]!.file));
        const emb = await sam.predictor.setImage(rgb);
        const refEmb = parseNpy(readFixture(`${model}/${image}/embedding.npy`));
        const embRatio = relDiff(emb.data, refEmb.data);
        summary.push(`${model}/${image} embedding max|diff|/max|ref| ${embRatio.toExponential(2)}`);
        expect(embRatio).toBeLessThanOrEqual(PARITY_RTOL);

        const own = new Map<string, Prediction>();
        for (const c of cases().filter((k) => k.image === image)) {
          // End to end: our embedding, and our own earlier logits as the refine mask input.
          const src = c.mask_input_from ? own.get(c.mask_input_from) : undefined;
          const e2e = await sam.predictor.predict(promptOf(c, src && bestLowRes(src.lowResLogits, src.iouPredictions)));
          own.set(c.id, e2e);
          const m = compare(c, e2e);
          summary.push(
            `${model}/${image}/${c.id} e2e: logits ${m.logits.toExponential(2)} iou ${m.iou.toExponential(2)} maskIoU ${m.maskIou.toFixed(5)} (${m.nonEmpty} non-empty)`,
          );
          expectParity(m, `${c.id} end to end`);
          if (PROMPT_SENSITIVE.has(model)) expect(m.nonEmpty).toBe(e2e.masks.length);
        }

        sam.predictor.setEmbedding({ data: refEmb.data, dims: refEmb.shape, width: rgb.width, height: rgb.height });
        for (const c of cases().filter((k) => k.image === image)) {
          let maskInput: Float32Array | undefined;
          if (c.mask_input_from) {
            const from = cases().find((k) => k.image === image && k.id === c.mask_input_from)!;
            maskInput = bestLowRes(parseNpy(readFixture(from.expected.low_res_logits)).data, from.expected.iou_predictions);
          }
          const m = compare(c, await sam.predictor.predict(promptOf(c, maskInput)));
          summary.push(
            `${model}/${image}/${c.id} ref-embedding: logits ${m.logits.toExponential(2)} iou ${m.iou.toExponential(2)} maskIoU ${m.maskIou.toFixed(5)} (${m.nonEmpty} non-empty)`,
          );
          expectParity(m, `${c.id} from the reference embedding`);
        }
      });
    }
  });
}

it.runIf(hasFixtures)('prints the parity summary', () => {
  console.log(summary.join('\n'));
  expect(summary.length).toBeGreaterThan(0);
});
