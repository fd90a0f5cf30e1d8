/**
 * `replay`: runs a recorded sequence of batches (steps.json) through the training-step graph on
 * onnxruntime-node, with AdamW between steps, and reports what the reference reports: the loss
 * and its parts per step, step 1's gradients, and the parameters after the last step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { serializeModel } from '@tsam/onnx';
import { inferSamConfig, writeSafetensors, writeTorchCheckpoint, type SamConfig, type StateDict } from '@tsam/model';
import { AdamW } from './adamw.js';
import { buildTrainStepGraph, isTrainableKey, type StepShape } from './step-graph.js';
import { loadStepBatch, type StepBatch, type StepsFile } from './steps.js';

export interface StepLoss {
  loss: number;
  focal: number;
  dice: number;
  iou: number;
}

export interface ReplayResult {
  losses: StepLoss[];
  /** Step 1's gradient of every trainable key (zeros where the loss does not reach it). */
  gradsStep1: Map<string, Float32Array>;
  /** The full state dict after the last step (trainable tensors updated, the rest as given). */
  stateDict: StateDict;
  /** The trainable keys. */
  trainable: string[];
}

interface CompiledStep {
  session: ort.InferenceSession;
  params: string[];
  withGrad: string[];
}

/** Compiles (once per batch shape) and runs training steps for one checkpoint. */
export class StepRunner {
  private readonly cache = new Map<string, Promise<CompiledStep>>();
  readonly cfg: SamConfig;

  constructor(
    private readonly base: StateDict,
    private readonly trainable: (key: string) => boolean,
    private readonly loss?: StepsFile['loss'],
  ) {
    this.cfg = inferSamConfig(base);
  }

  private compiled(shape: StepShape): Promise<CompiledStep> {
    const key = JSON.stringify(shape);
    let hit = this.cache.get(key);
    if (!hit) {
      hit = (async () => {
        const built = buildTrainStepGraph((k) => this.base.get(k), this.cfg, shape, {
          trainable: this.trainable,
          ...(this.loss ? { loss: this.loss } : {}),
        });
        const session = await ort.InferenceSession.create(serializeModel(built.graph).model, { graphOptimizationLevel: 'all' });
        return { session, params: built.params, withGrad: built.withGrad };
      })();
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** Forward + backward of one batch at `params` (float64 master copies, fed as float32). */
  async run(
    batch: StepBatch,
    params: Map<string, Float64Array>,
  ): Promise<{ loss: StepLoss; grads: Map<string, Float32Array>; lowRes: Float32Array; iouPredictions: Float32Array }> {
    const shape: StepShape = { batch: batch.batch, points: batch.points, hasMask: batch.mask !== null, multimask: batch.multimask };
    const step = await this.compiled(shape);
    const feeds: Record<string, ort.Tensor> = {
      image_embeddings: new ort.Tensor('float32', batch.embedding, batch.embeddingShape),
      point_coords: new ort.Tensor('float32', batch.coords, [batch.batch, batch.points, 2]),
      point_labels: new ort.Tensor('float32', batch.labels, [batch.batch, batch.points]),
      gt_masks: new ort.Tensor('float32', batch.gt, [batch.batch, 1, 256, 256]),
    };
    if (batch.mask) {
      feeds.mask_input = new ort.Tensor('float32', batch.mask, [batch.batch, 1, 256, 256]);
      feeds.has_mask_input = new ort.Tensor('float32', new Float32Array([1]), [1]);
    }
    for (const k of step.params) {
      const p = params.get(k);
      const t = this.base.get(k);
      if (!p || !t) throw new Error(`training graph needs parameter "${k}", which the checkpoint lacks`);
      feeds[k] = new ort.Tensor('float32', Float32Array.from(p), t.shape);
    }
    const out = await step.session.run(feeds);
    const num = (name: string) => {
      const v = Number(out[name]?.data[0]);
      if (!Number.isFinite(v)) throw new Error(`training step produced a non-finite ${name} (${v})`);
      return v;
    };
    const grads = new Map<string, Float32Array>();
    for (const k of step.withGrad) grads.set(k, out[`grad:${k}`]?.data as Float32Array);
    return {
      loss: { loss: num('loss'), focal: num('focal'), dice: num('dice'), iou: num('iou') },
      grads,
      // The supervised outputs: [B, M, 256, 256] logits and [B, M] predicted IoU (M = 3 multimask, else 1).
      lowRes: out.low_res_masks?.data as Float32Array,
      iouPredictions: out.iou_predictions?.data as Float32Array,
    };
  }
}

/** Replays `steps` (files relative to `dir`) from `base`; `onStep` sees each step's loss as it lands. */
export async function replaySteps(
  base: StateDict,
  steps: StepsFile,
  dir: string,
  onStep?: (index: number, loss: StepLoss) => void,
): Promise<ReplayResult> {
  const trainable = (k: string) => isTrainableKey(k, steps.trainable);
  const keys = [...base.keys()].filter(trainable);
  if (keys.length === 0) throw new Error(`trainable: the prefixes ${JSON.stringify(steps.trainable)} match no tensor of the checkpoint`);
  const params = new Map(keys.map((k) => [k, Float64Array.from((base.get(k) as { data: Float32Array }).data)]));
  const runner = new StepRunner(base, trainable, steps.loss);
  const opt = new AdamW({
    lr: steps.optimizer.lr,
    betas: steps.optimizer.betas,
    eps: steps.optimizer.eps,
    weightDecay: steps.optimizer.weight_decay,
  });
  const losses: StepLoss[] = [];
  let gradsStep1 = new Map<string, Float32Array>();
  for (const [i, step] of steps.steps.entries()) {
    const batch = loadStepBatch(step, dir, `steps[${i}]`);
    const { loss, grads } = await runner.run(batch, params);
    for (const [k, g] of grads)
      for (const v of g) if (!Number.isFinite(v)) throw new Error(`step ${i + 1}: gradient of "${k}" is not finite`);
    losses.push(loss);
    onStep?.(i, loss);
    if (i === 0) gradsStep1 = new Map(keys.map((k) => [k, grads.get(k) ?? new Float32Array(params.get(k)?.length ?? 0)]));
    opt.update(params, grads);
  }
  const stateDict: StateDict = new Map();
  for (const [k, t] of base) {
    const p = params.get(k);
    stateDict.set(k, p ? { shape: t.shape, data: Float32Array.from(p) } : t);
  }
  return { losses, gradsStep1, stateDict, trainable: keys };
}

/** DIR/losses.json, DIR/grads_step1.safetensors (state-dict names), DIR/checkpoint.pth (official layout). */
export function writeReplayOutputs(outDir: string, result: ReplayResult, base: StateDict): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'losses.json'), `${JSON.stringify(result.losses, null, 2)}\n`);
  const grads: StateDict = new Map(
    [...result.gradsStep1].map(([k, g]) => [k, { shape: (base.get(k) as { shape: number[] }).shape, data: g }]),
  );
  writeFileSync(join(outDir, 'grads_step1.safetensors'), writeSafetensors(grads));
  writeFileSync(join(outDir, 'checkpoint.pth'), writeTorchCheckpoint(result.stateDict));
}
