/**
 * The whole pipeline on generated checkpoints, with no fixtures: random state dict → .pth
 * (writeTorchCheckpoint) → loadSam (export into the cache) → setImage → predict (point, box,
 * refinement), a second load that reuses the export, and the errors for a wrong shape and a
 * truncated file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction, RgbImage } from '@tsam/core';
import { randomSamStateDict, writeTorchCheckpoint, type RandomSamVariant, type TorchWriteOptions } from '@tsam/model';
import { loadSam, type LoadedSam } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsam-random-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A 160×120 RGB gradient with a bright square, so the image is not flat. */
function gradient(width = 160, height = 120): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inSquare = x > 50 && x < 100 && y > 30 && y < 80;
      data[i] = inSquare ? 250 : Math.round((x / width) * 255);
      data[i + 1] = inSquare ? 240 : Math.round((y / height) * 255);
      data[i + 2] = 128;
    }
  }
  return { data, width, height };
}

function writeCheckpoint(name: string, variant: RandomSamVariant, opts: TorchWriteOptions = {}): string {
  const path = join(tmp, `${name}.pth`);
  writeFileSync(path, writeTorchCheckpoint(randomSamStateDict(variant, { seed: 1 }), opts));
  return path;
}

function expectFinite(xs: ArrayLike<number>, what: string): void {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) throw new Error(`${what}[${i}] = ${xs[i]}`);
}

/** Shapes and finiteness of one prediction on the 160×120 image. */
function checkPrediction(p: Prediction, masks: number): void {
  expect(p.width).toBe(160);
  expect(p.height).toBe(120);
  expect(p.masks).toHaveLength(masks);
  for (const m of p.masks) {
    expect(m.length).toBe(160 * 120);
    expect(m.every((v) => v === 0 || v === 1)).toBe(true);
  }
  expect(p.iouPredictions).toHaveLength(masks);
  expectFinite(p.iouPredictions, 'iou');
  expect(p.lowResLogits.length).toBe(masks * 256 * 256);
  expectFinite(p.lowResLogits, 'lowResLogits');
}

/** Point (multimask), box (single mask) and refinement with the best low-res logits. */
async function exercise(sam: LoadedSam): Promise<void> {
  const emb = await sam.predictor.setImage(gradient());
  expect(emb.dims).toEqual([1, 256, 64, 64]);
  expectFinite(emb.data, 'embedding');

  const point = await sam.predictor.predict({ points: [[75, 55]], labels: [1] });
  checkPrediction(point, 3);

  const box = await sam.predictor.predict({ box: [40, 20, 120, 90], multimaskOutput: false });
  checkPrediction(box, 1);

  const best = point.iouPredictions.indexOf(Math.max(...point.iouPredictions));
  const maskInput = point.lowResLogits.slice(best * 65536, (best + 1) * 65536);
  const refined = await sam.predictor.predict({
    points: [
      [75, 55],
      [10, 10],
    ],
    labels: [1, 0],
    maskInput,
    multimaskOutput: false,
  });
  checkPrediction(refined, 1);
  // The mask input must reach the decoder: the same points without it give other logits.
  const plain = await sam.predictor.predict({
    points: [
      [75, 55],
      [10, 10],
    ],
    labels: [1, 0],
    multimaskOutput: false,
  });
  expect(plain.lowResLogits).not.toEqual(refined.lowResLogits);
}

describe('generated tiny ViT checkpoint', () => {
  const cacheDir = join(tmp, 'cache-tiny');
  let checkpoint: string;
  let first: LoadedSam;
  beforeAll(async () => {
    checkpoint = writeCheckpoint('tiny', 'tiny');
    first = await loadSam({ checkpoint, cacheDir, intraOpNumThreads: 2 });
  });

  it('exports and loads (ViT embed 32, depth 2, 1024 input)', () => {
    expect(first.manifest.family).toBe('sam_vit');
    expect(first.manifest.modelSize).toBe(1024);
    expect(first.manifest.config.encoder).toMatchObject({ embedDim: 32, depth: 2, numHeads: 2, globalAttnIndexes: [1] });
  });

  it('predicts from a point, a box, and a refinement mask', async () => {
    await exercise(first);
  });

  it('a second load reuses the cached export (no export step, files untouched)', async () => {
    const files = ['model.json', first.manifest.files.encoder, first.manifest.files.decoder].map((f) => join(first.dir, f));
    const before = files.map((f) => statSync(f).mtimeMs);
    const steps: string[] = [];
    const again = await loadSam({ checkpoint, cacheDir, onStep: (s) => steps.push(s) });
    expect(again.dir).toBe(first.dir);
    expect(steps).toEqual([]);
    expect(files.map((f) => statSync(f).mtimeMs)).toEqual(before);
    await again.predictor.setImage(gradient());
    checkPrediction(await again.predictor.predict({ points: [[75, 55]], labels: [1] }), 3);
  });

  it('fails on a tensor of the wrong shape, naming the key and both shapes', async () => {
    const sd = randomSamStateDict('tiny', { seed: 1 });
    sd.set('mask_decoder.iou_token.weight', { shape: [1, 128], data: new Float32Array(128) });
    const path = join(tmp, 'wrong-shape.pth');
    writeFileSync(path, writeTorchCheckpoint(sd));
    await expect(loadSam({ checkpoint: path, cacheDir })).rejects.toThrow(/mask_decoder\.iou_token\.weight.*\[1, 128\].*\[1, 256\]/);
  });

  it('fails on a truncated .pth with a checkpoint error', async () => {
    const bytes = readFileSync(checkpoint);
    const path = join(tmp, 'truncated.pth');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(loadSam({ checkpoint: path, cacheDir })).rejects.toThrow(/truncated or corrupt/);
  });
});

describe('generated MobileSAM checkpoint (full size, stored float16)', () => {
  it('exports, loads and predicts', async () => {
    const checkpoint = writeCheckpoint('mobile_sam', 'mobile_sam', { dtype: 'float16' });
    const sam = await loadSam({ checkpoint, cacheDir: join(tmp, 'cache-mobile') });
    expect(sam.manifest.family).toBe('mobile_sam');
    expect(sam.manifest.config.encoder).toMatchObject({ embedDims: [64, 128, 160, 320], depths: [2, 2, 6, 2] });
    await exercise(sam);
  });
});
