/** Decoding limits: an image over the pixel limit is refused with the limit and how to raise it; an empty one with the one wording. */
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SHARP_DEFAULT_MAX_PIXELS, loadImage } from '../src/index.js';

/** A valid 1-bit greyscale PNG declaring w×h: tiny on disk. */
function bigPng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const raw = Buffer.alloc((1 + Math.ceil(w / 8)) * h);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

describe('loadImage limits', () => {
  it("over sharp's default limit: the message gives the limit and the option that raises it", async () => {
    expect(SHARP_DEFAULT_MAX_PIXELS).toBe(268402689);
    await expect(loadImage(bigPng(20000, 20000), { label: 'huge.png' })).rejects.toThrow(
      "cannot decode image huge.png: it is over the limit of 268402689 pixels (268.4 MP); raise it with loadImage's maxPixels option (tsam serve: --max-pixels)",
    );
  });

  it('over a given maxPixels: the same message with that limit; under it the image decodes', async () => {
    const png = bigPng(40, 30);
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
