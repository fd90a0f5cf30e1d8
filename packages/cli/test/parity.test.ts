/**
 * Reference parity through the exact CLI contract: for every prompt case of one image per model,
 * `tsam predict --checkpoint X.pth --image Y.png [--point ...] [--box ...] [--mask-input ...]
 * [--multimask] --save-embedding --out DIR`, then DIR/result.json, DIR/low_res_logits.npy and
 * DIR/embedding.npy against the reference. The first run of a model exports it into the temp
 * TSAM_CACHE_DIR; the later runs reuse that export.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseNpy, rleToMask, writeNpy, type Rle } from '@tsam/core';
import {
  describeFixtures,
  fixturePath,
  hasFixtures,
  manifest,
  readFixture,
  readFixtureJson,
  type PromptCase,
} from '../../../testing/fixtures.js';
import { show, tempDir, tsam } from './helpers.js';
import { MASK_IOU_MIN, PARITY_RTOL, masksAgree, maxDiff, relDiff } from '../../../testing/compare.js';

const cache = tempDir('parity-cache');
const work = tempDir('parity-work');
const env = { TSAM_CACHE_DIR: cache };

/** One image per model: scene_tiny where the model has it (fastest), else its first image. */
function imageFor(model: string): string {
  const images = [
    ...new Set(
      manifest()
        .cases.filter((c) => c.model === model && !c.onnx_contract)
        .map((c) => c.image),
    ),
  ];
  return images.includes('scene_tiny') ? 'scene_tiny' : images[0]!;
}

function promptCases(model: string, image: string): PromptCase[] {
  return manifest().cases.filter((c): c is PromptCase => c.model === model && c.image === image && !c.onnx_contract);
}

/** The reference's highest-IoU low-res logits of a case, as a 256×256 (or 1×256×256) float32 .npy. */
function bestRefLowRes(from: PromptCase, shape: number[]): Uint8Array {
  const ref = parseNpy(readFixture(from.expected.low_res_logits));
  const ious = from.expected.iou_predictions;
  const best = ious.indexOf(Math.max(...ious));
  return writeNpy(ref.data.slice(best * 65536, (best + 1) * 65536), shape);
}

function predictArgs(model: string, c: PromptCase, out: string, maskInput?: string): string[] {
  const args = [
    'predict',
    '--checkpoint',
    fixturePath(manifest().models[model]!.checkpoint),
    '--image',
    fixturePath(manifest().images[c.image]!.file),
  ];
  (c.points ?? []).forEach(([x, y], i) => args.push('--point', `${x},${y},${c.labels?.[i]}`));
  if (c.box) args.push('--box', c.box.join(','));
  if (maskInput) args.push('--mask-input', maskInput);
  if (c.multimask) args.push('--multimask');
  args.push('--save-embedding', '--out', out);
  return args;
}

interface Measured {
  logits: number;
  iou: number;
  /** Worst IoU over the non-empty reference masks (1 when there are none). */
  maskIou: number;
  /** Masks that break the parity rule of `masksAgree`. */
  badMasks: number;
  embedding: number;
}

