/**
 * Image decoding in the browser: any format the browser reads → RGB bytes (alpha dropped, EXIF orientation ignored), the
 * same layout as @tsam/node's `loadImage`. No colour-space conversion and no premultiplication,
 * so a PNG decodes to its stored values as it does with sharp.
 */
import type { RgbImage } from '@tsam/core';

/** RGBA (canvas ImageData layout) → RGB. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new RangeError(`rgbaToRgb: expected ${n * 4} bytes, got ${rgba.length}`);
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    data[i * 3] = rgba[j]!;
    data[i * 3 + 1] = rgba[j + 1]!;
    data[i * 3 + 2] = rgba[j + 2]!;
  }
  return { data, width, height };
}

/** Decodes an encoded image (PNG/JPEG/WebP/…) with createImageBitmap + OffscreenCanvas. */
export async function decodeImage(blob: Blob): Promise<RgbImage> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'none' });
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('decodeImage: no 2d context');
    ctx.drawImage(bitmap, 0, 0);
    return rgbaToRgb(ctx.getImageData(0, 0, width, height).data, width, height);
  } finally {
    bitmap.close();
  }
}
