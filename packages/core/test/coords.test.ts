import { describe, expect, it } from 'vitest';
import type { ImagePx, ModelPx, Point } from '../src/index.js';
import { LOW_RES_SIZE, MODEL_INPUT_SIZE, applyCoords, imageBox, imagePoint, lowResPoint, modelPoint } from '../src/index.js';

describe('coordinate spaces', () => {
  it('constructors produce plain [x, y] / XYXY tuples', () => {
    expect([...imagePoint(1, 2)]).toEqual([1, 2]);
    expect([...modelPoint(3, 4)]).toEqual([3, 4]);
    expect([...lowResPoint(5, 6)]).toEqual([5, 6]);
    expect([...imageBox(1, 2, 3, 4)]).toEqual([1, 2, 3, 4]);
    expect([MODEL_INPUT_SIZE, LOW_RES_SIZE]).toEqual([1024, 256]);
  });
  it('brands keep spaces apart at compile time', () => {
    const p: Point<ImagePx> = imagePoint(10, 10);
    const m: Point<ModelPx>[] = applyCoords([p], 100, 100);
    // @ts-expect-error a model-space point is not an image-space point
    const wrong: Point<ImagePx> = m[0] as Point<ModelPx>;
    expect(wrong).toBeDefined();
    expect(m[0]?.[0]).toBeCloseTo(102.4);
  });
});
