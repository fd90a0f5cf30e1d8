import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { renderOverlay } from '../src/index.js';
import { annotation, maskOf, record, square } from './helpers.js';

const raw = async (png: Buffer) => sharp(png).raw().toBuffer({ resolveWithObject: true });

describe('renderOverlay', () => {
  const rec = record(1, 40, 30, [
    annotation(1, maskOf(30, 40, square(5, 5, 20)), 30, 40),
    annotation(2, maskOf(30, 40, square(10, 10, 4)), 30, 40),
  ]);

  it('draws on grey without an image: outline in full colour, fill blended, background untouched', async () => {
    const { data, info } = await raw(await renderOverlay(rec, { alpha: 0.5 }));
    expect([info.width, info.height, info.channels]).toEqual([40, 30, 3]);
    const px = (x: number, y: number) => [...data.subarray(3 * (y * 40 + x), 3 * (y * 40 + x) + 3)];
    expect(px(0, 0)).toEqual([128, 128, 128]);
    const edge = px(5, 5); // corner of the big square: outline
    const inside = px(20, 20); // inside the big square only: 50 % blend with grey
    for (let c = 0; c < 3; c++) expect(inside[c]).toBe(Math.round(128 * 0.5 + edge[c]! * 0.5));
    expect(px(12, 12)).not.toEqual(inside); // the small square is drawn on top in another colour
  });

  it('uses the image when given (resized to the record size) and is deterministic per seed', async () => {
    const img = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .png()
      .toBuffer();
    const a = await renderOverlay(rec, { image: img, seed: 3 });
    const { data } = await raw(a);
    expect([...data.subarray(0, 3)]).toEqual([0, 0, 255]);
    expect((await renderOverlay(rec, { image: img, seed: 3 })).equals(a)).toBe(true);
    expect((await renderOverlay(rec, { image: img, seed: 4 })).equals(a)).toBe(false);
  });

  it('draws outlines `outline` pixels wide and skips masks whose RLE size is not the image size', async () => {
    const one = record(1, 40, 30, [annotation(1, maskOf(30, 40, square(10, 10, 10)), 30, 40)]);
    const { data } = await raw(await renderOverlay(one, { outline: 3, alpha: 0 }));
    const px = (x: number, y: number) => [...data.subarray(3 * (y * 40 + x), 3 * (y * 40 + x) + 3)];
    const outline = px(10, 15);
    expect(outline).not.toEqual([128, 128, 128]);
    expect(px(9, 15)).toEqual(outline); // one pixel outward…
    expect(px(11, 15)).toEqual(outline); // …and one inward
    expect(px(8, 15)).toEqual([128, 128, 128]);
    expect(px(15, 15)).toEqual([128, 128, 128]); // alpha 0: the fill leaves the picture alone
    const wrong = record(1, 40, 30, [annotation(1, maskOf(40, 30, square(1, 1, 5)), 40, 30)]);
    const { data: d2 } = await raw(await renderOverlay(wrong));
    expect(d2.every((v) => v === 128)).toBe(true);
  });
});
