/**
 * The reference side of the end-to-end tests: the fixture model loaded once, the real
 * `tsam serve` (createServer from @tsam/server) on a free port sharing it, and @tsam/node's
 * predictor on the same model and image, for the same prompt as the page.
 */
import type { PromptInput } from '@tsam/core';
import { NodeSamPredictor, loadSam, type LoadedSam } from '@tsam/node';
import { createServer, type TsamServer } from '@tsam/server';
import { expect } from 'vitest';
import { fixturePath } from '../../../../testing/fixtures.js';
import type { AppState } from './app.js';
import { APP_DIST } from './browser.js';
import { argmax, diffCount, iou } from './masks.js';

export const MODEL = 'sam_vit_mini_trained';

let samPromise: Promise<LoadedSam> | undefined;

/** The fixture model (exported to ONNX once, into tsam's cache). */
export function fixtureSam(): Promise<LoadedSam> {
  samPromise ??= loadSam({ checkpoint: fixturePath(`${MODEL}.pth`) });
  return samPromise;
}

export async function startServer(): Promise<{ server: TsamServer; sam: LoadedSam }> {
  const sam = await fixtureSam();
  const server = await createServer({ sam, port: 0, appDir: APP_DIST });
  return { server, sam };
}

export async function nodePredictor(sam: LoadedSam, image: string): Promise<NodeSamPredictor> {
  const p = new NodeSamPredictor({ encoder: sam.encoder, decoder: sam.decoder, modelSize: sam.manifest.modelSize });
  await p.setImage(fixturePath(image));
  return p;
}

/** The app's current prompt as a core prompt. */
export function promptOf(cur: NonNullable<AppState['current']>): PromptInput {
  return { points: cur.points, labels: cur.labels, ...(cur.box ? { box: cur.box } : {}), multimaskOutput: cur.multimask };
}

/**
 * Node's mask for `prompt` (candidate `pick`, or the highest predicted IoU as the app picks) and
 * its IoU with the page's; asserts IoU ≥ 0.99 and logs how many pixels differ.
 */
export async function expectSameAsNode(
  node: NodeSamPredictor,
  prompt: PromptInput,
  shown: Uint8Array,
  what: string,
  pick?: number,
): Promise<number> {
  const ref = await node.predict(prompt);
  const i = pick ?? argmax(ref.iouPredictions);
  const want = ref.masks[i] as Uint8Array;
  const score = iou(shown, want);
  console.log(
    `[annotator e2e] ${what}: IoU with the Node predictor ${score.toFixed(6)}, ${diffCount(shown, want)} of ${want.length} pixels differ`,
  );
  expect(score, `${what}: page mask vs Node mask`).toBeGreaterThanOrEqual(0.99);
  return score;
}
