/**
 * The speed paths must not change results:
 * - the reassociated decoder graphs agree with the reference-order graphs to float rounding;
 * - automatic mask generation with every optimisation on (reassociated batched decoder, decoder
 *   runs of 16 prompts, cached optimised ORT graph) gives records identical to the unoptimised
 *   path (reference-order batched decoder, one decoder run per 64-prompt batch, no ORT cache);
 * - the predictor's masks (decoder_lowres.onnx + BinaryMaskUpscaler) are exactly the thresholded
 *   torch-bilinear upscale of its low-res logits, and match the official decoder's masks;
 * - the chunked ViT attention equals the unchunked one;
 * - a session opened from the cached optimised graph computes what a fresh session computes.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeModel } from '@tsam/onnx';
import { buildDecoderGraph, buildEncoderGraph, inferSamConfig, type SamConfig, type StateDict } from '@tsam/model';
import {
  AutomaticMaskGenerator,
  MaskUpscaler,
  amgParamsFromReference,
  buildDecoderPrompt,
  logitsToMask,
  parseNpy,
  preprocessImage,
  type AmgRecord,
  type SessionLike,
} from '@tsam/core';
import { createOrtSession, loadImage, loadSam, loadStateDict, optimizedModelCachePath } from '../src/index.js';
import { describeFixtures, fixturePath, manifest, readFixture, readFixtureJson } from '../../../testing/fixtures.js';
import { relDiff } from '../../../testing/compare.js';

const maxRel = relDiff;

function countDiffering(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const cacheDir = mkdtempSync(join(tmpdir(), 'tsam-perf-'));

describeFixtures('speed paths give the same results', () => {
  const models: Record<string, { sd: StateDict; cfg: SamConfig }> = {};
  const model = (name: string) => {
    if (!models[name]) {
      const sd = loadStateDict(fixturePath(manifest().models[name]!.checkpoint));
      models[name] = { sd, cfg: inferSamConfig(sd) };
    }
    return models[name]!;
  };
  const session = (bytes: Uint8Array) => createOrtSession(bytes);

  describe('decoder graphs', () => {
    let emb: Float32Array;
    beforeAll(() => {
      emb = parseNpy(readFixture('sam_vit_mini/scene_portrait/embedding.npy')).data;
    });

    it('the reassociated single and low-res decoders match the reference-order decoder', async () => {
      const { sd, cfg } = model('sam_vit_mini');
      const params = (k: string) => sd.get(k);
      const ref = await session(serializeModel(buildDecoderGraph(params, cfg, { referenceOrder: true })).model);
      const fast = await session(serializeModel(buildDecoderGraph(params, cfg)).model);
      const lowRes = await session(serializeModel(buildDecoderGraph(params, cfg, { lowResOnly: true })).model);
      const mask = new Float32Array(256 * 256).map((_, i) => Math.sin(i / 300) * 4);
      for (const hasMask of [0, 1]) {
        const feeds = {
          image_embeddings: { data: emb, dims: [1, 256, 64, 64] },
          point_coords: { data: Float32Array.of(300, 500, 0, 0), dims: [1, 2, 2] },
          point_labels: { data: Float32Array.of(1, -1), dims: [1, 2] },
          mask_input: { data: mask, dims: [1, 1, 256, 256] },
          has_mask_input: { data: Float32Array.of(hasMask), dims: [1] },
        };
        const orig = { orig_im_size: { data: Float32Array.of(800, 480), dims: [2] } };
        const a = await ref.run({ ...feeds, ...orig });
        const b = await fast.run({ ...feeds, ...orig });
        const c = await lowRes.run(feeds);
        expect(Object.keys(c).sort()).toEqual(['iou_predictions', 'low_res_masks']);
        const rel = maxRel(b.low_res_masks!.data, a.low_res_masks!.data);
        console.log(
          `[decoder] has_mask ${hasMask}: low-res max|Δ|/max ${rel.toExponential(2)}, masks ${maxRel(b.masks!.data, a.masks!.data).toExponential(2)}`,
        );
        expect(rel).toBeLessThan(1e-5);
        expect(maxRel(b.iou_predictions!.data, a.iou_predictions!.data)).toBeLessThan(1e-5);
        expect(maxRel(b.masks!.data, a.masks!.data)).toBeLessThan(1e-5);
        expect(c.low_res_masks!.data).toEqual(b.low_res_masks!.data);
        expect(c.iou_predictions!.data).toEqual(b.iou_predictions!.data);
      }
    });

    it('the reassociated batched decoder matches the reference-order one, whatever the batch size', async () => {
      const { sd, cfg } = model('sam_vit_mini');
      const params = (k: string) => sd.get(k);
      const ref = await session(serializeModel(buildDecoderGraph(params, cfg, { batched: true, referenceOrder: true })).model);
      const fast = await session(serializeModel(buildDecoderGraph(params, cfg, { batched: true })).model);
      const n = 6;
      const coords = Float32Array.from({ length: 4 * n }, (_, i) => (i % 4 < 2 ? ((i * 97) % 1000) + 10 : 0));
      const labels = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? -1 : 1));
      const run = (s: SessionLike, lo: number, hi: number) =>
        s.run({
          image_embeddings: { data: emb, dims: [1, 256, 64, 64] },
          point_coords: { data: coords.slice(4 * lo, 4 * hi), dims: [hi - lo, 2, 2] },
          point_labels: { data: labels.slice(2 * lo, 2 * hi), dims: [hi - lo, 2] },
        });
      const a = await run(ref, 0, n);
      const b = await run(fast, 0, n);
      expect(maxRel(b.low_res_masks!.data, a.low_res_masks!.data)).toBeLessThan(1e-5);
      // Per-prompt results do not depend on how prompts are batched (bit for bit).
      const b1 = await run(fast, 0, 2);
      const b2 = await run(fast, 2, n);
      const plane = 4 * 256 * 256;
      expect(b1.low_res_masks!.data).toEqual(b.low_res_masks!.data.subarray(0, 2 * plane));
      expect(b2.low_res_masks!.data).toEqual(b.low_res_masks!.data.subarray(2 * plane));
    });
  });

  it('automatic mask generation: records identical to the unoptimised path', async () => {
    const cases = [
      { model: 'sam_vit_mini', image: 'scene_tiny' },
      { model: 'sam_vit_mini', image: 'scene_portrait' },
      { model: 'mobile_sam_random', image: 'scene_tiny' },
    ];
    for (const c of cases) {
      const { sd, cfg } = model(c.model);
      const params = (k: string) => sd.get(k);
      const { params: refParams } = readFixtureJson<{ params: Record<string, unknown> }>(`${c.model}/${c.image}/amg.json`);
      const amgParams = { ...amgParamsFromReference(refParams), outputMode: 'uncompressed_rle' as const };
      const image = await loadImage(fixturePath(manifest().images[c.image]!.file));
      const encoder = await createOrtSession(serializeModel(buildEncoderGraph(params, cfg)).model);
      const refOrder = await createOrtSession(
        serializeModel(buildDecoderGraph(params, cfg, { batched: true, referenceOrder: true })).model,
      );
      const fast = await createOrtSession(serializeModel(buildDecoderGraph(params, cfg, { batched: true })).model);
      const run = (decoder: SessionLike, chunk: number) =>
        new AutomaticMaskGenerator({ encoder, batchedDecoder: decoder, modelSize: cfg.imgSize }, amgParams, {
          decoderChunk: chunk,
        }).generate(image);
      const perBatch = amgParams.pointsPerBatch ?? 64;
      // The generator's own speed-ups (decoder runs of 16 prompts): bit-identical records.
      const unoptimised: AmgRecord[] = await run(fast, perBatch);
      const optimised: AmgRecord[] = await run(fast, 16);
      expect(unoptimised.length).toBeGreaterThan(0);
      expect(optimised).toEqual(unoptimised);
      // The reassociated decoder graph against the reference-order one: the same masks, boxes,
      // points, stability scores and order; predicted IoUs differ by float rounding only.
      const reference: AmgRecord[] = await run(refOrder, perBatch);
      expect(optimised.length).toBe(reference.length);
      let iouDiffer = 0;
      let maxDiff = 0;
      optimised.forEach((r, i) => {
        const u = reference[i]!;
        expect({ ...r, predicted_iou: 0 }).toEqual({ ...u, predicted_iou: 0 });
        const d = Math.abs(r.predicted_iou - u.predicted_iou);
        if (d > 0) iouDiffer++;
        maxDiff = Math.max(maxDiff, d);
      });
      console.log(
        `[amg] ${c.model}/${c.image}: ${optimised.length} records, identical to the unoptimised path; vs the reference-order graph: ` +
          `same masks/boxes/points/stability, ${iouDiffer} predicted_iou differ by ≤ ${maxDiff.toExponential(2)}`,
      );
      expect(maxDiff).toBeLessThan(1e-5);
    }
  }, 600_000);

  it("the predictor's masks are the thresholded torch-bilinear upscale and match decoder.onnx's masks", async () => {
    const sam = await loadSam({ checkpoint: fixturePath('sam_vit_mini_trained.pth'), cacheDir });
    const image = await loadImage(fixturePath(manifest().images.scene_landscape!.file));
    await sam.predictor.setImage(image);
    const { width, height } = image;
    for (const prompt of [
      { points: [[810, 660]] as [number, number][], labels: [1], multimaskOutput: true },
      { box: [200, 150, 1500, 1000] as [number, number, number, number], multimaskOutput: false },
    ]) {
      const p = await sam.predictor.predict(prompt);
      const logits = await sam.predictor.predict({ ...prompt, returnLogits: true });
      const up = new MaskUpscaler([height, width]);
      p.masks.forEach((m, i) => {
        const exact = logitsToMask(up.run(p.lowResLogits.subarray(i * 65536, (i + 1) * 65536)));
        expect(countDiffering(m, exact)).toBe(0);
        expect(countDiffering(logitsToMask(logits.masks[i]!), exact)).toBe(0);
      });
      // The official graph upscales with ORT's Resize: the same masks but for pixels within float noise of 0.
      const feeds = buildDecoderPrompt(prompt, width, height);
      const emb = sam.predictor.embedding!;
      const official = await sam.decoder.run({ image_embeddings: { data: emb.data, dims: emb.dims }, ...feeds });
      const channels = prompt.multimaskOutput ? [1, 2, 3] : [0];
      const plane = width * height;
      channels.forEach((ch, i) => {
        const theirs = logitsToMask(official.masks!.data.subarray(ch * plane, (ch + 1) * plane));
        expect(countDiffering(theirs, p.masks[i]!)).toBeLessThanOrEqual(plane * 1e-4);
      });
    }
  });

  it('the chunked ViT attention equals the unchunked one', async () => {
    const { sd, cfg } = model('sam_vit_mini');
    const params = (k: string) => sd.get(k);
    const { data, info } = await import('sharp').then((s) =>
      s.default(fixturePath('sam_vit_mini/scene_landscape/resized.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
    );
    const input = preprocessImage(new Uint8Array(data), info.width, info.height);
    const embed = async (chunk: number) => {
      const s = await createOrtSession(serializeModel(buildEncoderGraph(params, cfg, { attentionChunkBytes: chunk })).model);
      return (await s.run({ image: { data: input, dims: [1, 3, 1024, 1024] } })).image_embeddings!.data;
    };
    const whole = await embed(Infinity);
    const tiny = await embed(64 * 1024); // forces row and batch chunks at this model's size
    const rel = maxRel(tiny, whole);
    console.log(`[vit] chunked vs unchunked attention: max|Δ|/max ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(1e-5);
  });

  it('a session from the cached optimised graph computes what a fresh session computes', async () => {
    const sam = await loadSam({ checkpoint: fixturePath('sam_vit_mini.pth'), cacheDir });
    const file = join(sam.dir, sam.manifest.files.encoder);
    const cached = optimizedModelCachePath(file);
    expect(readdirSync(cached)).toContain('model.onnx');
    const fresh = await ort.InferenceSession.create(file);
    const input = new Float32Array(3 * 1024 * 1024).map((_, i) => Math.sin(i / 1000));
    const a = (await fresh.run({ image: new ort.Tensor('float32', input, [1, 3, 1024, 1024]) })).image_embeddings!.data as Float32Array;
    const b = (await sam.encoder.run({ image: { data: input, dims: [1, 3, 1024, 1024] } })).image_embeddings!.data;
    expect(b).toEqual(a);
  });
});
