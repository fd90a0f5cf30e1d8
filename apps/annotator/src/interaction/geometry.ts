/**
 * Screen ↔ image coordinates. Canvases hold the image at its own resolution (one canvas pixel =
 * one `ImagePx`) and are scaled by CSS; the model and low-res spaces are core's (`modelToLowRes`).
 */
import { MODEL_INPUT_SIZE, applyCoords, imagePoint, type ImagePx, type ModelPx, type Point } from '@tsam/core';

/** Client (CSS px) → image px, through the element's on-screen box. */
export function clientToImage(clientX: number, clientY: number, el: Element, w: number, h: number): Point<ImagePx> {
  const r = el.getBoundingClientRect();
  return imagePoint(((clientX - r.left) / r.width) * w, ((clientY - r.top) / r.height) * h);
}

/** Image px → client (CSS px): where to click for a given image pixel. */
export function imageToClient(p: Point<ImagePx>, el: Element, w: number, h: number): { x: number; y: number } {
  const r = el.getBoundingClientRect();
  return { x: r.left + (p[0] / w) * r.width, y: r.top + (p[1] / h) * r.height };
}

/** CSS px per image px (for sizing markers that should look the same at any zoom). */
export function cssScale(el: Element, w: number): number {
  const r = el.getBoundingClientRect();
  return r.width > 0 ? r.width / w : 1;
}

/** Image px → the 1024 model input space (ResizeLongestSide). */
export function toModel(p: Point<ImagePx>, w: number, h: number): Point<ModelPx> {
  return applyCoords([p], h, w, MODEL_INPUT_SIZE)[0]!;
}

export function insideImage(p: Point<ImagePx>, w: number, h: number): boolean {
  return p[0] >= 0 && p[1] >= 0 && p[0] < w && p[1] < h;
}
