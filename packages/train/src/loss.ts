/**
 * SAM's training loss as graph ops (sam2's MultiStepMultiMasksAndIous with supervise_all_iou and
 * MSE), on the low-res logits against the 256² target, per prompt:
 * - focal (α, γ = 2), mean over pixels, of each output;
 * - dice with +1 smoothing, on sigmoid probabilities, of each output;
 * - the IoU head's MSE against the actual IoU of logits > 0 with the target, averaged over outputs;
 * with several outputs, focal and dice are those of the output with the lowest
 * wFocal·focal + wDice·dice (the choice itself carries no gradient). Each part is averaged over
 * the B prompts; total = wFocal·focal + wDice·dice + wIou·iou.
 */
import { ops, type Graph, type SymTensor } from '@tsam/onnx';

export interface LossWeights {
  focal: number;
  dice: number;
  iou: number;
  focalAlpha: number;
  focalGamma: number;
}

export const SAM_LOSS: LossWeights = { focal: 20, dice: 1, iou: 1, focalAlpha: 0.25, focalGamma: 2 };

export interface LossParts {
  loss: SymTensor;
  focal: SymTensor;
  dice: SymTensor;
  iou: SymTensor;
}

const sumHW = (g: Graph, x: SymTensor) =>
  g.node1('ReduceSum', [x, ops.ints(g, [2, 3])], 'float32', (x.shape as number[]).slice(0, 2), { keepdims: 0 });
const meanAll = (g: Graph, x: SymTensor) => g.node1('ReduceMean', [x], 'float32', [], { keepdims: 0 });

/**
 * logits [B, M, H, W], iouPred [B, M], target [B, 1, H, W] (0/1 as float) → scalar parts.
 */
export function samLoss(g: Graph, logits: SymTensor, iouPred: SymTensor, target: SymTensor, w: LossWeights = SAM_LOSS): LossParts {
  return g.scope('loss', () => {
    const [b, m] = logits.shape as [number, number, number, number];
    const p = ops.sigmoid(g, logits);
    const notT = ops.sub(g, 1, target);
    // Binary cross-entropy with logits, stably: softplus(x) − x·t.
    const ce = ops.sub(g, g.node1('Softplus', [logits], 'float32', logits.shape), ops.mul(g, logits, target));
    const pT = ops.add(g, ops.mul(g, p, target), ops.mul(g, ops.sub(g, 1, p), notT));
    const oneMinus = ops.sub(g, 1, pT);
    const modulating = w.focalGamma === 2 ? ops.mul(g, oneMinus, oneMinus) : ops.pow(g, oneMinus, w.focalGamma);
    const alphaT = ops.add(g, ops.mul(g, target, w.focalAlpha), ops.mul(g, notT, 1 - w.focalAlpha));
    const pixels = (logits.shape[2] as number) * (logits.shape[3] as number);
    const focal = ops.div(g, sumHW(g, ops.mul(g, alphaT, ops.mul(g, ce, modulating))), pixels); // [B, M]

    const inter = sumHW(g, ops.mul(g, p, target));
    const denom = ops.add(g, sumHW(g, p), sumHW(g, target)); // Σp [B, M] + Σt [B, 1]
    const dice = ops.sub(g, 1, ops.div(g, ops.add(g, ops.mul(g, inter, 2), 1), ops.add(g, denom, 1))); // [B, M]

    const pred = ops.greater(g, logits, 0);
    const gt = ops.greater(g, target, 0);
    const count = (op: string) => sumHW(g, ops.cast(g, g.node1(op, [pred, gt], 'bool', logits.shape), 'float32'));
    const actual = ops.div(g, count('And'), ops.max(g, count('Or'), 1));
    const err = ops.sub(g, iouPred, actual);
    const iouPer = g.node1('ReduceMean', [ops.mul(g, err, err)], 'float32', [b], { axes: [1], keepdims: 0 });

    let focalSel: SymTensor;
    let diceSel: SymTensor;
    if (m === 1) {
      focalSel = ops.reshape(g, focal, [b]);
      diceSel = ops.reshape(g, dice, [b]);
    } else {
      const combo = ops.add(g, ops.mul(g, focal, w.focal), ops.mul(g, dice, w.dice));
      const best = g.node1('ArgMin', [combo], 'int64', [b, 1], { axis: 1, keepdims: 1 }); // first minimum, as torch.argmin
      const range = g.constant(
        BigInt64Array.from({ length: m }, (_, i) => BigInt(i)),
        [m],
        'int64',
      );
      const oneHot = ops.cast(g, ops.equal(g, best, range), 'float32'); // [B, M]
      const pick = (x: SymTensor) => g.node1('ReduceSum', [ops.mul(g, x, oneHot), ops.ints(g, [1])], 'float32', [b], { keepdims: 0 });
      focalSel = pick(focal);
      diceSel = pick(dice);
    }
    const parts = { focal: meanAll(g, focalSel), dice: meanAll(g, diceSel), iou: meanAll(g, iouPer) };
    const loss = ops.add(g, ops.add(g, ops.mul(g, parts.focal, w.focal), ops.mul(g, parts.dice, w.dice)), ops.mul(g, parts.iou, w.iou));
    return { loss, ...parts };
  });
}
