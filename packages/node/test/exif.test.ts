/**
 * EXIF orientation in `loadImage`: by default the decoded size and pixels are those of the image
 * turned upright by its orientation tag (as `cv2.imread` does); `exifRotate: false` keeps the
 * stored pixel order. The expected pixels are computed here by index arithmetic from the stored
 * pixels, independently of sharp's rotation.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '@tsam/core';
import { renderOverlay } from '@tsam/dataset';
import { loadImage } from '@tsam/node';

const W = 7;
const H = 4;

/** A W×H RGB image whose every pixel differs (so any wrong rotation or flip shows). */
function pattern(): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) px.set([x * 36, y * 80, (x * 13 + y * 51) % 256], (y * W + x) * 3);
  return px;
}

/** EXIF orientation → (upright width, height, source pixel of upright (x, y)) for a stored w×h image. */
function upright(o: number, w: number, h: number): { w: number; h: number; src: (x: number, y: number) => [number, number] } {
  switch (o) {
    case 1:
      return { w, h, src: (x, y) => [x, y] };
    case 2:
      return { w, h, src: (x, y) => [w - 1 - x, y] }; // mirrored
    case 3:
      return { w, h, src: (x, y) => [w - 1 - x, h - 1 - y] }; // 180°
    case 4:
      return { w, h, src: (x, y) => [x, h - 1 - y] }; // flipped
    case 5:
      return { w: h, h: w, src: (x, y) => [y, x] }; // transposed
    case 6:
      return { w: h, h: w, src: (x, y) => [y, h - 1 - x] }; // 90° clockwise to view
    case 7:
      return { w: h, h: w, src: (x, y) => [w - 1 - y, h - 1 - x] }; // transversed
    case 8:
      return { w: h, h: w, src: (x, y) => [w - 1 - y, x] }; // 90° counter-clockwise to view
    default:
      throw new Error(`orientation ${o}`);
  }
}

function turn(stored: RgbImage, o: number): RgbImage {
  const t = upright(o, stored.width, stored.height);
  const data = new Uint8Array(t.w * t.h * 3);
  for (let y = 0; y < t.h; y++)
    for (let x = 0; x < t.w; x++) {
      const [sx, sy] = t.src(x, y);
      data.set(stored.data.subarray((sy * stored.width + sx) * 3, (sy * stored.width + sx) * 3 + 3), (y * t.w + x) * 3);
    }
  return { data, width: t.w, height: t.h };
}

describe('loadImage applies EXIF orientation', () => {
  for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`orientation ${orientation}: JPEG decodes upright; exifRotate: false keeps the stored order`, async () => {
      const jpeg = await sharp(pattern(), { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 95 })
        .withMetadata({ orientation })
        .toBuffer();
      expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
      const stored = await loadImage(jpeg, { exifRotate: false });
      expect([stored.width, stored.height]).toEqual([W, H]);
      const expected = turn(stored, orientation);
      const got = await loadImage(jpeg);
      expect([got.width, got.height]).toEqual([expected.width, expected.height]);
      expect(Buffer.from(got.data).equals(Buffer.from(expected.data))).toBe(true);
      if (orientation !== 1) expect(Buffer.from(got.data).equals(Buffer.from(stored.data))).toBe(false);
    });
  }

  it('a file path decodes the same way as its bytes', async () => {
    const jpeg = await sharp(pattern(), { raw: { width: W, height: H, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tsam-exif-'));
    try {
      const path = join(dir, 'phone.jpg');
      writeFileSync(path, jpeg);
      const fromPath = await loadImage(path);
      expect([fromPath.width, fromPath.height]).toEqual([H, W]);
      expect(Buffer.from(fromPath.data).equals(Buffer.from((await loadImage(jpeg)).data))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the SA-1B overlay reads images the same way', () => {
  it('renderOverlay on a rotated JPEG draws on the upright pixels (the width/height tsam amg records)', async () => {
    const jpeg = await sharp(pattern(), { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const upright = await loadImage(jpeg);
    const record = { image: { image_id: 1, width: upright.width, height: upright.height, file_name: 'phone.jpg' }, annotations: [] };
    const png = await renderOverlay(record, { image: jpeg });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([H, W, 3]);
    expect(Buffer.from(data).equals(Buffer.from(upright.data))).toBe(true);
  });
});
