/**
 * The server's predict path on a prompt-sensitive model (sam_vit_mini, untrained: every prompt
 * gives a different mask): answers agree with the reference implementation's outputs (the
 * fixtures), come from decoder_lowres.onnx (decoder.onnx is never run), bad prompts are 400s naming
 * the field, AMG decodes 64 prompts per batched run, and a DELETE during an encode stays deleted.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { parseNpy, rleToMask, type CompressedRle, type Rle, type SessionLike } from '@tsam/core';
import type { LoadedSam } from '@tsam/node';
import type { ImageInfo, TsamServer } from '../src/index.js';
import { describeFixtures, manifest, readFixture, readFixtureJson, type PromptCase } from '../../../testing/fixtures.js';
import { PARITY_RTOL, masksAgree, maxDiff, relDiff } from '../../../testing/compare.js';
import { f32, openModel, postJson, request, rleMask, startServer, tempDir, upload, variantPng, type ErrorJson } from './helpers.js';

interface PredictJson {
  iou_predictions: number[];
  masks: CompressedRle[];
  low_res_logits: string;
  low_res_shape: number[];
}

const MODEL = 'sam_vit_mini';
const IMAGE = 'scene_portrait';

/** Counts runs of a session; `refuse` makes any run fail the test. */
function watched(s: SessionLike, name: string, refuse = false): SessionLike & { runs: number; batches: number[] } {
  const w = {
    runs: 0,
    batches: [] as number[],
    run: async (feeds: Parameters<SessionLike['run']>[0], fetches?: readonly string[]) => {
      if (refuse) throw new Error(`${name} must not run`);
      w.runs++;
      w.batches.push(feeds.point_coords?.dims[0] ?? 0);
      return s.run(feeds, fetches);
    },
  };
  return w;
}

/** A gate the encoder waits at, once armed: lets a test act while an encode is running. */
class Gate {
  private armed: { entered: () => void; release: Promise<void> } | undefined;
  private open: (() => void) | undefined;
  /** Resolves when the next encoder run has started (and is held). */
  arm(): Promise<void> {
    return new Promise((entered) => {
      this.armed = { entered, release: new Promise<void>((r) => (this.open = r)) };
    });
  }
  release(): void {
    this.open?.();
  }
  async pass(): Promise<void> {
    const a = this.armed;
    this.armed = undefined;
    if (!a) return;
    a.entered();
    await a.release;
  }
}

