/** Decoding limits: an image over the pixel limit is refused with the limit and how to raise it; an empty one with the one wording. */
import { describe, expect, it } from 'vitest';
import { SHARP_DEFAULT_MAX_PIXELS, loadImage } from '../src/index.js';
import { blackPng } from '../../../testing/png.js';

describe('loadImage limits', () => {
  it("over sharp's default limit: the message gives the limit and the option that raises it", async () => {
    expect(SHARP_DEFAULT_MAX_PIXELS).toBe(268402689);
    await expect(loadImage(blackPng(20000, 20000), { label: 'huge.png' })).rejects.toThrow(
      "cannot decode image huge.png: it is over the limit of 268402689 pixels (268.4 MP); raise it with loadImage's maxPixels option (tsam serve: --max-pixels)",
    );
  });

  it('over a given maxPixels: the same message with that limit; under it the image decodes', async () => {
    const png = blackPng(40, 30);
    await expect(loadImage(png, { maxPixels: 1000 })).rejects.toThrow(/over the limit of 1000 pixels \(0\.0 MP\)/);
    const img = await loadImage(png, { maxPixels: 1200 });
    expect([img.width, img.height, img.data.length]).toEqual([40, 30, 40 * 30 * 3]);
  });

  it('an empty image: one wording', async () => {
    await expect(loadImage(new Uint8Array(0), { label: 'empty.png' })).rejects.toThrow(
      'cannot decode image empty.png: it is empty (0 bytes)',
    );
  });
});
