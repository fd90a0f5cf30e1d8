/**
 * The recorded-steps format (`steps.json`, as in the shared fixture's `train/`): an optimizer, a
 * loss, the trainable prefixes and a list of batches, file names relative to the JSON's folder.
 * See docs/TRAINING.md. `loadSteps` checks every field and names it when it is wrong.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseNpy } from '@tsam/core';
import { SAM_LOSS, type LossWeights } from './loss.js';

export interface StepsFile {
  optimizer: { name: 'adamw'; lr: number; betas: [number, number]; eps: number; weight_decay: number };
  loss: LossWeights;
  trainable: string[];
  steps: RecordedStep[];
}

export interface RecordedStep {
  multimask: boolean;
  /** B×N×2, 1024 model frame. */
  point_coords: number[][][] | null;
  /** B×N */
  point_labels: number[][] | null;
  /** B×4 XYXY, model frame. */
  boxes: number[][] | null;
  gt_masks: string;
  mask_input: string | null;
  embedding: string;
}

/** One step's tensors, ready to feed. */
export interface StepBatch {
  batch: number;
  points: number;
  multimask: boolean;
  coords: Float32Array;
  labels: Float32Array;
  mask: Float32Array | null;
  gt: Float32Array;
  embedding: Float32Array;
  embeddingShape: number[];
}

export class StepsError extends Error {
  override name = 'StepsError';
}

function need(cond: unknown, where: string, what: string): asserts cond {
  if (!cond) throw new StepsError(`${where}: ${what}`);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseSteps(json: unknown, file = 'steps.json'): StepsFile {
  need(json && typeof json === 'object', file, 'must be a JSON object');
  const o = json as Record<string, unknown>;
  const opt = o.optimizer as Record<string, unknown> | undefined;
  need(opt && opt.name === 'adamw', `${file}: optimizer.name`, 'must be "adamw" (the only optimizer replay supports)');
  for (const k of ['lr', 'eps', 'weight_decay'])
    need(isNum(opt[k]) && (opt[k] as number) >= 0, `${file}: optimizer.${k}`, 'must be a finite number ≥ 0');
  const betas = opt.betas as unknown[];
  need(
    Array.isArray(betas) && betas.length === 2 && betas.every((b) => isNum(b) && b >= 0 && b < 1),
    `${file}: optimizer.betas`,
    'must be two numbers in [0, 1)',
  );
  const l = (o.loss ?? {}) as Record<string, unknown>;
  const loss: LossWeights = {
    focal: (l.focal as number | undefined) ?? SAM_LOSS.focal,
    dice: (l.dice as number | undefined) ?? SAM_LOSS.dice,
    iou: (l.iou as number | undefined) ?? SAM_LOSS.iou,
    focalAlpha: (l.focal_alpha as number | undefined) ?? SAM_LOSS.focalAlpha,
    focalGamma: (l.focal_gamma as number | undefined) ?? SAM_LOSS.focalGamma,
  };
  for (const [k, v] of Object.entries(loss)) need(isNum(v), `${file}: loss`, `${k} must be a finite number`);
  const trainable = (o.trainable ?? ['prompt_encoder.', 'mask_decoder.']) as unknown[];
  need(Array.isArray(trainable) && trainable.every((t) => typeof t === 'string'), `${file}: trainable`, 'must be a list of key prefixes');
  const steps = o.steps as unknown[];
  need(Array.isArray(steps) && steps.length > 0, `${file}: steps`, 'must be a non-empty list');
  steps.forEach((s, i) => checkStep(s, `${file}: steps[${i}]`));
  return {
    optimizer: {
      name: 'adamw',
      lr: opt.lr as number,
      betas: betas as [number, number],
      eps: opt.eps as number,
      weight_decay: opt.weight_decay as number,
    },
    loss,
    trainable: trainable as string[],
    steps: steps as RecordedStep[],
  };
}

function checkStep(s: unknown, where: string): void {
  need(s && typeof s === 'object', where, 'must be an object');
  const st = s as Record<string, unknown>;
  need(typeof st.multimask === 'boolean', `${where}.multimask`, 'must be true or false');
  need(typeof st.gt_masks === 'string', `${where}.gt_masks`, 'must name a .npy file');
  need(typeof st.embedding === 'string', `${where}.embedding`, 'must name a .npy file');
  need(
    st.mask_input === null || st.mask_input === undefined || typeof st.mask_input === 'string',
    `${where}.mask_input`,
    'must be null or name a .npy file',
  );
  const pc = st.point_coords as unknown;
  const pl = st.point_labels as unknown;
  const bx = st.boxes as unknown;
  need(pc != null || bx != null, where, 'needs point_coords or boxes');
  need((pc == null) === (pl == null), where, 'point_coords and point_labels go together');
  if (pc != null) {
    need(Array.isArray(pc) && pc.length > 0, `${where}.point_coords`, 'must be B×N×2');
    const n = (pc[0] as unknown[]).length;
    (pc as unknown[]).forEach((p, b) => {
      need(
        Array.isArray(p) && p.length === n && p.every((xy) => Array.isArray(xy) && xy.length === 2 && xy.every(isNum)),
        `${where}.point_coords[${b}]`,
        `must be ${n} finite [x, y] pairs`,
      );
    });
    need(Array.isArray(pl) && pl.length === pc.length, `${where}.point_labels`, `must have ${pc.length} rows like point_coords`);
    (pl as unknown[]).forEach((row, b) => {
      need(
        Array.isArray(row) && row.length === n && row.every((v) => v === 0 || v === 1),
        `${where}.point_labels[${b}]`,
        `must be ${n} labels, each 0 or 1`,
      );
    });
  }
  if (bx != null) {
    need(
      Array.isArray(bx) && bx.every((r) => Array.isArray(r) && r.length === 4 && r.every(isNum)),
      `${where}.boxes`,
      'must be B×4 finite XYXY',
    );
    if (pc != null) need((bx as unknown[]).length === (pc as unknown[]).length, `${where}.boxes`, 'must have as many rows as point_coords');
  }
}

export function loadStepsFile(path: string): { file: StepsFile; dir: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new StepsError(`${path}: cannot read steps JSON (${(err as Error).message})`);
  }
  return { file: parseSteps(json, path), dir: dirname(resolve(path)) };
}

