/**
 * Every change to the document is an action: plain data, applied by the pure `apply`
 * (excalidraw-style). History keeps the actions with the documents they produced.
 */
import type { Box, ImagePx, Point } from '@tsam/core';
import type { Candidate, ImageInfo, KeptMasks, Label, MaskEntry, Stroke } from './types.js';

export type Action =
  /** A new image; `restore` brings back the masks kept on it earlier in this page. */
  | { type: 'openImage'; image: ImageInfo; restore?: KeptMasks }
  | { type: 'addPoint'; point: Point<ImagePx>; label: Label; multimask: boolean; at: number }
  | { type: 'setBox'; box: Box<ImagePx>; multimask: boolean; at: number }
  /** Decoder output for the prompt with this key (dropped if the prompt has moved on). */
  | { type: 'decoded'; key: string; candidates: Candidate[] }
  | { type: 'selectCandidate'; index: number }
  | { type: 'stroke'; stroke: Stroke; at: number }
  | { type: 'commit'; label: string; at: number }
  | { type: 'discard' }
  | { type: 'keepMask'; entry: Omit<MaskEntry, 'id' | 'color'> }
  | { type: 'rename'; id: number; label: string }
  | { type: 'setVisible'; id: number; visible: boolean }
  | { type: 'delete'; id: number };

export type ActionType = Action['type'];

/** Actions that do not make an undo step (they complete or annotate the step before them). */
export const TRANSIENT: ReadonlySet<ActionType> = new Set(['decoded']);

/** Actions after which the history is cleared (a new image). */
export const RESETS: ReadonlySet<ActionType> = new Set(['openImage']);
