/**
 * Point grids and crop boxes (segment_anything/utils/amg.py `build_point_grid`,
 * `build_all_layer_point_grids`, `generate_crop_boxes`, `is_box_near_crop_edge`).
 * Crop boxes are `Box<ImagePx>` (XYXY) with exclusive `x1`/`y1`; grid points scaled to a crop and
 * the boxes of its masks are crop-local (`CropPx`).
 */
import type { Box, CropPx, ImagePx, Point } from '../coords.js';
import { cropLocalPoint, imageBox } from '../coords.js';
import { uncropBox } from '../transforms.js';
import type { PointGrid } from './params.js';

/** `np.linspace(start, stop, n)`: `i·step + start`, the last value exactly `stop`. */
function linspace(start: number, stop: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : i * step + start));
}

/** `build_point_grid`: n×n points in [0,1]², cell centres, row by row (x varies fastest). */
export function buildPointGrid(nPerSide: number): [x: number, y: number][] {
  const offset = 1 / (2 * nPerSide);
  const side = linspace(offset, 1 - offset, nPerSide);
  const points: [number, number][] = [];
  for (const y of side) for (const x of side) points.push([x, y]);
  return points;
}

/** `build_all_layer_point_grids`: layer i has `int(nPerSide / scalePerLayer^i)` points per side. */
export function buildAllLayerPointGrids(nPerSide: number, nLayers: number, scalePerLayer: number): [x: number, y: number][][] {
  const grids: [number, number][][] = [];
  for (let i = 0; i <= nLayers; i++) grids.push(buildPointGrid(Math.trunc(nPerSide / scalePerLayer ** i)));
  return grids;
}

/** A crop of the image and its layer (0 = the whole image). */
export interface CropBoxes {
  boxes: Box<ImagePx>[];
  layerIdxs: number[];
}

/**
 * `generate_crop_boxes(im_size=(h, w), n_layers, overlap_ratio)`: the whole image, then per layer
 * i (1-based) a 2^i × 2^i grid of overlapping crops, x-major order (all y for the first x, ...).
 */
export function generateCropBoxes(imSize: readonly [h: number, w: number], nLayers: number, overlapRatio: number): CropBoxes {
  const [imH, imW] = imSize;
  const shortSide = Math.min(imH, imW);
  const boxes: CropBoxes['boxes'] = [imageBox(0, 0, imW, imH)];
  const layerIdxs = [0];
  const cropLen = (origLen: number, nCrops: number, overlap: number): number =>
    Math.trunc(Math.ceil((overlap * (nCrops - 1) + origLen) / nCrops));
  for (let layer = 0; layer < nLayers; layer++) {
    const nCropsPerSide = 2 ** (layer + 1);
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / nCropsPerSide));
    const cropW = cropLen(imW, nCropsPerSide, overlap);
    const cropH = cropLen(imH, nCropsPerSide, overlap);
    const xs = Array.from({ length: nCropsPerSide }, (_, i) => Math.trunc((cropW - overlap) * i));
    const ys = Array.from({ length: nCropsPerSide }, (_, i) => Math.trunc((cropH - overlap) * i));
    for (const x0 of xs) {
      for (const y0 of ys) {
        boxes.push(imageBox(x0, y0, Math.min(x0 + cropW, imW), Math.min(y0 + cropH, imH)));
        layerIdxs.push(layer + 1);
      }
    }
  }
  return { boxes, layerIdxs };
}

/** Grid points (normalised) scaled to a crop of `w × h` pixels, in crop coordinates. */
export function scaleGrid(grid: PointGrid, w: number, h: number): Point<CropPx>[] {
  return grid.map(([x, y]) => cropLocalPoint(x * w, y * h));
}

/**
 * `is_box_near_crop_edge(box, crop_box, orig_box, atol=20)`: `box` is in the crop (uncropped here,
 * then float32 like the reference's tensors); true when some side is within `atol` of the crop's
 * side but not of the image's.
 */
export function isBoxNearCropEdge(box: Box<CropPx>, cropBox: Box<ImagePx>, origBox: Box<ImagePx>, atol = 20): boolean {
  const inImage = uncropBox(box, cropBox);
  for (let k = 0; k < 4; k++) {
    const v = Math.fround(inImage[k]!);
    const nearCrop = Math.abs(v - Math.fround(cropBox[k]!)) <= atol;
    const nearImage = Math.abs(v - Math.fround(origBox[k]!)) <= atol;
    if (nearCrop && !nearImage) return true;
  }
  return false;
}

/** `image[y0:y1, x0:x1, :]` of an `h × w × 3` RGB image (row-major HWC bytes). */
export function cropRgb(data: Uint8Array, width: number, box: Box<ImagePx>): { data: Uint8Array; width: number; height: number } {
  const [x0, y0, x1, y1] = box;
  const cw = x1 - x0;
  const ch = y1 - y0;
  if (x0 === 0 && cw === width && y0 === 0 && data.length === cw * ch * 3) return { data, width: cw, height: ch };
  const out = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) out.set(data.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x1) * 3), y * cw * 3);
  return { data: out, width: cw, height: ch };
}
