/**
 * Training-step parity with the reference (the shared fixture's train/): three recorded batches
 * on the prompt-sensitive sam_vit_mini (multimask points, boxes, points with a mask input),
 * replayed through the autodiff training graph and AdamW. Oracles: the reference's float64
 * losses, step-1 gradients and final parameters.
 */
import { expect, it } from 'vitest';
import { readCheckpoint, type StateDict } from '@tsam/model';
import { loadStepsFile, replaySteps, type ReplayResult } from '@tsam/train';
import { describeFixtures, fixturePath, readFixture } from '../../../testing/fixtures.js';
import { describeFigures, measureReplay, type ReplayFigures } from '../../../testing/train-parity.js';

describeFixtures('replaySteps matches the reference training steps (train/steps.json)', () => {
  let result: ReplayResult;
  let figures: ReplayFigures;

  it('replays the three steps', async () => {
    const { file, dir } = loadStepsFile(fixturePath('train/steps.json'));
    const base = readCheckpoint(readFixture('sam_vit_mini.pth'));
    result = await replaySteps(base, file, dir);
    const grads: StateDict = new Map([...result.gradsStep1].map(([k, g]) => [k, { shape: base.get(k)?.shape ?? [], data: g }]));
    figures = measureReplay(result.losses, grads, result.stateDict, base);
    console.log(`[replay]\n${describeFigures(figures)}`);
    expect(result.losses).toHaveLength(3);
  });

  it('losses and their parts within 1e-4 relative at every step', () => {
    expect(figures.lossRel).toHaveLength(12);
    for (const l of figures.lossRel) expect(l.rel, `step ${l.step} ${l.part}: ${l.got} vs ${l.ref}`).toBeLessThan(1e-4);
  });

  it('step-1 gradients per tensor within 5e-4·max|ref| (mathematically zero ones within 5e-4 of the largest gradient)', () => {
    expect(figures.gradMissing).toEqual([]);
    // Most tensors have a real gradient in step 1, so agreement is not between zeros.
    expect(figures.gradRel.filter((g) => !g.zero).length).toBeGreaterThan(figures.gradRel.length / 2);
    for (const g of figures.gradRel) expect(g.rel, g.key).toBeLessThan(5e-4);
  });

  it('parameters after the last step: ≤ 1 % of elements off by > 0.05·lr, none by > 3.5·lr', () => {
    expect(figures.params.missing).toEqual([]);
    // The reference moved most parameters by more than lr, so agreement is not vacuous.
    expect(figures.params.movedFrac).toBeGreaterThan(0.5);
    expect(figures.params.overFrac).toBeLessThanOrEqual(0.01);
    expect(figures.params.maxOverLr).toBeLessThanOrEqual(3.5);
  });

  it('tensors outside the trainable prefixes are returned unchanged', () => {
    const base = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    let frozen = 0;
    for (const [k, t] of base) {
      if (result.trainable.includes(k)) continue;
      frozen++;
      expect(bytes(result.stateDict.get(k)?.data as Float32Array).equals(bytes(t.data)), k).toBe(true);
    }
    expect(frozen).toBeGreaterThan(0);
    expect(result.trainable).not.toContain('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix');
  });
});
