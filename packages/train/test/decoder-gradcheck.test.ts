/**
 * The whole training graph (prompt encoder with a mask prompt, two-way transformer, upscaling,
 * hypernetworks, IoU head and SAM's loss) against finite differences, on the fixture's
 * prompt-sensitive sam_vit_mini and its recorded step 3 (points + a mask input). For each tensor,
 * the ±1 direction v = sign(∇L): the central difference (L(θ + h·v) − L(θ − h·v)) / 2 must equal
 * h·⟨∇L, v⟩ from the graph's own gradient output. float32 (the decoder runs in float32): h moves
 * L by ~3e-4 (3e-5 for the IoU head; the loss is evaluated to ~1e-7) but at most 2 % of the tensor's RMS, so the step
 * stays where the function is near-linear. Gradient accumulation is checked on a random decoder.
 */
import { describe, expect, it } from 'vitest';
import { randomSamStateDict } from '@tsam/model';
import { readCheckpoint } from '@tsam/model';
import { GradAccumulator, StepRunner, isTrainableKey, loadStepBatch, loadStepsFile, type StepBatch } from '@tsam/train';
import { describeFixtures, fixturePath, readFixture } from '../../../testing/fixtures.js';
import { rng } from '../../onnx/test/gradcheck.js';

const base = randomSamStateDict('tiny', { seed: 11 });
const trainable = (k: string) => isTrainableKey(k);
const params = new Map([...base].filter(([k]) => trainable(k)).map(([k, t]) => [k, Float64Array.from(t.data)]));

/** B prompts of 2 points (+ padding), a random mask prompt, blob targets, a random embedding. */
function batch(b: number, seed: number, multimask: boolean): StepBatch {
  const r = rng(seed);
  const n = 3;
  const coords = new Float32Array(b * n * 2).map(() => r() * 1024);
  const labels = new Float32Array(b * n).map((_, i) => (i % n === n - 1 ? -1 : i % 2));
  const gt = new Float32Array(b * 256 * 256);
  for (let i = 0; i < b; i++) {
    const [cx, cy, rad] = [r() * 256, r() * 256, 30 + r() * 60];
    for (let y = 0; y < 256; y++)
      for (let x = 0; x < 256; x++) gt[i * 65536 + y * 256 + x] = (x - cx) ** 2 + (y - cy) ** 2 < rad ** 2 ? 1 : 0;
  }
  return {
    batch: b,
    points: n,
    multimask,
    coords,
    labels,
    mask: new Float32Array(b * 65536).map(() => r() * 8 - 4),
    gt,
    embedding: new Float32Array(256 * 64 * 64).map(() => r() * 2 - 1),
    embeddingShape: [1, 256, 64, 64],
  };
}

const CHECKED = [
  'prompt_encoder.point_embeddings.1.weight',
  'prompt_encoder.not_a_point_embed.weight',
  'prompt_encoder.mask_downscaling.0.weight', // Conv stride 2
  'prompt_encoder.mask_downscaling.1.weight', // LayerNorm2d
  'prompt_encoder.mask_downscaling.6.bias',
  'mask_decoder.iou_token.weight',
  'mask_decoder.mask_tokens.weight',
  'mask_decoder.transformer.layers.0.self_attn.q_proj.weight',
  'mask_decoder.transformer.layers.0.cross_attn_token_to_image.v_proj.weight',
  'mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.weight',
  'mask_decoder.transformer.layers.1.norm4.weight', // LayerNormalization
  'mask_decoder.transformer.final_attn_token_to_image.q_proj.bias',
  'mask_decoder.output_upscaling.0.weight', // ConvTranspose
  'mask_decoder.output_upscaling.1.bias',
  'mask_decoder.output_hypernetworks_mlps.0.layers.0.weight',
  'mask_decoder.iou_prediction_head.layers.0.weight',
  'mask_decoder.iou_prediction_head.layers.2.bias',
];