function npy(dir: string, rel: string, where: string, shape?: (number | null)[]) {
  let arr;
  try {
    arr = parseNpy(readFileSync(resolve(dir, rel)));
  } catch (err) {
    throw new StepsError(`${where}: cannot read ${rel} (${(err as Error).message})`);
  }
  if (shape && (arr.shape.length !== shape.length || shape.some((d, i) => d !== null && arr.shape[i] !== d)))
    throw new StepsError(`${where}: ${rel} has shape [${arr.shape.join(', ')}], expected [${shape.map((d) => d ?? '?').join(', ')}]`);
  return arr;
}

/**
 * A step's prompt tensors as the reference prompt encoder sees them: points then box corners
 * (labels 2, 3); a padding point (0, 0, label −1) only when there is no box.
 */
export function loadStepBatch(step: RecordedStep, dir: string, where: string, lowRes = 256): StepBatch {
  const pts = step.point_coords ?? null;
  const boxes = step.boxes ?? null;
  const b = (pts ?? boxes ?? []).length;
  const nPts = pts ? (pts[0]?.length ?? 0) : 0;
  const n = nPts + (boxes ? 2 : 1);
  const coords = new Float32Array(b * n * 2);
  const labels = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < nPts; j++) {
      const [x, y] = pts?.[i]?.[j] as [number, number];
      coords.set([x, y], (i * n + j) * 2);
      labels[i * n + j] = step.point_labels?.[i]?.[j] as number;
    }
    if (boxes) {
      const [x0, y0, x1, y1] = boxes[i] as [number, number, number, number];
      coords.set([x0, y0, x1, y1], (i * n + nPts) * 2);
      labels.set([2, 3], i * n + nPts);
    } else labels[i * n + nPts] = -1;
  }
  const gt = npy(dir, step.gt_masks, `${where}.gt_masks`, [b, lowRes, lowRes]);
  const mask = step.mask_input ? npy(dir, step.mask_input, `${where}.mask_input`, [b, 1, lowRes, lowRes]).data : null;
  const emb = npy(dir, step.embedding, `${where}.embedding`, [1, null, null, null]);
  return {
    batch: b,
    points: n,
    multimask: step.multimask,
    coords,
    labels,
    mask,
    gt: gt.data.map((v) => (v > 0 ? 1 : 0)),
    embedding: emb.data,
    embeddingShape: emb.shape,
  };
}
