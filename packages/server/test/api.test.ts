/**
 * The API against the Node predictor, on a real server (loopback, free port) that loads its own
 * sessions from the same exported model: uploads, embeddings (bit-identical), prompts (same masks),
 * the decoder download (official SAM ONNX signature), OpenAPI, AMG and the cross-origin headers.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, expect, it } from 'vitest';
import {
  AutomaticMaskGenerator,
  buildDecoderPrompt,
  maskIou,
  parseNpy,
  type AmgRecord,
  type CompressedRle,
  type PromptInput,
} from '@tsam/core';
import { loadImage, type LoadedSam } from '@tsam/node';
import type { ImageInfo, TsamServer } from '../src/index.js';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { PORTRAIT, f32, openModel, postJson, request, rleMask, startServer, tempDir, upload, type ErrorJson } from './helpers.js';

interface PredictJson {
  iou_predictions: number[];
  masks: CompressedRle[];
  low_res_logits: string;
  low_res_shape: number[];
}

describeFixtures('server API vs the Node predictor', () => {
  let sam: LoadedSam;
  let server: TsamServer;
  let base: string;
  let id: string;
  const png = readFileSync(fixturePath(PORTRAIT));

  beforeAll(async () => {
    sam = await openModel();
    server = await startServer(sam, { sam: undefined, modelDir: sam.dir, cacheDir: tempDir('cache') });
    base = server.url;
    await sam.predictor.setImage(fixturePath(PORTRAIT));
  });

  it('binds to 127.0.0.1 and uploads: 201 with a content-hash id, the same bytes again → 200, no recompute', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await upload(base, png, 'image/png', 'portrait');
    expect(r.status).toBe(201);
    const info = r.json<ImageInfo>();
    expect(info).toMatchObject({ width: 480, height: 800, name: 'portrait' });
    expect(info.id).toMatch(/^[0-9a-f]{32}$/);
    id = info.id;
    const runs = server.service.stats.encoderRuns;
    const again = await upload(base, png, 'application/octet-stream');
    expect(again.status).toBe(200);
    expect(again.json<ImageInfo>().id).toBe(id);
    expect(server.service.stats.encoderRuns).toBe(runs);
    expect((await request(`${base}/api/images`)).json<ImageInfo[]>()).toEqual([info]);
    const orig = await request(`${base}/api/images/${id}`);
    expect(orig.headers.get('content-type')).toBe('image/png');
    expect(orig.body.equals(png)).toBe(true);
  });

  it('the embedding endpoint returns exactly predictor.setImage’s embedding (raw and .npy)', async () => {
    const ref = sam.predictor.embedding!;
    const raw = await request(`${base}/api/images/${id}/embedding`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(raw.headers.get('x-tsam-shape')).toBe('1,256,64,64');
    expect(raw.headers.get('x-tsam-image-size')).toBe('480,800');
    expect(raw.body.length).toBe(256 * 64 * 64 * 4);
    expect(raw.body.equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength))).toBe(true);
    const npy = parseNpy((await request(`${base}/api/images/${id}/embedding?format=npy`)).body);
    expect(npy.shape).toEqual([1, 256, 64, 64]);
    expect(Buffer.from(npy.data.buffer).equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength))).toBe(true);
  });

  const prompts: [string, Record<string, unknown>, PromptInput][] = [
    ['one point, multimask', { points: [[210, 240]], labels: [1] }, { points: [[210, 240]], labels: [1], multimaskOutput: true }],
    [
      'fg + bg points, single mask',
      {
        points: [
          [210, 240],
          [100, 600],
        ],
        labels: [1, 0],
        multimask: false,
      },
      {
        points: [
          [210, 240],
          [100, 600],
        ],
        labels: [1, 0],
        multimaskOutput: false,
      },
    ],
    ['box', { box: [60, 120, 400, 700], multimask: false }, { box: [60, 120, 400, 700], multimaskOutput: false }],
  ];
  for (const [name, body, prompt] of prompts) {
    it(`predict (${name}) gives the Node predictor's masks (IoU ≥ 0.999) and scores`, async () => {
      const r = await postJson(`${base}/api/images/${id}/predict`, body);
      expect(r.status, r.body.toString()).toBe(200);
      const got = r.json<PredictJson>();
      const ref = await sam.predictor.predict(prompt);
      expect(got.masks.length).toBe(ref.masks.length);
      expect(got.low_res_shape).toEqual([ref.masks.length, 256, 256]);
      got.iou_predictions.forEach((v, i) => expect(v).toBeCloseTo(ref.iouPredictions[i]!, 5));
      got.masks.forEach((m, i) => {
        expect(m.size).toEqual([800, 480]);
        expect(typeof m.counts).toBe('string');
        expect(maskIou(rleMask(m), ref.masks[i]!)).toBeGreaterThanOrEqual(0.999);
      });
      const low = f32(got.low_res_logits);
      expect(low.length).toBe(ref.lowResLogits.length);
      for (let i = 0; i < low.length; i += 997) expect(Math.abs(low[i]! - ref.lowResLogits[i]!)).toBeLessThan(1e-4);
    });
  }

  it('predict with mask_input (the previous low_res_logits, base64) matches too', async () => {
    const first = (
      await postJson(`${base}/api/images/${id}/predict`, { points: [[210, 240]], labels: [1], multimask: false })
    ).json<PredictJson>();
    const body = { points: [[210, 240]], labels: [1], mask_input: first.low_res_logits, multimask: false };
    const got = (await postJson(`${base}/api/images/${id}/predict`, body)).json<PredictJson>();
    const ref = await sam.predictor.predict({
      points: [[210, 240]],
      labels: [1],
      maskInput: f32(first.low_res_logits),
      multimaskOutput: false,
    });
    expect(got.iou_predictions[0]).toBeCloseTo(ref.iouPredictions[0]!, 5);
    expect(maskIou(rleMask(got.masks[0]!), ref.masks[0]!)).toBeGreaterThanOrEqual(0.999);
  });

  it('decoder.onnx downloads and loads in onnxruntime-node with the official SAM signature', async () => {
    const r = await request(`${base}/api/model/decoder.onnx`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    const session = await ort.InferenceSession.create(new Uint8Array(r.body));
    expect([...session.inputNames].sort()).toEqual([
      'has_mask_input',
      'image_embeddings',
      'mask_input',
      'orig_im_size',
      'point_coords',
      'point_labels',
    ]);
    expect([...session.outputNames].sort()).toEqual(['iou_predictions', 'low_res_masks', 'masks']);
    // Running it on the served embedding gives the served prediction's scores.
    const emb = await request(`${base}/api/images/${id}/embedding`);
    const feeds: Record<string, ort.Tensor> = {
      image_embeddings: new ort.Tensor('float32', new Float32Array(Uint8Array.from(emb.body).buffer), [1, 256, 64, 64]),
    };
    for (const [k, t] of Object.entries(buildDecoderPrompt({ points: [[210, 240]], labels: [1] }, 480, 800)))
      feeds[k] = new ort.Tensor('float32', t.data, t.dims);
    const out = await session.run(feeds);
    const served = (
      await postJson(`${base}/api/images/${id}/predict`, { points: [[210, 240]], labels: [1], multimask: false })
    ).json<PredictJson>();
    expect((out.iou_predictions!.data as Float32Array)[0]).toBeCloseTo(served.iou_predictions[0]!, 5);
    await session.release();
    const model = (await request(`${base}/api/model`)).json<{ name: string; model_size: number; files: Record<string, { url: string }> }>();
    expect(model.name).toBe('sam_vit_mini_trained');
    expect(model.model_size).toBe(1024);
    expect(Object.keys(model.files)).toEqual(expect.arrayContaining(['encoder.onnx', 'decoder.onnx', 'decoder_batched.onnx']));
    expect((await request(`${base}/api/model/encoder.onnx`)).status).toBe(200);
  });

  it('openapi.json describes exactly the registered /api routes', async () => {
    const doc = (await request(`${base}/api/openapi.json`)).json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const registered = server.routes.filter((r) => r.url.startsWith('/api/')).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
    for (const route of [
      'POST /api/images',
      'GET /api/images/{id}/embedding',
      'POST /api/images/{id}/predict',
      'POST /api/images/{id}/amg',
      'GET /api/model/decoder.onnx',
    ]) {
      expect(documented).toContain(route);
    }
  });

  it('AMG returns the generator’s records with compressed COCO RLE', async () => {
    const tiny = readFileSync(fixturePath('scene_tiny.png'));
    const tinyId = (await upload(base, tiny)).json<ImageInfo>().id;
    const r = await postJson(`${base}/api/images/${tinyId}/amg`, {
      params: { points_per_side: 4, pred_iou_thresh: 0, stability_score_thresh: 0 },
    });
    expect(r.status, r.body.toString()).toBe(200);
    const { records } = r.json<{ records: AmgRecord[] }>();
    const generator = new AutomaticMaskGenerator(
      { encoder: sam.encoder, batchedDecoder: await sam.openBatchedDecoder(), modelSize: sam.manifest.modelSize },
      { pointsPerSide: 4, predIouThresh: 0, stabilityScoreThresh: 0, outputMode: 'coco_rle' },
    );
    const ref = await generator.generate(await loadImage(tiny));
    expect(records.length).toBeGreaterThan(0); // the tiny fixture model's IoU scores are low: filters off
    expect(records.length).toBe(ref.length);
    records.forEach((rec, i) => {
      const seg = rec.segmentation as CompressedRle;
      expect(seg.size).toEqual([61, 97]);
      expect(seg).toEqual(ref[i]!.segmentation);
      expect(rec.predicted_iou).toBeCloseTo(ref[i]!.predicted_iou, 5);
    });
  });

  it('sends COOP/COEP on every response, and / explains how to build the missing app', async () => {
    for (const path of ['/', '/api/model', '/api/images/nope', '/nowhere']) {
      const r = await request(`${base}${path}`);
      expect(r.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy'), path).toBe('require-corp');
    }
    const home = await request(`${base}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/text\/html/);
    expect(home.body.toString()).toContain('npm run build -w apps/annotator');
    const status = (await request(`${base}/api/status`)).json<{ cache: { bytes: number; capBytes: number } }>();
    expect(status.cache.capBytes).toBe(512 * 1024 * 1024);
    expect((await request(`${base}/api/nothing`)).json<ErrorJson>()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
