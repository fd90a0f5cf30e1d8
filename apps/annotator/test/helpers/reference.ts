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
import { area, argmax, diffCount } from './masks.js';

/**
 * The model the agreement tests use: untrained, so every prompt gives a different, speckled,
 * non-empty mask (a path that ignored the prompt or lost a pixel would show).
 */
export const MODEL = 'sam_vit_mini';
/** Smooth masks that follow the scene's colours, but barely prompt-dependent: pictures only. */
export const PICTURE_MODEL = 'sam_vit_mini_trained';

const sams = new Map<string, Promise<LoadedSam>>();

/** A fixture model (exported to ONNX once, into tsam's cache). */
export function fixtureSam(model: string = MODEL): Promise<LoadedSam> {
  let p = sams.get(model);
  if (!p) sams.set(model, (p = loadSam({ checkpoint: fixturePath(`${model}.pth`) })));
  return p;
}

/** The real server in this process, on a free port; `imagesDir` is offered as the server's image list. */
export async function startServer(
  model: string = MODEL,
  opts: { imagesDir?: string } = {},
): Promise<{ server: TsamServer; sam: LoadedSam }> {
  const sam = await fixtureSam(model);
  const server = await createServer({ sam, port: 0, appDir: APP_DIST, ...opts });
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
 * Node's mask for `prompt` (candidate `pick`, or the highest predicted IoU as the app picks);
 * asserts both masks are non-empty and differ in 0 pixels, and logs the counts.
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
  const diff = diffCount(shown, want);
  console.log(
    `[annotator e2e] ${what}: ${area(shown)} px in the page's mask, ${area(want)} in the Node predictor's, ${diff} of ${want.length} pixels differ`,
  );
  expect(area(want), `${what}: the Node mask is empty (an empty mask proves nothing)`).toBeGreaterThan(0);
  expect(area(shown), `${what}: the page's mask is empty`).toBeGreaterThan(0);
  expect(diff, `${what}: pixels where the page's mask and the Node mask differ`).toBe(0);
  return diff;
}
