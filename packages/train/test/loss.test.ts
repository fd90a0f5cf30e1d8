/**
 * SAM's loss graph against finite differences: gradients with respect to the logits (through
 * focal, dice and the multimask choice) and the IoU predictions. The value itself is checked
 * against the reference in replay-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { samLoss } from '@tsam/train';
import { checkGradients, rng } from '../../onnx/test/gradcheck.js';

const target = (b: number, hw: number, seed: number) => {
  const r = rng(seed);
  return new Float32Array(b * hw * hw).map(() => (r() < 0.4 ? 1 : 0));
};

describe("SAM's loss: backward against finite differences (float32)", () => {
  for (const m of [1, 3]) {
    it(`${m === 1 ? 'single output' : 'multimask (min over 3 outputs)'}: d loss / d logits and d loss / d iou_predictions`, async () => {
      const [b, hw] = [2, 8];
      const res = await checkGradients(
        [
          { shape: [b, m, hw, hw], range: [-3, 3] },
          { shape: [b, m], range: [0, 1] },
          { shape: [b, 1, hw, hw], fixed: target(b, hw, m) },
        ],
        (g, [logits, iou, t]) => {
          if (!logits || !iou || !t) throw new Error('inputs');
          return samLoss(g, logits, iou, t).loss;
        },
        // h 1e-3 keeps logits off 0 (the IoU target's threshold) for all but rare samples; the
        // loss is a sum over 64 pixels, so float32 rounding stays ~1e-7.
        { dtype: 'float32', h: 1e-3, tol: 2e-2, samples: 12, seed: 3 + m },
      );
      expect(res.maxAbsGrad).toBeGreaterThan(1e-3);
      expect(res.maxRelError).toBeLessThan(res.tol);
    });
  }
});
