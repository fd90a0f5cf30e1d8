/** UI state outside the document (not undoable): tool, hover preview, "everything" results, status. */
import type { ImagePx, Point } from '@tsam/core';
import type { Rgb } from './types.js';

export type Tool = 'segment' | 'brush' | 'erase';
export type MultimaskMode = 'auto' | 'on' | 'off';

/** The live preview under the cursor. */
export interface HoverPreview {
  point: Point<ImagePx>;
  mask: Uint8Array;
  iou: number;
}

/** One automatic ("everything") mask. */
export interface EverythingMask {
  index: number;
  mask: Uint8Array;
  color: Rgb;
  area: number;
  predictedIou: number;
  stabilityScore: number;
  pointCoords: [number, number][];
}

export interface Everything {
  masks: EverythingMask[];
  /** `Date.now()` when the masks appeared or when one was last kept (for `tsam_seconds`). */
  since: number;
}

export interface Status {
  text: string;
  busy: boolean;
  /** 0–1 when known. */
  progress?: number;
  error?: boolean;
}

export interface Ui {
  /** The open image, decoded for drawing (image px); the static canvas takes it as a prop. */
  bitmap: ImageBitmap | null;
  tool: Tool;
  brushRadius: number;
  multimask: MultimaskMode;
  hover: HoverPreview | null;
  everything: Everything | null;
  status: Status;
  help: boolean;
  selectedMask: number | null;
  exportPolygons: boolean;
  /** "server" (embeddings from tsam serve) or "page" (the encoder runs in the page). */
  mode: 'server' | 'page' | 'none';
  runtime: string;
  amg: AmgSettings;
}

/** "Everything" parameters (SAM's defaults; `?grid=&iou=&stability=` override them). */
export interface AmgSettings {
  pointsPerSide: number;
  predIouThresh: number;
  stabilityScoreThresh: number;
}

function amgFromUrl(): AmgSettings {
  const q = new URLSearchParams(globalThis.location?.search ?? '');
  const num = (k: string, d: number) => {
    const v = q.get(k);
    return v !== null && Number.isFinite(Number(v)) ? Number(v) : d;
  };
  return {
    pointsPerSide: Math.max(1, Math.round(num('grid', 32))),
    predIouThresh: num('iou', 0.88),
    stabilityScoreThresh: num('stability', 0.95),
  };
}

export const initialUi = (): Ui => ({
  bitmap: null,
  tool: 'segment',
  brushRadius: 12,
  multimask: 'auto',
  hover: null,
  everything: null,
  status: { text: 'Starting…', busy: true },
  help: false,
  selectedMask: null,
  exportPolygons: false,
  mode: 'none',
  runtime: '',
  amg: amgFromUrl(),
});

/** SAM's advice: several masks for an ambiguous single click, one mask otherwise. */
export function multimaskFor(mode: MultimaskMode, points: number, hasBox: boolean): boolean {
  if (mode !== 'auto') return mode === 'on';
  return points === 1 && !hasBox;
}
