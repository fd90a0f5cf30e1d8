/**
 * `tsam embed`, `tsam export` (the graphs load in onnxruntime-node with the official decoder
 * signature and reproduce the reference ONNX-contract outputs), then `tsam predict/embed --model-dir`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, expect, it } from 'vitest';
import { maskIou, parseNpy, rleToMask, type Rle } from '@tsam/core';
import {
  describeFixtures,
  fixturePath,
  manifest,
  readFixture,
  readFixtureJson,
  type OnnxContractCase,
  type PromptCase,
} from '../../../testing/fixtures.js';
import { maxAbs, maxDiff, show, tempDir, tsam } from './helpers.js';

const MODEL = 'sam_vit_mini';
const cache = tempDir('export-cache');
const work = tempDir('export-work');
const env = { TSAM_CACHE_DIR: cache };

describeFixtures(`tsam embed / export / predict --model-dir (${MODEL})`, () => {
  const checkpoint = () => fixturePath(manifest().models[MODEL]!.checkpoint);
  const tiny = () => fixturePath(manifest().images.scene_tiny!.file);
  const exported = join(work, 'exported');

  beforeAll(async () => {
    const r = await tsam(['export', '--checkpoint', checkpoint(), '--out', exported], { env });
    if (r.code !== 0) throw new Error(`tsam export failed: ${show(r)}`);
  });

  it('tsam embed writes embedding.npy (1×256×64×64, matching the reference) and embedding.json', async () => {
    const out = join(work, 'embed');
    const r = await tsam(['embed', '--checkpoint', checkpoint(), '--image', tiny(), '--out', out], { env });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe('');
    expect(readdirSync(out).sort()).toEqual(['embedding.json', 'embedding.npy']);
    const emb = parseNpy(readFileSync(join(out, 'embedding.npy')));
    expect(emb.dtype).toBe('<f4');
    expect(emb.shape).toEqual([1, 256, 64, 64]);
    const ref = parseNpy(readFixture(`${MODEL}/scene_tiny/embedding.npy`));
    const ratio = maxDiff(emb.data, ref.data) / maxAbs(ref.data);
    console.log(`tsam embed ${MODEL}/scene_tiny: embedding max|diff|/max|ref| ${ratio.toExponential(2)}`);
    expect(ratio).toBeLessThanOrEqual(1e-3);
    const meta = JSON.parse(readFileSync(join(out, 'embedding.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toEqual({
      width: 97,
      height: 61,
      dims: [1, 256, 64, 64],
      model: {
        file: manifest().models[MODEL]!.checkpoint,
        sha256: createHash('sha256').update(readFixture(manifest().models[MODEL]!.checkpoint)).digest('hex'),
      },
    });
  });

  it('tsam export writes the four graphs and model.json', () => {
    expect(
      readdirSync(exported)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['decoder.onnx', 'decoder_batched.onnx', 'decoder_lowres.onnx', 'encoder.onnx', 'model.json']);
    const m = JSON.parse(readFileSync(join(exported, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(m).toMatchObject({
      format: 'tsam-onnx/3',
      family: 'sam_vit',
      modelSize: 1024,
      files: {
        encoder: 'encoder.onnx',
        decoder: 'decoder.onnx',
        decoderBatched: 'decoder_batched.onnx',
        decoderLowRes: 'decoder_lowres.onnx',
      },
      checkpoint: { file: manifest().models[MODEL]!.checkpoint },
      config: { encoder: { embedDim: 128, depth: 4, numHeads: 4, globalAttnIndexes: [1, 3] } },
    });
  });

  it('decoder.onnx has the official SamOnnxModel signature', async () => {
    const s = await ort.InferenceSession.create(join(exported, 'decoder.onnx'));
    try {
      expect(s.inputNames).toEqual(['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size']);
      expect(s.outputNames).toEqual(['masks', 'iou_predictions', 'low_res_masks']);
      const meta = Object.fromEntries(s.inputMetadata.map((v) => [v.name, v.isTensor ? { type: v.type, shape: v.shape } : null]));
      expect(meta).toEqual({
        image_embeddings: { type: 'float32', shape: [1, 256, 64, 64] },
        point_coords: { type: 'float32', shape: [1, 'num_points', 2] },
        point_labels: { type: 'float32', shape: [1, 'num_points'] },
        mask_input: { type: 'float32', shape: [1, 1, 256, 256] },
        has_mask_input: { type: 'float32', shape: [1] },
        orig_im_size: { type: 'float32', shape: [2] },
      });
    } finally {
      await s.release();
    }
    for (const g of ['encoder.onnx', 'decoder_batched.onnx', 'decoder_lowres.onnx']) {
      const other = await ort.InferenceSession.create(join(exported, g));
      expect(other.outputNames.length).toBeGreaterThan(0);
      await other.release();
    }
  });

  it('decoder.onnx reproduces the reference ONNX-contract cases', async () => {
    const cases = manifest().cases.filter((c): c is OnnxContractCase => c.model === MODEL && c.onnx_contract === true);
    expect(cases.length).toBeGreaterThan(0);
    const s = await ort.InferenceSession.create(join(exported, 'decoder.onnx'));
    try {
      for (const c of cases) {
        const emb = parseNpy(readFixture(`${MODEL}/${c.image}/embedding.npy`));
        const mask = parseNpy(readFixture(c.inputs.mask_input));
        const n = c.inputs.point_labels.length;
        const [h, w] = c.inputs.orig_im_size;
        const res = await s.run({
          image_embeddings: new ort.Tensor('float32', emb.data, [1, 256, 64, 64]),
          point_coords: new ort.Tensor('float32', Float32Array.from(c.inputs.point_coords_1024.flat()), [1, n, 2]),
          point_labels: new ort.Tensor('float32', Float32Array.from(c.inputs.point_labels), [1, n]),
          mask_input: new ort.Tensor('float32', mask.data, [1, 1, 256, 256]),
          has_mask_input: new ort.Tensor('float32', Float32Array.of(c.inputs.has_mask_input), [1]),
          orig_im_size: new ort.Tensor('float32', Float32Array.of(h, w), [2]),
        });
        expect(res.masks!.dims).toEqual([1, 4, h, w]);
        expect(res.low_res_masks!.dims).toEqual([1, 4, 256, 256]);
        const refLow = parseNpy(readFixture(c.expected.low_res_masks));
        const logits = maxDiff(res.low_res_masks!.data as Float32Array, refLow.data) / maxAbs(refLow.data);
        const iou = maxDiff(res.iou_predictions!.data as Float32Array, c.expected.iou_predictions);
        const masks = res.masks!.data as Float32Array;
        const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
        const worst = Math.min(
          ...refMasks.map((r, i) =>
            maskIou(
              Array.from(masks.subarray(i * h * w, (i + 1) * h * w), (v) => (v > 0 ? 1 : 0)),
              rleToMask(r),
            ),
          ),
        );
        console.log(
          `exported decoder.onnx ${MODEL}/${c.image}/${c.id}: logits ${logits.toExponential(2)} iou ${iou.toExponential(2)} maskIoU ${worst.toFixed(4)}`,
        );
        expect(logits).toBeLessThanOrEqual(2e-3);
        expect(iou).toBeLessThanOrEqual(1e-3);
        expect(worst).toBeGreaterThanOrEqual(0.99);
      }
    } finally {
      await s.release();
    }
  });

  it('tsam predict --model-dir uses the exported graphs (no checkpoint, empty model cache)', async () => {
    const c = manifest().cases.find(
      (k): k is PromptCase => k.model === MODEL && k.image === 'scene_tiny' && k.id === 'box_neg' && !k.onnx_contract,
    )!;
    const out = join(work, 'predict-model-dir');
    const args = ['predict', '--model-dir', exported, '--image', tiny(), '--box', c.box!.join(',')];
    c.points!.forEach(([x, y], i) => args.push('--point', `${x},${y},${c.labels![i]}`));
    const r = await tsam([...args, '--multimask', '--save-embedding', '--out', out], { env: { TSAM_CACHE_DIR: tempDir('empty-cache') } });
    expect(r.code, show(r)).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { iou_predictions: number[]; masks: Rle[] };
    expect(result.masks).toHaveLength(3);
    const low = parseNpy(readFileSync(join(out, 'low_res_logits.npy')));
    expect(low.shape).toEqual([3, 256, 256]);
    const ref = parseNpy(readFixture(c.expected.low_res_logits));
    const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
    const logits = maxDiff(low.data, ref.data) / maxAbs(ref.data);
    const worst = Math.min(...refMasks.map((m, i) => maskIou(rleToMask(result.masks[i]!), rleToMask(m))));
    console.log(`tsam predict --model-dir ${MODEL}/scene_tiny/${c.id}: logits ${logits.toExponential(2)} maskIoU ${worst.toFixed(4)}`);
    expect(logits).toBeLessThanOrEqual(1e-2);
    expect(maxDiff(result.iou_predictions, c.expected.iou_predictions)).toBeLessThanOrEqual(1e-2);
    expect(worst).toBeGreaterThanOrEqual(0.99);
    expect(parseNpy(readFileSync(join(out, 'embedding.npy'))).shape).toEqual([1, 256, 64, 64]);
  });

  it('tsam embed --model-dir matches tsam embed --checkpoint', async () => {
    const out = join(work, 'embed-model-dir');
    const r = await tsam(['embed', '--model-dir', exported, '--image', tiny(), '--out', out], { env });
    expect(r.code, show(r)).toBe(0);
    expect(readFileSync(join(out, 'embedding.npy')).equals(readFileSync(join(work, 'embed', 'embedding.npy')))).toBe(true);
  });

  it('negative (outside-image) coordinates parse as values, not as options', async () => {
    const out = join(work, 'negative');
    const args = [
      'predict',
      '--model-dir',
      exported,
      '--image',
      tiny(),
      '--point',
      '-5,3,1',
      '--point=-2.5,-1e1,0',
      '--box',
      '-1,-2,30,40',
    ];
    const r = await tsam([...args, '--out', out], { env });
    expect(r.code, show(r)).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { masks: Rle[] };
    expect(result.masks.map((m) => m.size)).toEqual([[61, 97]]);
  });

  it('tsam predict --model-dir on a directory without model.json fails clearly', async () => {
    const r = await tsam(['predict', '--model-dir', work, '--image', tiny(), '--point', '3,4,1', '--out', join(work, 'nope')], { env });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('model.json');
  });
});
