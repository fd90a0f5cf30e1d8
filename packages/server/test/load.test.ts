/**
 * Load: 32 concurrent clients × 50 requests (a mix of predict / embedding / list) against the
 * server on loopback, with a small embedding cache (8 MiB = two embeddings) and four images, so
 * the LRU evicts and reloads from the spill dir the whole time. Bounded in count and time. Every
 * answer is checked against the one given when the server was idle; the cache stays within its
 * cap, nothing is re-encoded, and the process RSS stays under the cap plus a margin.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import type { CompressedRle } from '@tsam/core';
import type { ImageInfo, TsamServer } from '../src/index.js';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { PORTRAIT, openModel, postJson, request, startServer, tempDir, upload, variantPng } from './helpers.js';

const CLIENTS = 32;
const REQUESTS = 50;
const CACHE_MB = 8;
/** Room above the cache cap for in-flight work: decoder outputs, 4 MiB embedding responses held by 32 clients, GC slack. */
const RSS_MARGIN_MB = 512;
/** The request mix: 1/8 predict (a decoder run each), 3/8 embedding (4 MiB, LRU + spill), 1/2 list. */
const KINDS = ['predict', 'embedding', 'list', 'embedding', 'list', 'embedding', 'list', 'list'] as const;

interface Expected {
  info: ImageInfo;
  embedding: Buffer;
  prompt: { points: number[][]; labels: number[]; multimask: false };
  iou: number;
  counts: string;
}

interface PredictJson {
  iou_predictions: number[];
  masks: CompressedRle[];
}

describeFixtures('server under concurrent load', () => {
  let server: TsamServer;
  let base: string;
  const expected: Expected[] = [];

  beforeAll(async () => {
    server = await startServer(await openModel(), { cacheMb: CACHE_MB, cacheDir: tempDir('spill') });
    base = server.url;
    const pngs = [readFileSync(fixturePath(PORTRAIT)), ...(await Promise.all([1, 2, 3].map((k) => variantPng(k))))];
    for (const png of pngs) {
      const info = (await upload(base, png)).json<ImageInfo>();
      const embedding = (await request(`${base}/api/images/${info.id}/embedding`)).body;
      const prompt = { points: [[Math.floor(info.width / 2), Math.floor(info.height / 2)]], labels: [1], multimask: false as const };
      const pred = (await postJson(`${base}/api/images/${info.id}/predict`, prompt)).json<PredictJson>();
      expected.push({ info, embedding, prompt, iou: pred.iou_predictions[0]!, counts: pred.masks[0]!.counts });
    }
  });

  it(`answers ${CLIENTS} clients × ${REQUESTS} requests correctly within the cache and memory bounds`, async () => {
    const cap = CACHE_MB * 1024 * 1024;
    const runsBefore = server.service.stats.encoderRuns;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let cachePeak = 0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      cachePeak = Math.max(cachePeak, server.service.stats.cache.bytes);
    }, 20);
    const errors: string[] = [];
    const counts = { predict: 0, embedding: 0, list: 0 };
    const t0 = performance.now();

    const client = async (c: number): Promise<void> => {
      for (let i = 0; i < REQUESTS; i++) {
        const exp = expected[(c * 7 + i) % expected.length]!;
        const kind = KINDS[(c + i) % KINDS.length]!;
        counts[kind]++;
        try {
          const signal = AbortSignal.timeout(60_000);
          if (kind === 'predict') {
            const r = await request(`${base}/api/images/${exp.info.id}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(exp.prompt),
              signal,
            });
            const p = r.json<PredictJson>();
            if (r.status !== 200 || p.iou_predictions[0] !== exp.iou || p.masks[0]?.counts !== exp.counts)
              errors.push(`predict ${c}/${i}: ${r.status}`);
          } else if (kind === 'embedding') {
            const r = await request(`${base}/api/images/${exp.info.id}/embedding`, { signal });
            if (r.status !== 200 || !r.body.equals(exp.embedding) || r.headers.get('x-tsam-shape') !== '1,256,64,64')
              errors.push(`embedding ${c}/${i}: ${r.status}`);
          } else {
            const r = await request(`${base}/api/images`, { signal });
            const ids = r.json<ImageInfo[]>().map((x) => x.id);
            if (r.status !== 200 || ids.length !== expected.length) errors.push(`list ${c}/${i}: ${r.status}`);
          }
        } catch (e) {
          errors.push(`${kind} ${c}/${i}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    const stats = server.service.stats;
    const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);
    console.log(
      `load: ${CLIENTS * REQUESTS} requests (${counts.predict} predict, ${counts.embedding} embedding, ${counts.list} list) in ${seconds.toFixed(1)} s, ` +
        `${errors.length} errors; RSS ${mb(rssBefore)} → peak ${mb(rssPeak)} MiB (+${mb(rssPeak - rssBefore)}); cache peak ${mb(cachePeak)}/${mb(cap)} MiB, ` +
        `${stats.cache.evictions} evictions, ${stats.cache.reloads} reloads from disk, ${stats.encoderRuns - runsBefore} encoder runs`,
    );

    expect(errors.slice(0, 10)).toEqual([]);
    expect(counts.predict + counts.embedding + counts.list).toBe(CLIENTS * REQUESTS);
    expect(stats.cache.bytes).toBeLessThanOrEqual(cap);
    expect(cachePeak).toBeLessThanOrEqual(cap);
    expect(stats.cache.evictions).toBeGreaterThan(0);
    expect(stats.cache.reloads).toBeGreaterThan(0);
    expect(stats.encoderRuns).toBe(runsBefore); // evicted embeddings came back from disk, not the encoder
    expect(stats.queues.encoder.maxRunning).toBe(1);
    expect(rssPeak - rssBefore).toBeLessThan(cap + RSS_MARGIN_MB * 1024 * 1024);
    // Still healthy afterwards.
    expect((await request(`${base}/api/status`)).status).toBe(200);
  }, 300_000); // ~25 s on an idle 2-core machine; room for a busy one
});
