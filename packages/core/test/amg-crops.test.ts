/** Point grids, crop boxes, crop-edge filter and parameter handling, against values from the reference code. */
import { describe, expect, it } from 'vitest';
import {
  AMG_DEFAULTS,
  amgParamsFromReference,
  buildAllLayerPointGrids,
  buildPointGrid,
  cropLocalBox,
  cropRgb,
  generateCropBoxes,
  imageBox,
  isBoxNearCropEdge,
  resolveAmgParams,
} from '../src/index.js';

describe('point grids (np.linspace semantics)', () => {
  it('matches numpy values', () => {
    expect(buildPointGrid(1)).toEqual([[0.5, 0.5]]);
    const side7 = [
      0.07142857142857142, 0.2142857142857143, 0.3571428571428572, 0.5, 0.6428571428571429, 0.7857142857142858, 0.9285714285714286,
    ];
    const g7 = buildPointGrid(7);
    expect(g7.slice(0, 7).map(([x]) => x)).toEqual(side7);
    expect(g7.filter((_, i) => i % 7 === 0).map(([, y]) => y)).toEqual(side7);
    expect(buildPointGrid(3).map(([x]) => x)).toEqual([
      0.16666666666666666, 0.5, 0.8333333333333334, 0.16666666666666666, 0.5, 0.8333333333333334, 0.16666666666666666, 0.5,
      0.8333333333333334,
    ]);
    expect(buildPointGrid(32)[31]).toEqual([0.984375, 0.015625]); // x varies fastest
  });
  it('layer grids shrink by the downscale factor (int division)', () => {
    expect(buildAllLayerPointGrids(32, 2, 2).map((g) => g.length)).toEqual([1024, 256, 64]);
    expect(buildAllLayerPointGrids(5, 1, 2).map((g) => g.length)).toEqual([25, 4]);
  });
});

describe('generateCropBoxes', () => {
  it('matches the reference for 1800×1200, 2 layers', () => {
    const { boxes, layerIdxs } = generateCropBoxes([1200, 1800], 2, 512 / 1500);
    expect(boxes.slice(0, 6)).toEqual([
      [0, 0, 1800, 1200],
      [0, 0, 1105, 805],
      [0, 396, 1105, 1200],
      [696, 0, 1800, 805],
      [696, 396, 1800, 1200],
      [0, 0, 603, 453],
    ]);
    expect(boxes.at(-1)).toEqual([1197, 747, 1800, 1200]);
    expect(boxes).toHaveLength(21);
    expect(layerIdxs).toEqual([0, 1, 1, 1, 1, ...new Array(16).fill(2)]);
  });
  it('matches the reference for the fixture sizes', () => {
    expect(generateCropBoxes([61, 97], 1, 512 / 1500).boxes).toEqual([
      [0, 0, 97, 61],
      [0, 0, 59, 41],
      [0, 21, 59, 61],
      [39, 0, 97, 41],
      [39, 21, 97, 61],
    ]);
    expect(generateCropBoxes([800, 480], 1, 512 / 1500).boxes).toEqual([
      [0, 0, 480, 800],
      [0, 0, 322, 482],
      [0, 319, 322, 800],
      [159, 0, 480, 482],
      [159, 319, 480, 800],
    ]);
    expect(generateCropBoxes([800, 480], 0, 0.5)).toEqual({ boxes: [[0, 0, 480, 800]], layerIdxs: [0] });
  });
});

describe('isBoxNearCropEdge', () => {
  const crop = imageBox(39, 21, 97, 61);
  const image = imageBox(0, 0, 97, 61);
  it('flags boxes within 20 px of an inner crop edge only', () => {
    expect(isBoxNearCropEdge(cropLocalBox(30, 30, 40, 35), crop, image)).toBe(false); // (69, 51, 79, 56): right/bottom are image edges? no, but not near crop x0/y0
    expect(isBoxNearCropEdge(cropLocalBox(0, 30, 10, 35), crop, image)).toBe(true); // x0 = 39 = crop left, not image left
    expect(isBoxNearCropEdge(cropLocalBox(20, 30, 30, 35), crop, image)).toBe(true); // x0 = 59: |59 − 39| = 20 ≤ atol
    expect(isBoxNearCropEdge(cropLocalBox(21, 30, 30, 35), crop, image)).toBe(false); // 21 px away
    expect(isBoxNearCropEdge(cropLocalBox(30, 30, 57, 39), crop, image)).toBe(false); // touches right/bottom: image edges too
    expect(isBoxNearCropEdge(cropLocalBox(0, 0, 10, 10), imageBox(0, 0, 97, 61), image)).toBe(false); // whole-image crop
  });
});

describe('cropRgb', () => {
  it('copies the region row by row', () => {
    const img = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i); // 4 wide, 3 tall
    expect(cropRgb(img, 4, imageBox(1, 1, 3, 3))).toEqual({
      data: Uint8Array.from([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]),
      width: 2,
      height: 2,
    });
    expect(cropRgb(img, 4, imageBox(0, 0, 4, 3)).data).toBe(img);
  });
});

describe('AMG parameters', () => {
  it('has the reference defaults', () => {
    expect(resolveAmgParams()).toEqual({
      pointsPerSide: 32,
      pointsPerBatch: 64,
      predIouThresh: 0.88,
      stabilityScoreThresh: 0.95,
      stabilityScoreOffset: 1.0,
      boxNmsThresh: 0.7,
      cropNLayers: 0,
      cropNmsThresh: 0.7,
      cropOverlapRatio: 512 / 1500,
      cropNPointsDownscaleFactor: 1,
      pointGrids: null,
      minMaskRegionArea: 0,
      outputMode: 'binary_mask',
    });
    expect(Object.isFrozen(AMG_DEFAULTS)).toBe(true);
  });
  it('point grids replace pointsPerSide; both or neither is an error', () => {
    expect(resolveAmgParams({ pointGrids: [[[0.5, 0.5]]] }).pointsPerSide).toBeNull();
    expect(() => resolveAmgParams({ pointGrids: [[[0.5, 0.5]]], pointsPerSide: 4 })).toThrow(/exactly one/);
    expect(() => resolveAmgParams({ pointsPerSide: null })).toThrow(/exactly one/);
    expect(() => resolveAmgParams({ pointGrids: [[[0.5, 0.5]]], cropNLayers: 1 })).toThrow(/one grid per crop layer/);
  });
  it('validates', () => {
    expect(() => resolveAmgParams({ pointsPerBatch: 0 })).toThrow(/pointsPerBatch/);
    expect(() => resolveAmgParams({ outputMode: 'png' as never })).toThrow(/outputMode/);
    expect(() => resolveAmgParams({ pointsPerSide: 2.5 })).toThrow(/pointsPerSide/);
  });
  it('reads the reference keyword names', () => {
    expect(amgParamsFromReference({ points_per_side: 4, crop_n_layers: 1, min_mask_region_area: 8, output_mode: 'coco_rle' })).toEqual({
      pointsPerSide: 4,
      cropNLayers: 1,
      minMaskRegionArea: 8,
      outputMode: 'coco_rle',
    });
    expect(() => amgParamsFromReference({ points_per_sides: 4 })).toThrow(/unknown/);
  });
});
