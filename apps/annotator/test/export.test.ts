/** The export formats, checked in Node: COCO (RLE / polygons), SA-1B, PNG and ZIP. */
import { decompressRle, maskToRle, rleToMask, type CompressedRle } from '@tsam/core';
import { loadImage } from '@tsam/node';
import { describe, expect, it } from 'vitest';
import { crc32, maskToPng, zip } from '../src/export/binary.js';
import { toCoco, toSa1b } from '../src/export/formats.js';
import type { MaskEntry } from '../src/state/types.js';
import { unzipStored } from './helpers/files.js';

const W = 7;
const H = 5;
const image = { id: null, name: 'pic.jpg', width: W, height: H };
function entry(id: number, label: string, cells: [number, number][]): MaskEntry {
  const mask = new Uint8Array(W * H);
  for (const [x, y] of cells) mask[y * W + x] = 1;
  return {
    id,
    label,
    visible: true,
    color: [0, 0, 0],
    mask,
    predictedIou: 0.9,
    stabilityScore: null,
    pointCoords: [[1, 1]],
    clicks: 4,
    seconds: 12.3456,
    source: 'interactive',
  };
}
// A 3×3 ring (a hole in the middle) and a single pixel.
const ring = entry(1, 'ring', [
  [1, 1],
  [2, 1],
  [3, 1],
  [1, 2],
  [3, 2],
  [1, 3],
  [2, 3],
  [3, 3],
]);
const dot = entry(2, 'dot', [[6, 0]]);

describe('COCO export', () => {
  it('RLE: pycocotools strings, area, toBbox, categories from labels, effort fields', () => {
    const coco = toCoco(image, [ring, dot, { ...dot, id: 3 }], { polygons: false }) as {
      annotations: Record<string, unknown>[];
      categories: unknown[];
      images: unknown[];
    };
    expect(coco.images).toEqual([{ id: 1, file_name: 'pic.jpg', width: W, height: H }]);
    expect(coco.categories).toEqual([
      { id: 1, name: 'ring' },
      { id: 2, name: 'dot' },
    ]);
    const [a, b, c] = coco.annotations;
    expect(a).toMatchObject({
      id: 1,
      image_id: 1,
      category_id: 1,
      area: 8,
      bbox: [1, 1, 3, 3],
      iscrowd: 0,
      tsam_clicks: 4,
      tsam_seconds: 12.346,
      tsam_label: 'ring',
    });
    expect(rleToMask(decompressRle(a!.segmentation as CompressedRle))).toEqual(ring.mask);
    expect(b).toMatchObject({ category_id: 2, area: 1, bbox: [6, 0, 1, 1] });
    expect(c!.category_id).toBe(2);
  });

  it('polygons: outer boundary on the pixel-corner grid, polygon area and extent', () => {
    const coco = toCoco(image, [ring], { polygons: true }) as { annotations: Record<string, unknown>[] };
    const [a] = coco.annotations;
    expect(a!.segmentation).toEqual([[1, 1, 4, 1, 4, 4, 1, 4]]);
    expect(a).toMatchObject({ area: 9, bbox: [1, 1, 3, 3] });
  });
});

describe('SA-1B export', () => {
  it('uses SAM’s box convention and the whole image as crop box', () => {
    const rec = toSa1b(image, [ring]) as { image: unknown; annotations: Record<string, unknown>[] };
    expect(rec.image).toEqual({ image_id: 1, width: W, height: H, file_name: 'pic.jpg' });
    const [a] = rec.annotations;
    expect(a).toMatchObject({
      id: 1,
      bbox: [1, 1, 2, 2],
      area: 8,
      predicted_iou: 0.9,
      point_coords: [[1, 1]],
      crop_box: [0, 0, W, H],
      tsam_clicks: 4,
    });
    expect(a!.segmentation).toEqual({ size: [H, W], counts: expect.any(String) });
    expect(decompressRle(a!.segmentation as CompressedRle).counts).toEqual(maskToRle(ring.mask, H, W).counts);
  });
});

describe('PNG and ZIP', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('a mask PNG decodes (with sharp) to the mask', async () => {
    const png = await maskToPng(ring.mask, W, H);
    const img = await loadImage(png);
    expect([img.width, img.height]).toEqual([W, H]);
    const back = Uint8Array.from({ length: W * H }, (_, i) => (img.data[i * 3]! > 127 ? 1 : 0));
    expect(back).toEqual(ring.mask);
  });

  it('zip entries read back', () => {
    const z = zip([
      { name: 'a.png', data: Uint8Array.of(1, 2, 3) },
      { name: 'b/ü.txt', data: new Uint8Array(0) },
    ]);
    expect(unzipStored(z).map((e) => [e.name, Array.from(e.data)])).toEqual([
      ['a.png', [1, 2, 3]],
      ['b/ü.txt', []],
    ]);
    expect(new DataView(z.buffer).getUint32(z.length - 22, true)).toBe(0x06054b50);
  });
});
