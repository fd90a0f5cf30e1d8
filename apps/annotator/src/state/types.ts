/**
 * The annotation document: what undo/redo covers. Coordinates are image pixels (`ImagePx`,
 * branded), masks are row-major `height × width` 0/1 bytes at image size, never mutated in place.
 */
import type { Box, ImagePx, Point } from '@tsam/core';

/** 1 = foreground (positive), 0 = background (negative). */
export type Label = 0 | 1;

export interface Prompt {
  points: Point<ImagePx>[];
  labels: Label[];
  box: Box<ImagePx> | null;
}

/** One decoder output: a mask and its predicted IoU. */
export interface Candidate {
  mask: Uint8Array;
  iou: number;
}

/** A brush (adds) or eraser (removes) stroke: discs of `radius` along `points`. */
export interface Stroke {
  mode: 'brush' | 'erase';
  radius: number;
  points: Point<ImagePx>[];
}

/** The mask being made: its prompt, the decoder's candidates, the picked one and refinements. */
export interface Current {
  prompt: Prompt;
  /** Whether the candidates were decoded with multimask output. */
  multimask: boolean;
  /** `promptKey` of the prompt the candidates belong to (null: not decoded yet). */
  decodedFor: string | null;
  candidates: Candidate[];
  selected: number;
  strokes: Stroke[];
  /** Clicks, boxes, candidate picks and strokes spent on this mask. */
  clicks: number;
  /** `Date.now()` of the first action on this mask. */
  startedAt: number;
}

export type Rgb = readonly [r: number, g: number, b: number];

export interface MaskEntry {
  id: number;
  label: string;
  visible: boolean;
  color: Rgb;
  mask: Uint8Array;
  predictedIou: number;
  stabilityScore: number | null;
  /** The positive prompt points (SA-1B's `point_coords`), image pixels. */
  pointCoords: [number, number][];
  clicks: number;
  seconds: number;
  source: 'interactive' | 'everything';
}

export interface ImageInfo {
  /** The server's image id, or null in page-only mode. */
  id: string | null;
  name: string;
  width: number;
  height: number;
}

export interface Doc {
  image: ImageInfo | null;
  masks: MaskEntry[];
  current: Current | null;
  nextId: number;
}

/** The kept masks of one image, set aside while another image is open. */
export interface KeptMasks {
  masks: MaskEntry[];
  nextId: number;
}

export const emptyPrompt = (): Prompt => ({ points: [], labels: [], box: null });

export const emptyDoc = (): Doc => ({ image: null, masks: [], current: null, nextId: 1 });

export function promptIsEmpty(p: Prompt): boolean {
  return p.points.length === 0 && p.box === null;
}

/** Identity of a prompt (+ multimask flag), to match decoder results with the prompt they answer. */
export function promptKey(p: Prompt, multimask: boolean): string {
  return JSON.stringify([p.points, p.labels, p.box, multimask]);
}
