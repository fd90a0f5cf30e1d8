/**
 * The decoder worker protocol, page side and worker side, over a real MessageChannel. The worker
 * state runs on onnxruntime-node sessions here (onnxruntime-web runs in the Chromium tests of
 * apps/annotator); its masks must equal the Node predictor's for the same embedding and prompt.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { NodeSamPredictor, createOrtSession, loadSam, type LoadedSam } from '@tsam/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { SamWorkerClient, type WorkerLike } from '../src/client.js';
import type { Progress } from '../src/protocol.js';
import { SamWorkerState, serveSamWorker, type WorkerScopeLike } from '../src/worker-host.js';

/** A client and a worker state joined by a MessageChannel (what a Worker does across threads). */
function pair(state: SamWorkerState): { client: SamWorkerClient; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const asTarget = (port: MessagePort) => ({
    addEventListener: (type: string, fn: (ev: MessageEvent) => void) => {
      if (type === 'message') port.on('message', (data) => fn({ data } as MessageEvent));
    },
    postMessage: (msg: unknown, transfer?: Transferable[]) => port.postMessage(msg, transfer as never),
  });
  serveSamWorker(asTarget(port2) as unknown as WorkerScopeLike, state);
  const worker = { ...asTarget(port1), terminate: () => port1.close() } as unknown as WorkerLike;
  return { client: new SamWorkerClient(worker), close: () => (port1.close(), port2.close()) };
}

const bytesOf = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('worker protocol without a model', () => {
  it('rejects requests before init with a clear message', async () => {
    const { client, close } = pair(new SamWorkerState());
    await expect(client.predict({ points: [[1, 1]], labels: [1] })).rejects.toThrow(/send init first/);
    close();
  });
});

describeFixtures('worker protocol on the fixture model', () => {
  let sam: LoadedSam;
  let node: NodeSamPredictor;
  let client: SamWorkerClient;
  let close: () => void;

  beforeAll(async () => {
    // Untrained: every prompt gives a different, non-empty mask (the trained fixture's are often empty).
    sam = await loadSam({ checkpoint: fixturePath('sam_vit_mini.pth') });
    node = new NodeSamPredictor({ encoder: sam.encoder, decoder: sam.decoder });
    ({ client, close } = pair(new SamWorkerState((bytes) => createOrtSession(bytes))));
  });
  afterAll(() => close?.());

  it('init reports progress and the runtime settings', async () => {
    const progress: Progress[] = [];
    const info = await client.init(
      { decoder: bytesOf(join(sam.dir, 'decoder.onnx')), encoder: bytesOf(join(sam.dir, 'encoder.onnx')) },
      (p) => progress.push(p),
    );
    expect(info).toMatchObject({ backend: 'wasm', simd: true, threads: 1, crossOriginIsolated: false });
    expect(progress.map((p) => `${p.stage}:${p.label}`)).toEqual(['load:decoder.onnx', 'load:encoder.onnx']);
  });

  it('setEmbedding + predict give the Node predictor’s masks exactly', async () => {
    const emb = await node.setImage(fixturePath('scene_portrait.png'));
    await client.setEmbedding({ data: emb.data.slice(), dims: emb.dims, width: emb.width, height: emb.height });
    for (const prompt of [
      { points: [[210, 240]] as [number, number][], labels: [1], multimaskOutput: true },
      {
        points: [
          [210, 240],
          [330, 620],
        ] as [number, number][],
        labels: [1, 0],
        box: [60, 300, 330, 640] as [number, number, number, number],
        multimaskOutput: false,
      },
    ]) {
      const [got, want] = await Promise.all([client.predict(prompt), node.predict(prompt)]);
      expect(got.iouPredictions).toEqual(want.iouPredictions);
      expect(got.masks).toHaveLength(want.masks.length);
      got.masks.forEach((m, i) => {
        expect(m.some((v) => v !== 0)).toBe(true);
        expect(Buffer.from(m).equals(Buffer.from(want.masks[i] as Uint8Array))).toBe(true);
      });
      expect(got.lowResLogits).toEqual(want.lowResLogits);
      expect(got.ms).toBeGreaterThan(0);
    }
  });

  it('with decoder_lowres.onnx, the worker still gives the Node predictor’s (decoder.onnx) masks exactly', async () => {
    const lowRes = sam.manifest.files.decoderLowRes;
    expect(lowRes, 'the export has decoder_lowres.onnx').toBeDefined();
    const p = pair(new SamWorkerState((bytes) => createOrtSession(bytes)));
    try {
      const info = await p.client.init({ decoder: bytesOf(join(sam.dir, 'decoder.onnx')), lowResDecoder: bytesOf(join(sam.dir, lowRes!)) });
      expect(info.lowRes).toBe(true);
      const emb = await node.setImage(fixturePath('scene_portrait.png'));
      await p.client.setEmbedding({ data: emb.data.slice(), dims: emb.dims, width: emb.width, height: emb.height });
      for (const prompt of [
        { points: [[120, 200]] as [number, number][], labels: [1], multimaskOutput: true },
        { points: [[330, 620]] as [number, number][], labels: [1], box: [60, 300, 330, 640] as [number, number, number, number] },
      ]) {
        const [got, want] = await Promise.all([p.client.predict(prompt), node.predict(prompt)]);
        expect(got.masks).toHaveLength(want.masks.length);
        got.masks.forEach((m, i) => {
          expect(m.some((v) => v !== 0)).toBe(true);
          expect(Buffer.from(m).equals(Buffer.from(want.masks[i] as Uint8Array))).toBe(true);
        });
      }
    } finally {
      p.close();
    }
  });

  it('encode runs the encoder in the worker (page-only mode)', async () => {
    const { loadImage } = await import('@tsam/node');
    const img = await loadImage(fixturePath('scene_portrait.png'));
    const r = await client.encode(img);
    expect(r).toMatchObject({ width: 480, height: 800, dims: [1, 256, 64, 64] });
    const prompt = { points: [[100, 700]] as [number, number][], labels: [1] };
    await node.setImage(fixturePath('scene_portrait.png'));
    const [got, want] = await Promise.all([client.predict(prompt), node.predict(prompt)]);
    expect(got.iouPredictions).toEqual(want.iouPredictions);
  });

  it('errors in a request reach the caller and the worker keeps serving', async () => {
    await expect(client.predict({ points: [[1, 1]], labels: [7] })).rejects.toThrow(/labels\[0\]/);
    await expect(client.amg({ data: new Uint8Array(3), width: 1, height: 1 })).rejects.toThrow(/no batched decoder/);
    const ok = await client.predict({ points: [[5, 5]], labels: [1] });
    expect(ok.masks).toHaveLength(3);
  });
});
