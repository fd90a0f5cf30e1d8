/** Image decoding for Node: any format sharp reads → RGB bytes (alpha dropped, grey expanded). */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from '@tsam/core';

export class ImageError extends Error {
  override name = 'ImageError';
}

/** A path, encoded bytes (PNG/JPEG/WebP/…), or already-decoded RGB. */
export type ImageSource = string | Uint8Array | RgbImage;

function isRgb(x: ImageSource): x is RgbImage {
  return typeof x === 'object' && !(x instanceof Uint8Array) && 'width' in x;
}

export async function loadImage(src: ImageSource): Promise<RgbImage> {
  if (isRgb(src)) {
    if (src.data.length !== src.width * src.height * 3) {
      throw new ImageError(
        `raw RGB image: expected ${src.width}×${src.height}×3 = ${src.width * src.height * 3} bytes, got ${src.data.length}`,
      );
    }
    return src;
  }
  const label = typeof src === 'string' ? src : `${src.length}-byte buffer`;
  let bytes: Uint8Array;
  try {
    bytes = typeof src === 'string' ? await readFile(src) : src;
  } catch (e) {
    throw new ImageError(`cannot read image ${label}: ${(e as Error).message}`);
  }
  try {
    // No EXIF auto-rotation: the reference (Pillow/OpenCV) uses the stored pixel order too.
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new ImageError(`cannot decode image ${label}: ${(e as Error).message}`);
  }
}
