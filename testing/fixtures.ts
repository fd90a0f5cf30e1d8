/**
 * The one way tests reach `../shared/fixtures/` (reference outputs; never copied into the repo).
 * Tests that need it use `describeFixtures`, which skips with the reason when the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES_DIR = process.env.TSAM_FIXTURES ?? resolve(here, '../../shared/fixtures');
export const hasFixtures = existsSync(join(FIXTURES_DIR, 'manifest.json'));
export const FIXTURES_SKIP_REASON = `fixtures not found at ${FIXTURES_DIR} (set TSAM_FIXTURES)`;

export interface ModelEntry {
  checkpoint: string;
  family: 'sam_vit' | 'mobile_sam';
  embed_dim?: number;
  depth?: number;
  num_heads?: number;
  global_attn_indexes?: number[];
  stored_dtype?: string;
}
export interface ImageEntry {
  file: string;
  width: number;
  height: number;
}
export interface PromptCase {
  id: string;
  model: string;
  image: string;
  points?: [number, number][];
  labels?: number[];
  box?: [number, number, number, number];
  multimask?: boolean;
  mask_input_from?: string;
  onnx_contract?: false;
  expected: { iou_predictions: number[]; low_res_logits: string; masks: string };
}
export interface OnnxContractCase {
  id: string;
  model: string;
  image: string;
  onnx_contract: true;
  inputs: {
    point_coords_1024: [number, number][];
    point_labels: number[];
    mask_input: string;
    has_mask_input: number;
    orig_im_size: [number, number];
  };
  expected: { iou_predictions: number[]; low_res_masks: string; masks: string };
}
export type FixtureCase = PromptCase | OnnxContractCase;
export interface Manifest {
  models: Record<string, ModelEntry>;
  images: Record<string, ImageEntry>;
  cases: FixtureCase[];
}

let manifestCache: Manifest | undefined;
export function manifest(): Manifest {
  manifestCache ??= JSON.parse(readFileSync(join(FIXTURES_DIR, 'manifest.json'), 'utf8')) as Manifest;
  return manifestCache;
}

/** Absolute path of a file named relative to the fixtures folder. */
export function fixturePath(rel: string): string {
  return join(FIXTURES_DIR, rel);
}

export function readFixture(rel: string): Buffer {
  return readFileSync(fixturePath(rel));
}

export function readFixtureJson<T>(rel: string): T {
  return JSON.parse(readFileSync(fixturePath(rel), 'utf8')) as T;
}

/** `describe` that skips, naming the reason, when the shared fixtures are absent. */
export function describeFixtures(name: string, fn: () => void): void {
  if (hasFixtures) describe(name, fn);
  else describe.skip(`${name} [skipped: ${FIXTURES_SKIP_REASON}]`, fn);
}
