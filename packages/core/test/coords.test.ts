import { describe, expect, it } from 'vitest';
import type { Box, CropPx, ImagePx, LowResPx, MaskCandidate, ModelPx, Point } from '../src/index.js';
import {
  LOW_RES_PLANE,
  LOW_RES_SIZE,
  MODEL_INPUT_SIZE,
  applyBoxes,
  applyCoords,
  boxArea,
  cropLocalBox,
  cropLocalPoint,
  imageBox,
  imagePoint,
  isBoxNearCropEdge,
  lowResPlane,
  lowResPoint,
  maskToBox,
  modelBox,
  modelPoint,
  modelToLowRes,
  toRecord,
  uncropBox,
  uncropPoint,
} from '../src/index.js';

describe('coordinate spaces', () => {
  it('constructors produce plain [x, y] / XYXY tuples', () => {
    expect([...imagePoint(1, 2)]).toEqual([1, 2]);
    expect([...cropLocalPoint(7, 8)]).toEqual([7, 8]);
    expect([...modelPoint(3, 4)]).toEqual([3, 4]);
    expect([...lowResPoint(5, 6)]).toEqual([5, 6]);
    expect([...imageBox(1, 2, 3, 4)]).toEqual([1, 2, 3, 4]);
    expect([...cropLocalBox(5, 6, 7, 8)]).toEqual([5, 6, 7, 8]);
    expect([MODEL_INPUT_SIZE, LOW_RES_SIZE, LOW_RES_PLANE]).toEqual([1024, 256, 65536]);
  });

  it('uncrop adds the crop offset; model → low-res divides by 4', () => {
    const crop = imageBox(100, 40, 300, 200);
    expect([...uncropPoint(cropLocalPoint(5, 7.5), crop)]).toEqual([105, 47.5]);
    expect([...uncropBox(cropLocalBox(0, 1, 199, 159), crop)]).toEqual([100, 41, 299, 199]);
    expect([...modelToLowRes(modelPoint(102.4, 1023))]).toEqual([25.6, 255.75]);
    // image → model → low-res of the image's far corner lands on the far corner of the resized part
    const [m] = applyCoords([imagePoint(640, 480)], 480, 640);
    expect([...modelToLowRes(m!)]).toEqual([256, 192]);
  });

  it('lowResPlane is a view of plane i of a stack', () => {
    const stack = Float32Array.from({ length: 3 * LOW_RES_PLANE }, (_, i) => i);
    const plane = lowResPlane(stack, 2);
    expect(plane).toHaveLength(LOW_RES_PLANE);
    expect([plane[0], plane[LOW_RES_PLANE - 1]]).toEqual([2 * LOW_RES_PLANE, 3 * LOW_RES_PLANE - 1]);
    plane[0] = -1;
    expect(stack[2 * LOW_RES_PLANE]).toBe(-1); // a view, not a copy
  });

  it('brands keep spaces apart at compile time', () => {
    const p: Point<ImagePx> = imagePoint(10, 10);
    const m: Point<ModelPx>[] = applyCoords([p], 100, 100);
    // @ts-expect-error a model-space point is not an image-space point
    const wrong: Point<ImagePx> = m[0] as Point<ModelPx>;
    expect(wrong).toBeDefined();
    expect(m[0]?.[0]).toBeCloseTo(102.4);
  });

  // Each marked line below must fail to compile: `npx tsc -p tsconfig.test.json` reports an unused
  // expect-error directive if one of them starts compiling. At run time the brands are gone, so the
  // mistaken calls still run on the plain tuples (asserted last).
  it('mixing image, crop, model and low-res spaces fails to compile', () => {
    const crop = imageBox(100, 40, 300, 200);
    const inCrop = cropLocalPoint(5, 7);
    const inCropBox = cropLocalBox(0, 0, 10, 10);

    // @ts-expect-error a crop-local point is not an image point (AMG must uncrop it first)
    const cropAsImage: Point<ImagePx> = inCrop;
    // @ts-expect-error an image point is not a crop-local point
    const imageAsCrop: Point<CropPx> = imagePoint(5, 7);
    // @ts-expect-error a crop-local box is not an image box
    const boxAsImage: Box<ImagePx> = inCropBox;
    // @ts-expect-error uncropPoint takes a crop-local point, not an image point
    const twice = uncropPoint(imagePoint(5, 7), crop);
    // @ts-expect-error the crop itself is a box in image pixels, not a crop-local one
    const badCrop = uncropBox(inCropBox, cropLocalBox(100, 40, 300, 200));
    // @ts-expect-error isBoxNearCropEdge wants the mask box in the crop, not in the image
    const near = isBoxNearCropEdge(crop, crop, imageBox(0, 0, 400, 300));
    // @ts-expect-error model points are not prompts: applyCoords takes image or crop pixels
    const doubled = applyCoords([modelPoint(1, 2)], 100, 100);
    // @ts-expect-error applyBoxes neither
    const doubledBox = applyBoxes([modelBox(0, 0, 1, 1)], 100, 100);
    // @ts-expect-error modelToLowRes takes a model point, not an image point
    const lowFromImage: Point<LowResPx> = modelToLowRes(imagePoint(4, 8));
    // @ts-expect-error an unbranded tuple is not a Box: masks/boxes.ts has one box type
    const area = boxArea([0, 0, 2, 3]);
    // @ts-expect-error maskToBox's box is in the mask's space (image pixels unless asked)
    const maskBoxInCrop: Box<CropPx> = maskToBox(Uint8Array.of(0, 1, 0, 0), 2, 2);
    const candidate: MaskCandidate<CropPx> = {
      rle: { size: [2, 2], counts: [2, 1, 1] },
      box: cropLocalBox(0, 0, 0, 0),
      iouPrediction: 0.9,
      point: inCrop,
      stabilityScore: 0.95,
      cropBox: crop,
    };
    // @ts-expect-error a candidate still in its crop's frame cannot become a record
    const record = toRecord(candidate, 'uncompressed_rle');

    expect([...cropAsImage, ...imageAsCrop, ...boxAsImage]).toEqual([5, 7, 5, 7, 0, 0, 10, 10]);
    expect([...twice, ...badCrop, near]).toEqual([105, 47, 100, 40, 110, 50, false]);
    expect([doubled[0]?.[0], doubledBox[0]?.[2], area, ...lowFromImage]).toEqual([10.24, 10.24, 6, 1, 2]);
    expect([...maskBoxInCrop, ...record.point_coords[0]]).toEqual([1, 0, 1, 0, 5, 7]);
  });
});
