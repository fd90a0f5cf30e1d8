/**
 * Limits and errors: every failure is JSON `{error, message, statusCode}` with the right code, and
 * the server keeps answering afterwards. Includes a decompression bomb (a 109 kB PNG declaring
 * 30000×30000) that must be rejected from its header, and the encoder queue (one job at a time).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import type { ImageInfo, TsamServer } from '../src/index.js';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { PORTRAIT, openModel, postJson, request, startServer, tempDir, upload, variantPng, type ErrorJson, type Res } from './helpers.js';
import { blackPng } from '../../../testing/png.js';

function expectError(r: Res, status: number, message?: RegExp): void {
  expect(r.status, r.body.toString()).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const e = r.json<ErrorJson>();
  expect(e.statusCode).toBe(status);
  expect(typeof e.error).toBe('string');
  if (message) expect(e.message).toMatch(message);
}

describeFixtures('server limits and errors', () => {
  let server: TsamServer;
  let base: string;
  let id: string;

  beforeAll(async () => {
    server = await startServer(await openModel(), { maxUploadMb: 1, cacheDir: tempDir('cache') });
    base = server.url;
    id = (await upload(base, readFileSync(fixturePath(PORTRAIT)))).json<ImageInfo>().id;
  });

  it('rejects an upload over --max-upload-mb with 413', async () => {
    expectError(
      await upload(base, Buffer.alloc(1.5 * 1024 * 1024, 7)),
      413,
      /request body too large: uploads are limited to 1 MiB \(--max-upload-mb\)/,
    );
  });

  it('rejects a decompression bomb from its header (413, clear message), without decoding it', async () => {
    const bomb = blackPng(30000, 30000);
    expect(bomb.length).toBeLessThan(200_000);
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await upload(base, bomb);
    expectError(r, 413, /30000×30000 = 900\.0 MP, over the server's limit of 64\.0 MP/);
    expect(r.json<ErrorJson>().message).toMatch(/not decoded/);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024); // decoding would take 2.7 GB
    expect((await request(`${base}/api/images`)).json<ImageInfo[]>().map((i) => i.id)).toEqual([id]);
  });

  it('rejects non-images (422), empty bodies (400) and other content types (415)', async () => {
    expectError(await upload(base, Buffer.from('definitely not a png')), 422, /cannot read image/);
    expectError(await upload(base, Buffer.alloc(0)), 400, /cannot decode image upload: it is empty \(0 bytes\)/);
    expectError(await upload(base, Buffer.from('x'), 'text/plain'), 415);
    const truncated = readFileSync(fixturePath(PORTRAIT)).subarray(0, 20_000); // header fine, pixels missing
    expectError(await upload(base, truncated), 422, /cannot decode image/);
    expect((await request(`${base}/api/images`)).json<ImageInfo[]>().map((i) => i.id)).toEqual([id]);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expectError(await upload(base, svg, 'image/svg+xml'), 422, /unsupported image format "svg"/);
  });

  it('answers malformed JSON and wrong body shapes with 400', async () => {
    const url = `${base}/api/images/${id}/predict`;
    const raw = (body: string): Promise<Res> => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expectError(await raw('{"points": [[1, 2]'), 400);
    expectError(await raw('[1, 2]'), 400, /JSON object/);
    expectError(await postJson(url, { point: [[1, 2]] }), 400, /unknown field "point"/);
    expectError(await postJson(url, { points: [[1, 2]], labels: [1], multimask: 'yes' }), 400, /multimask/);
  });

  it('answers an unknown image id with 404 everywhere', async () => {
    const bad = '0123456789abcdef0123456789abcdef';
    expectError(await request(`${base}/api/images/${bad}`), 404, /unknown image id/);
    expectError(await request(`${base}/api/images/${bad}/embedding`), 404, /unknown image id/);
    expectError(await postJson(`${base}/api/images/${bad}/predict`, { points: [[1, 2]], labels: [1] }), 404);
    expectError(await postJson(`${base}/api/images/${bad}/amg`, {}), 404);
    expectError(await request(`${base}/api/images/${bad}`, { method: 'DELETE' }), 404);
    expectError(await request(`${base}/api/nope`), 404);
  });

  const badPrompts: [string, unknown, RegExp][] = [
    ['empty prompt', {}, /empty prompt/],
    [
      'labels ≠ points',
      {
        points: [
          [1, 2],
          [3, 4],
        ],
        labels: [1],
      },
      /one entry per point/,
    ],
    ['label 2', { points: [[1, 2]], labels: [2] }, /not 0 \(background\) or 1/],
    ['inverted box', { box: [100, 100, 50, 200] }, /x1 >= x0/],
    ['non-numeric point', { points: [['a', 2]], labels: [1] }, /non-finite/],
    ['short mask_input', { mask_input: Buffer.alloc(100).toString('base64') }, /262144 bytes/],
    ['mask_input not base64', { mask_input: '%%%' }, /base64/],
  ];
  for (const [name, body, message] of badPrompts) {
    it(`answers a bad prompt (${name}) with 400 and the validator's message`, async () => {
      expectError(await postJson(`${base}/api/images/${id}/predict`, body), 400, message);
    });
  }

  it('answers bad embedding formats and AMG parameters with 400', async () => {
    expectError(await request(`${base}/api/images/${id}/embedding?format=png`), 400, /format/);
    expectError(await postJson(`${base}/api/images/${id}/amg`, { params: { points_per_sid: 4 } }), 400, /unknown reference parameter/);
    expectError(await postJson(`${base}/api/images/${id}/amg`, { params: { pointsPerSide: 1000 } }), 400, /limited to 128/);
    expectError(await postJson(`${base}/api/images/${id}/amg`, { params: { pred_iou_thresh: 'high' } }), 400, /must be a number/);
    expectError(await postJson(`${base}/api/images/${id}/amg`, { parameters: {} }), 400, /unknown field/);
  });

  it('queues encoder jobs: concurrent uploads of different images run the encoder one at a time', async () => {
    const variants = await Promise.all([1, 2, 3].map((k) => variantPng(k)));
    const before = server.service.stats.encoderRuns;
    const results = await Promise.all(variants.map((v) => upload(base, v)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    const { queues, encoderRuns } = server.service.stats;
    expect(encoderRuns - before).toBe(3);
    expect(queues.encoder.maxRunning).toBe(1);
    // Deleting forgets the image; the server still works.
    const gone = results[0]!.json<ImageInfo>().id;
    expect((await request(`${base}/api/images/${gone}`, { method: 'DELETE' })).status).toBe(204);
    expectError(await request(`${base}/api/images/${gone}/embedding`), 404);
    expect((await postJson(`${base}/api/images/${id}/predict`, { points: [[200, 300]], labels: [1] })).status).toBe(200);
  });
});
