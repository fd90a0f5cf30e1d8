/**
 * The picture `tsam segment` writes: the image with the mask filled in SAM's demo blue, its
 * outline in white, the points as green (foreground) / red (background) dots and the box in green.
 */
import type { RgbImage } from '@tsam/core';

type Rgb = readonly [number, number, number];

const MASK_FILL: Rgb = [30, 144, 255]; // the SAM notebooks' show_mask colour
const FILL_ALPHA = 0.6;
const WHITE: Rgb = [255, 255, 255];
const FOREGROUND: Rgb = [34, 197, 94];
const BACKGROUND: Rgb = [239, 68, 68];
const BOX: Rgb = [34, 197, 94];

export interface OverlayPrompts {
  points: readonly { x: number; y: number; label: number }[];
  box?: readonly [number, number, number, number];
}

/** Draws on RGB bytes with a line width that grows with the image. */
class Canvas {
  readonly px: Uint8Array;
  readonly line: number;

  constructor(
    image: RgbImage,
    readonly w = image.width,
    readonly h = image.height,
  ) {
    this.px = Uint8Array.from(image.data);
    this.line = Math.max(1, Math.round(Math.min(w, h) / 300));
  }

  set(x: number, y: number, c: Rgb, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = 3 * (y * this.w + x);
    for (let k = 0; k < 3; k++) this.px[i + k] = Math.round(alpha * c[k]! + (1 - alpha) * this.px[i + k]!);
  }

  /** A filled square of side `size` centred on (x, y). */
  dot(x: number, y: number, size: number, c: Rgb): void {
    const r = Math.floor(size / 2);
    for (let dy = -r; dy < size - r; dy++) for (let dx = -r; dx < size - r; dx++) this.set(x + dx, y + dy, c);
  }

  disc(cx: number, cy: number, radius: number, c: Rgb): void {
    for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
      for (let x = Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) this.set(x, y, c);
      }
    }
  }
}

/** The overlay as PNG bytes. `mask` is row-major `h × w`, nonzero = inside. */
export async function renderSegmentOverlay(image: RgbImage, mask: ArrayLike<number>, prompts: OverlayPrompts): Promise<Buffer> {
  const cv = new Canvas(image);
  const { w, h } = cv;
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] !== 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (inside(x, y)) cv.set(x, y, MASK_FILL, FILL_ALPHA);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const edge = inside(x, y) && !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1));
      if (edge) cv.dot(x, y, cv.line, WHITE);
    }
  }
  if (prompts.box) {
    const [x0, y0, x1, y1] = prompts.box.map(Math.round) as [number, number, number, number];
    const t = 2 * cv.line;
    for (let x = x0; x <= x1; x++) {
      cv.dot(x, y0, t, BOX);
      cv.dot(x, y1, t, BOX);
    }
    for (let y = y0; y <= y1; y++) {
      cv.dot(x0, y, t, BOX);
      cv.dot(x1, y, t, BOX);
    }
  }
  const radius = Math.max(3, Math.min(w, h) / 45);
  for (const p of prompts.points) {
    cv.disc(p.x, p.y, radius + cv.line, WHITE);
    cv.disc(p.x, p.y, radius, p.label === 1 ? FOREGROUND : BACKGROUND);
  }
  const { encodeRgbPng } = await import('@tsam/node');
  return encodeRgbPng(cv.px, w, h);
}
