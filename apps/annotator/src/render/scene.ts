/**
 * The two canvases' scenes as pure functions of state (excalidraw's `renderStaticScene`): what
 * each layer shows is computed from the document and UI state alone, so the canvases and the
 * test hooks read the same pixels without either writing them anywhere.
 */
import { finalMask, keptMasks } from '../state/mask-ops.js';
import type { Doc, MaskEntry, Rgb } from '../state/types.js';
import type { Ui } from '../state/ui.js';
import {
  STYLE_COMMITTED,
  STYLE_CURRENT,
  STYLE_EVERYTHING,
  STYLE_OUTLINE,
  STYLE_PREVIEW,
  STYLE_SELECTED,
  drawMasks,
  type MaskStyle,
} from './masks.js';

const CURRENT: Rgb = [30, 144, 255];
const PREVIEW: Rgb = [255, 140, 0];

/** One mask to paint: row-major `h × w` 0/1 bytes in image px. */
export interface MaskLayer {
  mask: Uint8Array;
  color: Rgb;
  style: MaskStyle;
}

/** Everything the static layer shows: the image bitmap (image px) and the kept masks. */
export interface StaticScene {
  bitmap: ImageBitmap | null;
  width: number;
  height: number;
  masks: readonly MaskEntry[];
  selected: number | null;
}

/** Draws the static scene on a canvas sized to the image (one canvas px = one image px). */
export function renderStaticScene(canvas: HTMLCanvasElement, s: StaticScene): void {
  canvas.width = s.width;
  canvas.height = s.height;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, s.width, s.height);
  if (s.bitmap) ctx.drawImage(s.bitmap, 0, 0);
  const layers = s.masks
    .filter((m) => m.visible)
    .map((m) => ({ mask: m.mask, color: m.color, style: m.id === s.selected ? STYLE_SELECTED : STYLE_COMMITTED }));
  drawMasks(ctx, layers, s.width, s.height);
}

/** The interactive layer's masks: the current mask, the hover preview and their paint order. */
export interface InteractiveMasks {
  /** The current mask as shown (selected candidate + strokes), or null. */
  current: Uint8Array | null;
  /** The hover preview as shown (hidden while a box or stroke is dragged), or null. */
  preview: Uint8Array | null;
  /** Bottom to top: unkept "everything" masks, the current mask, the preview. */
  layers: MaskLayer[];
}

/** What the interactive canvas paints under its marks, from state alone. */
export function interactiveMasks(
  doc: Pick<Doc, 'image' | 'current' | 'masks'>,
  ui: Pick<Ui, 'hover' | 'everything'>,
  dragging: boolean,
): InteractiveMasks {
  const layers: MaskLayer[] = [];
  const { image, current } = doc;
  if (!image) return { current: null, preview: null, layers };
  if (ui.everything) {
    const kept = keptMasks(doc);
    for (const m of ui.everything.masks) if (!kept.has(m.mask)) layers.push({ mask: m.mask, color: m.color, style: STYLE_EVERYTHING });
  }
  const cur =
    current && (current.candidates.length > 0 || current.strokes.length > 0) ? finalMask(current, image.width, image.height) : null;
  if (cur) layers.push({ mask: cur, color: CURRENT, style: STYLE_CURRENT });
  const preview = ui.hover && !dragging ? ui.hover.mask : null;
  if (preview) layers.push({ mask: preview, color: PREVIEW, style: cur ? STYLE_OUTLINE : STYLE_PREVIEW });
  return { current: cur, preview, layers };
}
