/** Test helpers: temp folders, tiny masks → SA-1B annotations, and hand-made records. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressRle, maskToRle } from '@tsam/core';
import { boxToXywh, rleGeometry, type Sa1bAnnotation, type Sa1bRecord } from '../src/index.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tsam-dataset-${prefix}-`));
}

/** Row-major `h × w` mask from a predicate. */
export function maskOf(h: number, w: number, on: (x: number, y: number) => boolean): Uint8Array {
  const m = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = on(x, y) ? 1 : 0;
  return m;
}

/** A consistent SA-1B annotation (compressed RLE, SAM-convention bbox, exact area). */
export function annotation(id: number, mask: Uint8Array, h: number, w: number): Sa1bAnnotation {
  const rle = maskToRle(mask, h, w);
  const g = rleGeometry(rle.counts, h, w);
  return {
    bbox: boxToXywh(g.box, g.area, 'sam'),
    area: g.area,
    segmentation: compressRle(rle),
    predicted_iou: 0.9,
    point_coords: [[g.centroid[0], g.centroid[1]]],
    crop_box: [0, 0, w, h],
    id,
    stability_score: 0.95,
  };
}

/** `s × s` square at (x, y). */
export const square = (x0: number, y0: number, s: number) => (x: number, y: number) => x >= x0 && x < x0 + s && y >= y0 && y < y0 + s;

/** `s × s` square at (x0, y0) minus its top-right `k × k` corner: an L. */
export const lShape = (x0: number, y0: number, s: number, k: number) => (x: number, y: number) =>
  square(x0, y0, s)(x, y) && !(x >= x0 + s - k && y < y0 + k);

export function record(imageId: number, w: number, h: number, anns: Sa1bAnnotation[]): Sa1bRecord {
  return { image: { image_id: imageId, width: w, height: h, file_name: `sa_${imageId}.jpg` }, annotations: anns };
}
