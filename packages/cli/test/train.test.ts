/**
 * `tsam train replay` through the real binary: the fixture's recorded steps give the reference's
 * losses, step-1 gradients and final parameters in the files the command writes; bad input is
 * refused with the field named and nothing written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '@tsam/core';
import { readCheckpoint, readSafetensors, writeTorchCheckpoint } from '@tsam/model';
import { describeFixtures, fixturePath, readFixture } from '../../../testing/fixtures.js';
import { describeFigures, measureReplay, type LossRecord } from '../../../testing/train-parity.js';
import { STACK_LINE, show, tempDir, tsam } from './helpers.js';

const work = tempDir('train');

describeFixtures('tsam train replay on the fixture steps (sam_vit_mini)', () => {
  it('writes losses.json, grads_step1.safetensors and checkpoint.pth that match the reference', async () => {
    const out = join(work, 'replay');
    const r = await tsam(
      ['train', 'replay', '--checkpoint', fixturePath('sam_vit_mini.pth'), '--steps', fixturePath('train/steps.json'), '--out', out],
      {
        timeoutMs: 300_000,
      },
    );
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/step 3\/3: loss \d/);
    expect(r.stderr + r.stdout).not.toMatch(/NaN/);
    const losses = JSON.parse(readFileSync(join(out, 'losses.json'), 'utf8')) as LossRecord[];
    const grads = readSafetensors(readFileSync(join(out, 'grads_step1.safetensors')));
    const saved = readCheckpoint(readFileSync(join(out, 'checkpoint.pth')));
    const base = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const f = measureReplay(losses, grads, saved, base);
    console.log(`[tsam train replay]\n${describeFigures(f)}`);
    for (const l of f.lossRel) expect(l.rel, `step ${l.step} ${l.part}`).toBeLessThan(1e-4);
    expect(f.gradMissing).toEqual([]);
    for (const g of f.gradRel) expect(g.rel, g.key).toBeLessThan(5e-4);
    expect(f.params.missing).toEqual([]);
    expect(f.params.overFrac).toBeLessThanOrEqual(0.01);
    expect(f.params.maxOverLr).toBeLessThanOrEqual(3.5);
    // The full state dict in the official layout: every key, the same shapes, the encoder bit for bit.
    expect([...saved.keys()].sort()).toEqual([...base.keys()].sort());
    for (const [k, t] of base) {
      expect(saved.get(k)?.shape, k).toEqual(t.shape);
      if (k.startsWith('image_encoder.'))
        expect(Buffer.from((saved.get(k) as typeof t).data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
    }
  });
});

describeFixtures('tsam train replay never writes a non-finite result', () => {
  it('an embedding holding NaN stops the run with exit 1 and no output', async () => {
    const emb = new Float32Array(256 * 64 * 64).fill(0.1);
    emb[12345] = Number.NaN;
    writeFileSync(join(work, 'nan-emb.npy'), writeNpy(emb, [1, 256, 64, 64]));
    writeFileSync(join(work, 'nan-gt.npy'), writeNpy(new Float32Array(256 * 256).fill(1), [1, 256, 256]));
    const p = join(work, 'nan-steps.json');
    const step = {
      multimask: false,
      point_coords: [[[100, 200]]],
      point_labels: [[1]],
      boxes: null,
      gt_masks: 'nan-gt.npy',
      mask_input: null,
      embedding: 'nan-emb.npy',
    };
    writeFileSync(
      p,
      JSON.stringify({ optimizer: { name: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1 }, steps: [step] }),
    );
    const out = join(work, 'nan-out');
    const r = await tsam(['train', 'replay', '--checkpoint', fixturePath('sam_vit_mini.pth'), '--steps', p, '--out', out]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/non-finite loss/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(out)).toBe(false);
  });
});

describe('tsam train replay refuses bad input', () => {
  const steps = (mutate: (s: Record<string, unknown>) => void): string => {
    const s = {
      optimizer: { name: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1 },
      steps: [
        {
          multimask: true,
          point_coords: [[[1, 2]]],
          point_labels: [[1]],
          boxes: null,
          gt_masks: 'gt.npy',
          mask_input: null,
          embedding: 'e.npy',
        },
      ],
    };
    mutate(s as unknown as Record<string, unknown>);
    const p = join(work, `steps-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(s));
    return p;
  };
  const fails = async (args: string[], message: RegExp) => {
    const out = join(work, `never-${Math.random().toString(36).slice(2)}`);
    const r = await tsam(['train', 'replay', ...args, '--out', out]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(out)).toBe(false);
  };

  it('a point label that is not 0 or 1, naming the step and field', async () => {
    const p = steps((s) => ((s.steps as { point_labels: number[][] }[])[0]!.point_labels = [[7]]));
    await fails(['--checkpoint', 'unused.pth', '--steps', p], /steps\[0\]\.point_labels\[0\]: must be 1 labels, each 0 or 1/);
  });
  it('an optimizer other than AdamW', async () => {
    const p = steps((s) => ((s.optimizer as { name: string }).name = 'sgd'));
    await fails(['--checkpoint', 'unused.pth', '--steps', p], /optimizer\.name: must be "adamw"/);
  });
  it('a missing steps file', async () => {
    await fails(['--checkpoint', 'unused.pth', '--steps', join(work, 'absent.json')], /absent\.json: cannot read steps JSON/);
  });
  it('a checkpoint without a mask decoder, naming the missing key', async () => {
    const ckpt = join(work, 'encoder-only.pth');
    const sd = new Map([['image_encoder.pos_embed', { shape: [1], data: new Float32Array(1) }]]);
    writeFileSync(ckpt, writeTorchCheckpoint(sd));
    await fails(
      ['--checkpoint', ckpt, '--steps', steps(() => {})],
      /encoder-only\.pth: no "prompt_encoder\.no_mask_embed\.weight": replay trains the prompt encoder and mask decoder/,
    );
  });
});
