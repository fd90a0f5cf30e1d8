/**
 * The server's parts without a model: the byte-bounded LRU with its disk spill, the job queue,
 * request-body parsing and the error mapping.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptError } from '@tsam/core';
import { ImageError } from '@tsam/node';
import { EmbeddingCache, HttpError, JobQueue, classify } from '../src/index.js';
import { decodeMaskInput, parseAmgParams, parsePrompt } from '../src/parse.js';
import { tempDir } from './helpers.js';

const tensor = (n: number, fill: number) => ({ data: new Float32Array(n).fill(fill), dims: [n] });
const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)] as const;

describe('EmbeddingCache', () => {
  it('evicts least recently used entries to stay within its byte cap', () => {
    const cache = new EmbeddingCache(800); // two 400-byte entries
    cache.set(ids[0], tensor(100, 0));
    cache.set(ids[1], tensor(100, 1));
    expect(cache.get(ids[0])?.data[0]).toBe(0); // a is now the most recent
    cache.set(ids[2], tensor(100, 2));
    expect(cache.stats).toMatchObject({ bytes: 800, entries: 2, evictions: 1, spilled: 0 });
    expect(cache.get(ids[1])).toBeUndefined();
    expect(cache.has(ids[0]) && cache.has(ids[2])).toBe(true);
    cache.set(ids[0], tensor(300, 9)); // one entry larger than the cap is not kept
    expect(cache.stats.bytes).toBeLessThanOrEqual(800);
  });

  it('spills evicted entries to .npy and reads them back, also from a new instance', () => {
    const dir = tempDir('spill');
    const cache = new EmbeddingCache(400, dir);
    cache.set(ids[0], tensor(100, 5));
    cache.set(ids[1], tensor(100, 6)); // evicts a → disk
    expect(readdirSync(dir)).toEqual([`${ids[0]}.npy`]);
    const back = cache.get(ids[0]);
    expect(back?.data.length).toBe(100);
    expect(back?.data[99]).toBe(5);
    expect(cache.stats).toMatchObject({ reloads: 1, entries: 1, bytes: 400 });
    const restarted = new EmbeddingCache(400, dir);
    expect(restarted.has(ids[1])).toBe(true);
    expect(restarted.get(ids[1])?.data[0]).toBe(6);
    restarted.delete(ids[1]);
    expect(readdirSync(dir)).not.toContain(`${ids[1]}.npy`);
  });

  it('forgets a corrupt spill file instead of failing', () => {
    const dir = tempDir('corrupt');
    writeFileSync(join(dir, `${ids[2]}.npy`), 'not npy');
    const cache = new EmbeddingCache(400, dir);
    expect(cache.has(ids[2])).toBe(true);
    expect(cache.get(ids[2])).toBeUndefined();
    expect(cache.has(ids[2])).toBe(false);
  });
});

describe('JobQueue', () => {
  it('runs at most `concurrency` jobs, in FIFO order, and answers 503 past maxPending', async () => {
    const q = new JobQueue('test', 1, 2);
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.run(async () => {
      await gate;
      order.push(0);
    });
    const waiting = [1, 2].map((k) => q.run(async () => void order.push(k)));
    await expect(q.run(async () => 3)).rejects.toMatchObject({ statusCode: 503 });
    expect(q.stats).toMatchObject({ running: 1, pending: 2 });
    // A job started right after a slot frees still waits its turn.
    release();
    await first;
    const late = q.run(async () => void order.push(4));
    await Promise.all([...waiting, late]);
    expect(order).toEqual([0, 1, 2, 4]);
    expect(q.stats).toMatchObject({ running: 0, pending: 0, done: 4, maxRunning: 1 });
  });

  it('frees the slot when a job throws', async () => {
    const q = new JobQueue('test', 1);
    await expect(q.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run(async () => 42)).resolves.toBe(42);
  });
});

describe('request parsing and error mapping', () => {
  it('turns a prompt body into a PromptInput, multimask defaulting to true', () => {
    expect(parsePrompt({ points: [[1, 2]], labels: [1] })).toEqual({ points: [[1, 2]], labels: [1], multimaskOutput: true });
    expect(parsePrompt({ box: [0, 0, 5, 5], multimask: false })).toEqual({ box: [0, 0, 5, 5], multimaskOutput: false });
    const logits = new Float32Array(256 * 256).map((_, i) => i - 100);
    const b64 = Buffer.from(logits.buffer).toString('base64');
    expect(decodeMaskInput(b64)).toEqual(logits);
    expect(() => parsePrompt('points')).toThrow(/JSON object/);
    expect(() => parsePrompt({ mask_input: 'AAAA' })).toThrow(/262144 bytes/);
  });

  it('accepts AMG parameters in snake_case or camelCase, and rejects unknown or oversized ones', () => {
    expect(parseAmgParams({ params: { points_per_side: 4, pred_iou_thresh: 0.5 } })).toEqual({ pointsPerSide: 4, predIouThresh: 0.5 });
    expect(parseAmgParams({ params: { pointsPerSide: 4, outputMode: 'binary_mask' } })).toEqual({ pointsPerSide: 4 });
    expect(parseAmgParams(undefined)).toEqual({});
    expect(() => parseAmgParams({ params: { pointsPerSlide: 4 } })).toThrow(/unknown parameter/);
    expect(() => parseAmgParams({ params: { points_per_batch: 5000 } })).toThrow(/limited to 256/);
    expect(() => parseAmgParams({ params: { crop_n_layers: 9 } })).toThrow(/limited to 3/);
  });

  it('maps errors to status codes, hiding unexpected messages', () => {
    expect(classify(new HttpError(413, 'big'))).toMatchObject({ statusCode: 413, message: 'big' });
    expect(classify(new PromptError('bad'))).toMatchObject({ statusCode: 400, message: 'bad' });
    expect(classify(new ImageError('broken'))).toMatchObject({ statusCode: 422, message: 'broken' });
    expect(classify(Object.assign(new Error('x'), { statusCode: 415 }))).toMatchObject({ statusCode: 415 });
    expect(classify(new Error('secret path /etc'))).toEqual({ statusCode: 500, message: 'internal server error', internal: true });
  });
});