describeFixtures('the training graph of the whole decoder against finite differences (float32, sam_vit_mini)', () => {
  it('directional derivatives of 17 tensors of every kind agree within 2 %', async () => {
    const ckpt = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const theta0 = new Map([...ckpt].filter(([k]) => trainable(k)).map(([k, t]) => [k, Float64Array.from(t.data)]));
    const { file, dir } = loadStepsFile(fixturePath('train/steps.json'));
    const b = loadStepBatch(file.steps[2] as (typeof file.steps)[number], dir, 'steps[2]');
    expect(b.mask).not.toBeNull();
    // The IoU target (the IoU of logits > 0) is piecewise constant: a step that flips a pixel's
    // sign makes the full loss jump. Tensors upstream of the logits are checked on the loss
    // without the IoU term; the IoU head (which cannot move the logits) on the full loss.
    const full = new StepRunner(ckpt, trainable);
    const smooth = new StepRunner(ckpt, trainable, { focal: 20, dice: 1, iou: 0, focalAlpha: 0.25, focalGamma: 2 });
    const r = rng(99);
    let worst = 0;
    const results: string[] = [];
    let atFull: Awaited<ReturnType<StepRunner['run']>> | undefined;
    let atSmooth: Awaited<ReturnType<StepRunner['run']>> | undefined;
    const failures: string[] = [];
    for (const key of CHECKED) {
      const run = key.startsWith('mask_decoder.iou_prediction_head.') ? full : smooth;
      const at = run === full ? (atFull ??= await full.run(b, theta0)) : (atSmooth ??= await smooth.run(b, theta0));
      const theta = theta0.get(key) as Float64Array;
      const grad = at.grads.get(key);
      expect(grad, `${key} has a gradient`).toBeDefined();
      // v = sign(∇L) (random where 0): the ±1 direction along which L moves most, so the change
      // stands well above float32 noise; a wrong magnitude or sign anywhere still shows.
      const v = Float64Array.from(grad as Float32Array, (gi) => (gi > 0 ? 1 : gi < 0 ? -1 : r() < 0.5 ? -1 : 1));
      let dot = 0;
      let sq = 0;
      for (let i = 0; i < v.length; i++) {
        dot += (v[i] as number) * ((grad as Float32Array)[i] as number);
        sq += (theta[i] as number) ** 2;
      }
      expect(Math.abs(dot), key).toBeGreaterThan(0);
      // The IoU head's part of the loss is ~0.07 and its ReLUs sit on a 256-wide hidden layer:
      // a 10× smaller step keeps the ±h band from crossing their kinks.
      const target = run === full ? 3e-5 : 3e-4;
      const h = Math.min(target / Math.abs(dot), 0.02 * Math.max(Math.sqrt(sq / theta.length), 1e-2));
      const lossAt = async (sign: number) => {
        const moved = new Map(theta0);
        moved.set(
          key,
          Float64Array.from(theta, (t, i) => t + sign * h * (v[i] as number)),
        );
        return (await run.run(b, moved)).loss.loss;
      };
      const numeric = ((await lossAt(1)) - (await lossAt(-1))) / 2;
      const analytic = h * dot;
      const rel = Math.abs(numeric - analytic) / Math.abs(analytic);
      worst = Math.max(worst, rel);
      results.push(
        `${key}: numeric ${numeric.toExponential(4)} vs analytic ${analytic.toExponential(4)}, rel ${rel.toExponential(2)} (h ${h.toExponential(2)})`,
      );
      if (rel >= 2e-2) failures.push(key);
    }
    console.log(results.join('\n'));
    expect(failures).toEqual([]);
    console.log(`[decoder gradcheck] ${CHECKED.length} tensors, worst relative error ${worst.toExponential(2)}`);
  }, 900_000);
});

describe('gradient accumulation over micro-batches (random full-size decoder)', () => {
  const runner = new StepRunner(base, trainable);

  it('accumulating two single-prompt micro-batches (weight ½ each) gives the two-prompt batch gradient', async () => {
    const full = batch(2, 7, true);
    const half = (i: number): StepBatch => ({
      ...full,
      batch: 1,
      coords: full.coords.slice(i * 6, (i + 1) * 6),
      labels: full.labels.slice(i * 3, (i + 1) * 3),
      mask: (full.mask as Float32Array).slice(i * 65536, (i + 1) * 65536),
      gt: full.gt.slice(i * 65536, (i + 1) * 65536),
    });
    const whole = await runner.run(full, params);
    const acc = new GradAccumulator();
    let loss = 0;
    for (const i of [0, 1]) {
      const part = await runner.run(half(i), params);
      acc.add(part.grads, 0.5);
      loss += part.loss.loss / 2;
    }
    expect(Math.abs(loss - whole.loss.loss) / whole.loss.loss).toBeLessThan(1e-5);
    let globalMax = 0;
    for (const g of whole.grads.values()) for (const v of g) globalMax = Math.max(globalMax, Math.abs(v));
    let worst = 0;
    for (const [k, g] of whole.grads) {
      const a = acc.sum.get(k) as Float64Array;
      let max = 0;
      let diff = 0;
      for (let i = 0; i < g.length; i++) {
        max = Math.max(max, Math.abs(g[i] as number));
        diff = Math.max(diff, Math.abs((g[i] as number) - (a[i] as number)));
      }
      // Mathematically zero gradients (key biases under softmax) are rounding noise in both: measured against the largest gradient.
      worst = Math.max(worst, diff / (max > 1e-6 * globalMax ? max : globalMax));
    }
    expect(whole.grads.size).toBeGreaterThan(50);
    expect(worst).toBeLessThan(1e-4);
    console.log(`[accumulation] ${whole.grads.size} tensors, worst max|Δ|/max ${worst.toExponential(2)}`);
  });
});
