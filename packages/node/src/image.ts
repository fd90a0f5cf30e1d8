/**
 * Image decoding for Node: any format sharp reads → RGB bytes (alpha dropped, grey expanded).
 * EXIF orientation is applied by default, as `cv2.imread` does (amg.py and SAM's notebooks read
 * with it), so a phone JPEG comes out upright.
 */
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

export interface DecodeOptions {
  /**
   * Apply the EXIF orientation tag (default true, like `cv2.imread`'s IMREAD_COLOR). false keeps
   * the stored pixel order (what Pillow's `Image.open` gives).
   */
  exifRotate?: boolean;
  /** Refuse images over this many pixels before decoding them (sharp's limitInputPixels; default: sharp's 268 MP). */
  maxPixels?: number;
  /** How errors name the image (default: the path, or "N-byte buffer"). */
  label?: string;
}

/** sharp's own limitInputPixels default (0x3FFF × 0x3FFF), which applies when no maxPixels is given. */
export const SHARP_DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/** The one wording for an empty image file or upload, wherever it is read. */
export const emptyImageMessage = (label: string): string => `cannot decode image ${label}: it is empty (0 bytes)`;

/** Decodes to row-major RGB (H×W×3 bytes); `width`/`height` are after the EXIF rotation. */
export async function loadImage(src: ImageSource, opts: DecodeOptions = {}): Promise<RgbImage> {
  if (isRgb(src)) {
    if (src.data.length !== src.width * src.height * 3) {
      throw new ImageError(
        `raw RGB image: expected ${src.width}×${src.height}×3 = ${src.width * src.height * 3} bytes, got ${src.data.length}`,
      );
    }
    return src;
  }
  const label = opts.label ?? (typeof src === 'string' ? src : `${src.length}-byte buffer`);
  let bytes: Uint8Array;
  try {
    bytes = typeof src === 'string' ? await readFile(src) : src;
  } catch (e) {
    throw new ImageError(`cannot read image ${label}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new ImageError(emptyImageMessage(label));
  try {
    const input = sharp(bytes, opts.maxPixels !== undefined ? { limitInputPixels: opts.maxPixels } : {});
    // `.rotate()` without an angle applies (and drops) the EXIF orientation.
    const img = opts.exifRotate === false ? input : input.rotate();
    const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    const message = (e as Error).message;
    if (/exceeds pixel limit/.test(message)) {
      const limit = opts.maxPixels ?? SHARP_DEFAULT_MAX_PIXELS;
      throw new ImageError(
        `cannot decode image ${label}: it is over the limit of ${limit} pixels (${(limit / 1e6).toFixed(1)} MP); ` +
          "raise it with loadImage's maxPixels option (tsam serve: --max-pixels)",
      );
    }
    throw new ImageError(`cannot decode image ${label}: ${message}`);
  }
}
