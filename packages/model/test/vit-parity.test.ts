import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import { serializeModel } from '@tsam/onnx';
import { logitsToMask, parseNpy, preprocessImage, rleToMask, type Rle } from '@tsam/core';
import { describeFixtures, fixturePath, manifest, readFixture, readFixtureJson, type OnnxContractCase } from '../../../testing/fixtures.js';
import { buildDecoderGraph, buildEncoderGraph, inferSamConfig, readCheckpoint, type StateDict } from '../src/index.js';
import { PARITY_RTOL, masksAgree, maxDiff, relDiff } from '../../../testing/compare.js';

describeFixtures('SAM ViT graphs against the reference (sam_vit_mini)', () => {
  let sd: StateDict;
  beforeAll(() => {
    sd = readCheckpoint(readFixture('sam_vit_mini.pth'));
  });

  it('infers the config from the state dict alone', () => {
    const cfg = inferSamConfig(sd);
    const m = manifest().models.sam_vit_mini!;
    expect(cfg.family).toBe('sam_vit');
    if (cfg.encoder.family !== 'sam_vit') throw new Error('family');
    expect(cfg.encoder.embedDim).toBe(m.embed_dim);
    expect(cfg.encoder.depth).toBe(m.depth);
    expect(cfg.encoder.numHeads).toBe(m.num_heads);
    expect(cfg.encoder.globalAttnIndexes).toEqual(m.global_attn_indexes);
    expect(cfg.encoder.windowSize).toBe(14);
    expect(cfg.decoder).toEqual({ depth: 2, numHeads: 8, numMaskTokens: 4 });
  });

  it('encoder matches the reference embedding', async () => {
    const cfg = inferSamConfig(sd);
    const session = await ort.InferenceSession.create(serializeModel(buildEncoderGraph((k) => sd.get(k), cfg)).model);
    const { data, info } = await sharp(fixturePath('sam_vit_mini/scene_landscape/resized.png'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = preprocessImage(new Uint8Array(data), info.width, info.height);
    const out = await session.run({ image: new ort.Tensor('float32', input, [1, 3, 1024, 1024]) });
    const ref = parseNpy(readFixture('sam_vit_mini/scene_landscape/embedding.npy'));
    const got = out.image_embeddings!.data as Float32Array;
    const ratio = relDiff(got, ref.data);
    console.log(`vit encoder: max|diff|/max|ref| = ${ratio.toExponential(3)}`);
    expect(ratio).toBeLessThanOrEqual(PARITY_RTOL);
  });

  for (const model of ['sam_vit_mini', 'sam_vit_mini_trained']) {
    it(`decoder.onnx contract cases match the reference wrapper (${model})`, async () => {
      const msd = model === 'sam_vit_mini' ? sd : readCheckpoint(readFixture(`${model}.pth`));
      const cfg = inferSamConfig(msd);
      const session = await ort.InferenceSession.create(serializeModel(buildDecoderGraph((k) => msd.get(k), cfg)).model);
      const cases = manifest().cases.filter((c): c is OnnxContractCase => c.onnx_contract === true && c.model === model);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const emb = parseNpy(readFixture(`${model}/${c.image}/embedding.npy`));
        const mask = parseNpy(readFixture(c.inputs.mask_input));
        const n = c.inputs.point_labels.length;
        const out = await session.run({
          image_embeddings: new ort.Tensor('float32', emb.data, [1, 256, 64, 64]),
          point_coords: new ort.Tensor('float32', Float32Array.from(c.inputs.point_coords_1024.flat()), [1, n, 2]),
          point_labels: new ort.Tensor('float32', Float32Array.from(c.inputs.point_labels), [1, n]),
          mask_input: new ort.Tensor('float32', mask.data, [1, 1, 256, 256]),
          has_mask_input: new ort.Tensor('float32', Float32Array.from([c.inputs.has_mask_input]), [1]),
          orig_im_size: new ort.Tensor('float32', Float32Array.from(c.inputs.orig_im_size), [2]),
        });
        const refLow = parseNpy(readFixture(c.expected.low_res_masks));
        const low = out.low_res_masks!.data as Float32Array;
        const lowRatio = relDiff(low, refLow.data);
        const iouDiff = maxDiff(out.iou_predictions!.data as Float32Array, c.expected.iou_predictions);
        const [h, w] = c.inputs.orig_im_size;
        expect(out.masks!.dims).toEqual([1, 4, h, w]);
        const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
        const masks = out.masks!.data as Float32Array;
        const agree = refMasks.map((r, i) => masksAgree(logitsToMask(masks.subarray(i * h * w, (i + 1) * h * w)), rleToMask(r)));
        const ious = agree.filter((a) => a.refArea > 0).map((a) => a.iou);
        console.log(
          `${model} ${c.id}: low-res ${lowRatio.toExponential(2)}, iou diff ${iouDiff.toExponential(2)}, mask IoU min ${Math.min(1, ...ious).toFixed(5)} over ${ious.length} non-empty`,
        );
        expect(lowRatio).toBeLessThanOrEqual(PARITY_RTOL);
        expect(iouDiff).toBeLessThanOrEqual(PARITY_RTOL);
        expect(agree.filter((a) => !a.ok)).toEqual([]);
        if (model === 'sam_vit_mini') expect(ious).toHaveLength(refMasks.length); // untrained: never empty
      }
    });
  }
});