describeFixtures('server predict path (sam_vit_mini, reference outputs)', () => {
  let sam: LoadedSam;
  let server: TsamServer;
  let base: string;
  let id: string;
  const gate = new Gate();
  let encoderRunsDone = 0;
  let lowRes: ReturnType<typeof watched>;
  let batched: ReturnType<typeof watched> | undefined;
  let spillRoot: string;

  beforeAll(async () => {
    sam = await openModel(manifest().models[MODEL]!.checkpoint);
    expect(sam.sessions.lowResDecoder, 'the export has decoder_lowres.onnx').toBeDefined();
    lowRes = watched(sam.sessions.lowResDecoder!, 'decoder_lowres.onnx');
    const refuse = watched(sam.decoder, 'decoder.onnx (4 full-size masks per prompt)', true);
    const encoder: SessionLike = {
      run: async (feeds, fetches) => {
        await gate.pass();
        const out = await sam.encoder.run(feeds, fetches);
        encoderRunsDone++;
        return out;
      },
    };
    const watchedSam: LoadedSam = {
      ...sam,
      encoder,
      decoder: refuse,
      sessions: { ...sam.sessions, encoder, decoder: refuse, lowResDecoder: lowRes },
      openBatchedDecoder: async () => (batched = watched(await sam.openBatchedDecoder(), 'decoder_batched.onnx')),
    };
    spillRoot = tempDir('spill');
    // A cache of one embedding, so the others spill to disk.
    server = await startServer(watchedSam, { cacheDir: spillRoot, cacheMb: 4 });
    base = server.url;
    const r = await upload(base, readFixture(manifest().images[IMAGE]!.file));
    expect(r.status).toBe(201);
    id = r.json<ImageInfo>().id;
  });

  const cases = (): PromptCase[] =>
    manifest().cases.filter((c): c is PromptCase => !c.onnx_contract && c.model === MODEL && c.image === IMAGE);

  it('every prompt case of the reference: same low-res logits, IoUs and non-empty masks, through decoder_lowres only', async () => {
    const list = cases();
    expect(list.length).toBeGreaterThanOrEqual(6);
    let masks = 0;
    for (const c of list) {
      const body: Record<string, unknown> = { multimask: c.multimask === true };
      if (c.points) Object.assign(body, { points: c.points, labels: c.labels });
      if (c.box) body.box = c.box;
      if (c.mask_input_from) {
        // The reference refines with the highest-IoU low-res logits of the named case.
        const from = list.find((x) => x.id === c.mask_input_from)!;
        const logits = parseNpy(readFixture(from.expected.low_res_logits)).data;
        const best = from.expected.iou_predictions.indexOf(Math.max(...from.expected.iou_predictions));
        const plane = logits.slice(best * 65536, (best + 1) * 65536);
        body.mask_input = Buffer.from(plane.buffer).toString('base64');
      }
      const runs = lowRes.runs;
      const r = await postJson(`${base}/api/images/${id}/predict`, body);
      expect(r.status, `${c.id}: ${r.body.toString()}`).toBe(200);
      expect(lowRes.runs).toBe(runs + 1);
      const p = r.json<PredictJson>();
      const refLogits = parseNpy(readFixture(c.expected.low_res_logits));
      expect(p.low_res_shape).toEqual([c.expected.iou_predictions.length, 256, 256]);
      expect(relDiff(f32(p.low_res_logits), refLogits.data), `${c.id}: low-res logits`).toBeLessThanOrEqual(PARITY_RTOL);
      expect(maxDiff(p.iou_predictions, c.expected.iou_predictions), `${c.id}: IoU predictions`).toBeLessThanOrEqual(PARITY_RTOL);
      const refMasks = readFixtureJson<Rle[]>(c.expected.masks);
      expect(p.masks.length).toBe(refMasks.length);
      refMasks.forEach((ref, i) => {
        const a = masksAgree(rleMask(p.masks[i]!), rleToMask(ref));
        // Untrained model: every reference mask is non-empty, so two empty masks cannot pass.
        expect(a.refArea, `${c.id}[${i}]: reference mask is non-empty`).toBeGreaterThan(0);
        expect(a.ok, `${c.id}[${i}]: ${a.differing} differing pixels, IoU ${a.iou}`).toBe(true);
        masks++;
      });
    }
    console.log(`server /predict vs reference: ${list.length} prompt cases, ${masks} non-empty masks agree`);
  });

  it('bad prompts are 400s with core’s message naming the field, before any decoder run', async () => {
    const nan = new Float32Array(256 * 256);
    nan[257] = NaN;
    const inf = new Float32Array(256 * 256);
    inf[3] = Infinity;
    const b64 = (a: Float32Array) => Buffer.from(a.buffer).toString('base64');
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['a point at 1e39 (Infinity in float32)', { points: [[1e39, 10]], labels: [1] }, /points\[0\]/],
      ['a box corner at 1e39', { box: [0, 0, 1e39, 50] }, /box/],
      ['NaN in mask_input', { mask_input: b64(nan) }, /^mask_input/],
      ['Infinity in mask_input', { points: [[10, 10]], labels: [1], mask_input: b64(inf) }, /^mask_input/],
      ['a label that is not 0/1', { points: [[10, 10]], labels: [2] }, /labels\[0\]/],
      [
        'fewer labels than points',
        {
          points: [
            [10, 10],
            [20, 20],
          ],
          labels: [1],
        },
        /labels/,
      ],
      ['an inverted box', { box: [50, 50, 10, 10] }, /box/],
      ['an empty prompt', {}, /point|box|mask/i],
      ['a point that is not [x, y]', { points: [[1, 2, 3]], labels: [1] }, /points\[0\]/],
    ];
    const runs = lowRes.runs;
    for (const [what, body, field] of bad) {
      const r = await postJson(`${base}/api/images/${id}/predict`, body);
      expect(r.status, `${what}: ${r.body.toString()}`).toBe(400);
      const e = r.json<ErrorJson>();
      expect(e.error).toBe('Bad Request');
      expect(e.message, what).toMatch(field);
    }
    expect(lowRes.runs, 'no decoder run for a bad prompt').toBe(runs);
    // Points outside the image stay legal, as in the reference.
    const outside = await postJson(`${base}/api/images/${id}/predict`, { points: [[-40, 900]], labels: [1], multimask: false });
    expect(outside.status).toBe(200);
  });

  it('AMG batches 64 prompts, as the CLI (core decodes each batch in runs of AMG_DECODER_CHUNK = 16)', async () => {
    const r = await postJson(`${base}/api/images/${id}/amg`, { params: { points_per_side: 10 } });
    expect(r.status, r.body.toString()).toBe(200);
    // 100 points in batches of 64 and 36 → runs 16·4 and 16·2 + 4 (the old size-based batch gave runs of 11).
    expect(batched?.batches).toEqual([16, 16, 16, 16, 16, 16, 4]);
  });

  it('a DELETE while the image is being encoded: image and embedding are gone and stay gone', async () => {
    const png = await variantPng(3);
    const entered = gate.arm();
    const done = encoderRunsDone;
    const uploading = upload(base, png);
    await entered; // the encoder is running this image now
    const newId = server.images.list().find((i) => i.id !== id)!.id;
    expect((await request(`${base}/api/images/${newId}`, { method: 'DELETE' })).status).toBe(204);
    gate.release();
    const r = await uploading;
    expect(r.status, r.body.toString()).toBe(404);
    expect(r.json<ErrorJson>().message).toMatch(/deleted while its embedding was being computed/);
    expect(encoderRunsDone, 'the encoder run did finish').toBe(done + 1);
    const spill = join(spillRoot, 'embeddings');
    const check = async (): Promise<void> => {
      expect(server.service.cache.has(newId)).toBe(false);
      expect((await request(`${base}/api/images/${newId}`)).status).toBe(404);
      expect((await request(`${base}/api/images/${newId}/embedding`)).status).toBe(404);
      expect((await request(`${base}/api/images`)).json<ImageInfo[]>().map((i) => i.id)).not.toContain(newId);
      for (const d of readdirSync(spill)) expect(existsSync(join(spill, d, `${newId}.npy`))).toBe(false);
    };
    await check();
    // More embeddings through the 1-entry cache (spills), then look again: still gone.
    const other = (await upload(base, await variantPng(4))).json<ImageInfo>().id;
    await request(`${base}/api/images/${id}/embedding`);
    await request(`${base}/api/images/${other}/embedding`);
    await new Promise((r) => setTimeout(r, 200));
    await check();
    // The same bytes uploaded again are a new registration and get encoded afresh.
    const again = await upload(base, png);
    expect(again.status).toBe(201);
    expect(again.json<ImageInfo>().id).toBe(newId);
    expect(encoderRunsDone).toBe(done + 3);
  });

  it('the spill folder is named by model and precision', () => {
    const dirs = readdirSync(join(spillRoot, 'embeddings'));
    expect(dirs).toEqual([`${sam.manifest.checkpoint.sha256.slice(0, 16)}-fp32`]);
  });
});
