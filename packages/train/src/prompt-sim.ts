/**
 * The paper's interactive prompt simulation for training (SAM §A, "Training algorithm"), on masks
 * in the 256² low-res frame, with prompts returned in the 1024 model frame (one low-res pixel is
 * a 4×4 block of the model frame; a point is put at its centre, 4·x + 1.5).
 *
 * Per mask: the first prompt is, with equal probability, a foreground point drawn uniformly or
 * the mask's box with noise on each coordinate (std 10 % of the box side, clipped to 20 px of
 * the model frame); then 8 rounds that each add one point drawn uniformly from the error region
 * of the previous round's prediction (positive in a false negative, negative in a false
 * positive), each fed the previous low-res logits as mask_input; plus 2 rounds with no new point,
 * one at a random place among the 8 and one at the end.
 */

export type Rand = () => number;

/** A point prompt in the 1024 model frame; label 1 foreground, 0 background. */
export interface SimPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

export type FirstPrompt = { kind: 'point'; point: SimPoint } | { kind: 'box'; box: [number, number, number, number] };

const LOW = 256;
const SCALE = 4; // 1024 / 256
const toModel = (i: number) => SCALE * i + 1.5;

/** A standard normal draw (Box–Muller). */
function normal(rand: Rand): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Indices (y·256 + x) where `pick` holds; the caller draws one uniformly. */
function pixels(n: number, pick: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (pick(i)) out.push(i);
  return out;
}

/** The first prompt for `gt` (256², 1 = inside); throws when the mask is empty at 256². */
export function firstPrompt(gt: Uint8Array, rand: Rand): FirstPrompt {
  const fg = pixels(LOW * LOW, (i) => gt[i] === 1);
  if (fg.length === 0) throw new RangeError('the mask has no pixel at 256²: nothing to prompt');
  if (rand() < 0.5) {
    const i = fg[Math.floor(rand() * fg.length)] as number;
    return { kind: 'point', point: { x: toModel(i % LOW), y: toModel(Math.floor(i / LOW)), label: 1 } };
  }
  let [x0, y0, x1, y1] = [LOW, LOW, -1, -1];
  for (const i of fg) {
    const [x, y] = [i % LOW, Math.floor(i / LOW)];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  // Box edges in the model frame: the low-res box covers [4·x0, 4·(x1 + 1)).
  const box = [SCALE * x0, SCALE * y0, SCALE * (x1 + 1), SCALE * (y1 + 1)];
  const [w, h] = [(box[2] as number) - (box[0] as number), (box[3] as number) - (box[1] as number)];
  const jitter = (side: number) => Math.max(-20, Math.min(20, normal(rand) * 0.1 * side));
  const noisy = box.map((v, k) => Math.max(0, Math.min(SCALE * LOW, v + jitter(k % 2 === 0 ? w : h))));
  return { kind: 'box', box: noisy as [number, number, number, number] };
}

/**
 * A correction point drawn uniformly from the error region of `logits` (256², > 0 is inside)
 * against `gt`: label 1 in a false negative, 0 in a false positive. Null when there is no error.
 */
export function correctionPoint(gt: Uint8Array, logits: Float32Array, rand: Rand): SimPoint | null {
  const err = pixels(LOW * LOW, (i) => (gt[i] === 1) !== (logits[i] as number) > 0);
  if (err.length === 0) return null;
  const i = err[Math.floor(rand() * err.length)] as number;
  return { x: toModel(i % LOW), y: toModel(Math.floor(i / LOW)), label: gt[i] === 1 ? 1 : 0 };
}

/**
 * The rounds after the first prompt's: `true` adds a correction point, `false` is a round with
 * no new point (only the previous logits as mask_input). `pointRounds` (8) point rounds, one
 * no-point round after a random number 1…8 of them, and one at the end: 10 in all.
 */
export function roundSchedule(rand: Rand, pointRounds = 8): boolean[] {
  const rounds: boolean[] = new Array<boolean>(pointRounds).fill(true);
  rounds.splice(1 + Math.floor(rand() * pointRounds), 0, false);
  rounds.push(false);
  return rounds;
}
