/**
 * The training-replay parity measures against the shared fixture's train/ (the reference's
 * float64 run), used by the library and CLI replay tests alike.
 */
import { readFileSync } from 'node:fs';
import { readSafetensors, type StateDict } from '@tsam/model';
import { fixturePath, readFixture } from './fixtures.js';

export interface LossRecord {
  loss: number;
  focal: number;
  dice: number;
  iou: number;
}

export interface ReplayFigures {
  /** Per step and part, |ours − ref| / |ref|. */
  lossRel: { step: number; part: keyof LossRecord; rel: number; got: number; ref: number }[];
  /** Per tensor: max|Δ| / max|ref| (or / the largest gradient, for a mathematically zero reference). */
  gradRel: { key: string; rel: number; zero: boolean }[];
  gradMissing: string[];
  params: { total: number; overFrac: number; maxOverLr: number; movedFrac: number; missing: string[] };
}

export function referenceLosses(): LossRecord[] {
  const steps = JSON.parse(readFileSync(fixturePath('train/steps.json'), 'utf8')) as { expected: { losses: LossRecord[] } };
  return steps.expected.losses;
}

export function referenceLr(): number {
  return (JSON.parse(readFileSync(fixturePath('train/steps.json'), 'utf8')) as { optimizer: { lr: number } }).optimizer.lr;
}

export function measureReplay(losses: LossRecord[], grads: StateDict, params: StateDict, initial: StateDict): ReplayFigures {
  const lossRel: ReplayFigures['lossRel'] = [];
  referenceLosses().forEach((ref, i) => {
    const got = losses[i];
    for (const part of ['loss', 'focal', 'dice', 'iou'] as const) {
      const g = got ? got[part] : NaN;
      lossRel.push({ step: i + 1, part, rel: Math.abs(g - ref[part]) / Math.abs(ref[part]), got: g, ref: ref[part] });
    }
  });

  const refGrads = readSafetensors(readFixture('train/grads_step1.safetensors'));
  let globalMax = 0;
  for (const t of refGrads.values()) for (const v of t.data) globalMax = Math.max(globalMax, Math.abs(v));
  const gradRel: ReplayFigures['gradRel'] = [];
  const gradMissing: string[] = [];
  for (const [key, r] of refGrads) {
    const got = grads.get(key);
    if (!got || got.data.length !== r.data.length) {
      gradMissing.push(key);
      continue;
    }
    let refMax = 0;
    let diff = 0;
    for (let i = 0; i < r.data.length; i++) {
      refMax = Math.max(refMax, Math.abs(r.data[i] as number));
      diff = Math.max(diff, Math.abs((got.data[i] as number) - (r.data[i] as number)));
    }
    // A mathematically zero gradient (a key bias under softmax) is stored as float64 rounding
    // noise (~1e-18): like an exact zero, it is measured against the largest gradient.
    const zero = refMax <= 1e-12 * globalMax;
    gradRel.push({ key, rel: diff / (zero ? globalMax : refMax), zero });
  }
  for (const key of grads.keys()) if (!refGrads.has(key)) gradMissing.push(`extra: ${key}`);

  const refParams = readSafetensors(readFixture('train/params_final.safetensors'));
  const lr = referenceLr();
  let total = 0;
  let over = 0;
  let maxAbs = 0;
  let moved = 0;
  const missing: string[] = [];
  for (const [key, r] of refParams) {
    const got = params.get(key)?.data;
    const before = initial.get(key)?.data;
    if (!got || !before || got.length !== r.data.length) {
      missing.push(key);
      continue;
    }
    for (let i = 0; i < r.data.length; i++) {
      const d = Math.abs((got[i] as number) - (r.data[i] as number));
      total++;
      if (d > 0.05 * lr) over++;
      maxAbs = Math.max(maxAbs, d);
      if (Math.abs((r.data[i] as number) - (before[i] as number)) > lr) moved++;
    }
  }
  return {
    lossRel,
    gradRel,
    gradMissing,
    params: { total, overFrac: over / total, maxOverLr: maxAbs / lr, movedFrac: moved / total, missing },
  };
}

/** One line per measure, for the test log. */
export function describeFigures(f: ReplayFigures): string {
  const worstLoss = f.lossRel.reduce((a, b) => (b.rel > a.rel ? b : a));
  const worstGrad = f.gradRel.reduce((a, b) => (b.rel > a.rel ? b : a));
  return [
    `losses: worst ${worstLoss.rel.toExponential(2)} relative (step ${worstLoss.step} ${worstLoss.part}); total loss worst ${Math.max(...f.lossRel.filter((l) => l.part === 'loss').map((l) => l.rel)).toExponential(2)}`,
    `grads: ${f.gradRel.length} tensors (${f.gradRel.filter((g) => !g.zero).length} non-zero), worst ${worstGrad.rel.toExponential(2)} (${worstGrad.key})`,
    `params: ${f.params.total} elements, ${(100 * f.params.overFrac).toFixed(3)} % off by > 0.05·lr, max |Δ| ${f.params.maxOverLr.toFixed(3)}·lr`,
  ].join('\n');
}