/** Checks DIR against the reference case and returns the measured distances. */
function compareOutputs(model: string, c: PromptCase, out: string): Measured {
  const { width, height } = manifest().images[c.image]!;
  const n = c.expected.iou_predictions.length;
  expect(readdirSync(out).sort()).toEqual(['embedding.npy', 'low_res_logits.npy', 'result.json']);

  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { iou_predictions: number[]; masks: Rle[] };
  expect(Object.keys(result)).toEqual(['iou_predictions', 'masks']);
  expect(result.iou_predictions).toHaveLength(n);
  expect(result.masks).toHaveLength(n);
  const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
  let worstMaskIou = 1;
  let badMasks = 0;
  result.masks.forEach((rle, i) => {
    // Uncompressed COCO RLE at image size: [h, w], integer runs covering h·w, zeros first.
    expect(Object.keys(rle).sort()).toEqual(['counts', 'size']);
    expect(rle.size).toEqual([height, width]);
    expect(rle.counts.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
    expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(height * width);
    const a = masksAgree(rleToMask(rle), rleToMask(refMasks[i]!));
    if (a.refArea > 0) worstMaskIou = Math.min(worstMaskIou, a.iou);
    if (!a.ok) badMasks++;
  });

  const lowRes = parseNpy(readFileSync(join(out, 'low_res_logits.npy')));
  expect(lowRes.dtype).toBe('<f4');
  expect(lowRes.shape).toEqual([n, 256, 256]);
  const refLowRes = parseNpy(readFixture(c.expected.low_res_logits));

  const emb = parseNpy(readFileSync(join(out, 'embedding.npy')));
  expect(emb.dtype).toBe('<f4');
  expect(emb.shape).toEqual([1, 256, 64, 64]);
  const refEmb = parseNpy(readFixture(`${model}/${c.image}/embedding.npy`));

  return {
    logits: relDiff(lowRes.data, refLowRes.data),
    iou: maxDiff(result.iou_predictions, c.expected.iou_predictions),
    maskIou: worstMaskIou,
    badMasks,
    embedding: relDiff(emb.data, refEmb.data),
  };
}

const summary: string[] = [];

/** The suite's one tolerance (testing/compare.ts). */
function expectParity(m: Measured): void {
  expect(m.logits, 'low-res logits').toBeLessThanOrEqual(PARITY_RTOL);
  expect(m.iou, 'IoU predictions').toBeLessThanOrEqual(PARITY_RTOL);
  expect(m.embedding, 'embedding').toBeLessThanOrEqual(PARITY_RTOL);
  expect(m.badMasks, `masks below IoU ${MASK_IOU_MIN} or non-empty where the reference is empty`).toBe(0);
}

const models = hasFixtures ? Object.keys(manifest().models) : ['(fixtures absent)'];
for (const model of models) {
  describeFixtures(`tsam predict parity: ${model}`, () => {
    const image = hasFixtures ? imageFor(model) : '';
    const cases = hasFixtures ? promptCases(model, image) : [];

    it(`has prompt cases for ${model}/${image}`, () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    // Cases run in manifest order, so a refine case's source ran (and exported the model) first.
    for (const c of cases) {
      it(`${image}/${c.id}`, async () => {
        const out = join(work, model, c.id);
        let maskInput: string | undefined;
        if (c.mask_input_from) {
          const from = cases.find((k) => k.id === c.mask_input_from)!;
          maskInput = join(work, `${model}.${c.id}.mask_input.npy`);
          writeFileSync(maskInput, bestRefLowRes(from, [256, 256]));
        }
        const r = await tsam(predictArgs(model, c, out, maskInput), { env });
        expect(r.code, show(r)).toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(`${c.expected.iou_predictions.length} mask(s)`);
        const m = compareOutputs(model, c, out);
        summary.push(
          `${model}/${image}/${c.id}: logits ${m.logits.toExponential(2)} iou ${m.iou.toExponential(2)} ` +
            `maskIoU ${m.maskIou.toFixed(4)} embedding ${m.embedding.toExponential(2)}`,
        );
        expectParity(m);
      });

      // The [1, 256, 256] mask-input layout, once (the first model) to keep the runtime down.
      if (c.mask_input_from && model === models[0]) {
        it(`${image}/${c.id} with a 1×256×256 --mask-input`, async () => {
          const from = cases.find((k) => k.id === c.mask_input_from)!;
          const maskInput = join(work, `${model}.${c.id}.mask_input.1x256x256.npy`);
          writeFileSync(maskInput, bestRefLowRes(from, [1, 256, 256]));
          const out = join(work, model, `${c.id}.1x256x256`);
          const r = await tsam(predictArgs(model, c, out, maskInput), { env });
          expect(r.code, show(r)).toBe(0);
          const m = compareOutputs(model, c, out);
          summary.push(
            `${model}/${image}/${c.id} (1×256×256 mask): logits ${m.logits.toExponential(2)} iou ${m.iou.toExponential(2)} maskIoU ${m.maskIou.toFixed(4)}`,
          );
          expectParity(m);
          // Same input values, same process path: identical to the 256×256 run.
          expect(readFileSync(join(out, 'low_res_logits.npy')).equals(readFileSync(join(work, model, c.id, 'low_res_logits.npy')))).toBe(
            true,
          );
        });
      }
    }
  });
}

afterAll(() => {
  if (summary.length) console.log(`CLI parity (max|diff|/max|ref| for logits and embedding, max|diff| for IoU):\n${summary.join('\n')}`);
});
