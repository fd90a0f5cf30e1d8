/** Mask → coloured overlay pixels, and drawing overlays onto a canvas with alpha blending. */
import type { Rgb } from '../state/types.js';

export interface MaskStyle {
  /** Alpha (0–255) inside the mask. */
  fill: number;
  /** Alpha (0–255) on its boundary pixels. */
  edge: number;
  /** Boundary width in image pixels. */
  width?: number;
  /** Boundary colour (default: the mask's). */
  edgeColor?: Rgb;
}

const WHITE: Rgb = [255, 255, 255];
export const STYLE_COMMITTED: MaskStyle = { fill: 130, edge: 255, width: 2 };
export const STYLE_SELECTED: MaskStyle = { fill: 170, edge: 255, width: 3, edgeColor: WHITE };
export const STYLE_EVERYTHING: MaskStyle = { fill: 150, edge: 255, width: 1, edgeColor: WHITE };
export const STYLE_CURRENT: MaskStyle = { fill: 150, edge: 255, width: 2, edgeColor: WHITE };
export const STYLE_PREVIEW: MaskStyle = { fill: 110, edge: 230, width: 2 };
export const STYLE_OUTLINE: MaskStyle = { fill: 0, edge: 230, width: 2 };

/** Whether set pixel (x, y) has an unset pixel (or the border) within `d` steps along an axis. */
function nearEdge(mask: Uint8Array, w: number, h: number, x: number, y: number, d: number): boolean {
  for (let k = 1; k <= d; k++) {
    if (x - k < 0 || y - k < 0 || x + k >= w || y + k >= h) return true;
    const i = y * w + x;
    if (!mask[i - k] || !mask[i + k] || !mask[i - k * w] || !mask[i + k * w]) return true;
  }
  return false;
}

/** Writes `mask` into RGBA `out` (row-major `h × w`), leaving pixels outside the mask untouched. */
export function paintMask(out: Uint8ClampedArray, mask: Uint8Array, w: number, h: number, color: Rgb, style: MaskStyle): void {
  const d = style.width ?? 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (!mask[i]) continue;
      const edge = nearEdge(mask, w, h, x, y, d);
      const a = edge ? style.edge : style.fill;
      if (a === 0) continue;
      const [r, g, b] = edge ? (style.edgeColor ?? color) : color;
      const o = i * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = a;
    }
  }
}

let scratch: HTMLCanvasElement | null = null;

/** Draws RGBA pixels over what `ctx` already shows (putImageData would replace it). */
export function blit(ctx: CanvasRenderingContext2D, rgba: Uint8ClampedArray, w: number, h: number): void {
  scratch ??= document.createElement('canvas');
  if (scratch.width !== w || scratch.height !== h) {
    scratch.width = w;
    scratch.height = h;
  }
  const sctx = scratch.getContext('2d')!;
  sctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
  ctx.drawImage(scratch, 0, 0);
}

/** Draws several masks in one pass (later ones on top). */
export function drawMasks(
  ctx: CanvasRenderingContext2D,
  masks: { mask: Uint8Array; color: Rgb; style: MaskStyle }[],
  w: number,
  h: number,
): void {
  if (masks.length === 0) return;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (const m of masks) paintMask(rgba, m.mask, w, h, m.color, m.style);
  blit(ctx, rgba, w, h);
}
