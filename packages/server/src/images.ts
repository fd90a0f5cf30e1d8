/**
 * The server's images: originals stay on disk (uploads are written to the images directory under
 * their content hash; `--images` files are used where they are), only their size and name are
 * kept in memory. Headers are checked before anything is decoded, so a decompression bomb (a tiny
 * file declaring a huge size) is rejected without decoding it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { RgbImage } from '@tsam/core';
import { ImageError, emptyImageMessage, loadImage } from '@tsam/node';
import { HttpError, notFound } from './errors.js';

/** What the API shows of an image. */
export interface ImageInfo {
  id: string;
  width: number;
  height: number;
  name: string;
}

interface ImageRecord extends ImageInfo {
  path: string;
  contentType: string;
  /** Written by the server (deleted with the image), not a user's file from `--images`. */
  owned: boolean;
}

const FORMATS: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heif: 'image/heif',
};
const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

/** The content hash that names an image: 32 hex digits of its SHA-256. */
export const hashId = (hex: string): string => hex.slice(0, 32);

function cleanName(name: string | undefined, fallback: string): string {
  const s = [...(name ?? '')]
    .filter((c) => c >= ' ' && c !== '\u007f')
    .join('')
    .trim();
  return s.length > 0 ? s.slice(0, 200) : fallback;
}

export class ImageStore {
  private readonly images = new Map<string, ImageRecord>();

  constructor(
    /** Where uploaded originals are written. */
    readonly dir: string,
    /** The largest accepted width × height. */
    readonly maxPixels: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  list(): ImageInfo[] {
    return [...this.images.values()].map(({ id, width, height, name }) => ({ id, width, height, name }));
  }

  has(id: string): boolean {
    return this.images.has(id);
  }

  /** The record of `id`, or a 404. */
  get(id: string): ImageRecord {
    const rec = this.images.get(id);
    if (!rec) throw notFound(`unknown image id ${JSON.stringify(id)}; upload it with POST /api/images`);
    return rec;
  }

  /** Registers uploaded bytes (after a header check); the same bytes give the same id. */
  async add(bytes: Uint8Array, name?: string): Promise<{ image: ImageInfo; created: boolean }> {
    if (bytes.length === 0) throw new HttpError(400, `${emptyImageMessage('upload')}: send the image bytes as the request body`);
    const id = hashId(createHash('sha256').update(bytes).digest('hex'));
    const known = this.images.get(id);
    if (known) return { image: this.info(known), created: false };
    const { width, height, format } = await this.probe(bytes, `${bytes.length}-byte upload`);
    const path = join(this.dir, id);
    writeFileSync(path, bytes);
    const rec: ImageRecord = {
      id,
      width,
      height,
      name: cleanName(name, `${id.slice(0, 12)}.${format}`),
      path,
      contentType: FORMATS[format]!,
      owned: true,
    };
    this.images.set(id, rec);
    return { image: this.info(rec), created: true };
  }

  /** Registers a file in place (for `--images`); nothing is decoded yet. */
  async addFile(path: string): Promise<ImageInfo> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const id = hashId(hash.digest('hex'));
    const known = this.images.get(id);
    if (known) return this.info(known);
    const { width, height, format } = await this.probe(path, basename(path));
    const rec: ImageRecord = { id, width, height, name: basename(path), path: resolve(path), contentType: FORMATS[format]!, owned: false };
    this.images.set(id, rec);
    return this.info(rec);
  }

  /** Registers every image file directly in `dir`; returns the ones that failed, with why. */
  async addDir(dir: string): Promise<{ added: ImageInfo[]; failed: { file: string; reason: string }[] }> {
    const added: ImageInfo[] = [];
    const failed: { file: string; reason: string }[] = [];
    for (const f of readdirSync(dir).sort()) {
      const path = join(dir, f);
      if (!EXTENSIONS.has(extname(f).toLowerCase()) || !statSync(path).isFile()) continue;
      try {
        added.push(await this.addFile(path));
      } catch (e) {
        failed.push({ file: f, reason: (e as Error).message });
      }
    }
    return { added, failed };
  }

  /** Decodes an image to RGB: @tsam/node's loadImage (EXIF orientation applied), with the pixel limit. */
  async decode(id: string): Promise<RgbImage> {
    const rec = this.get(id);
    return loadImage(rec.path, { maxPixels: this.maxPixels, label: rec.name });
  }

  remove(id: string): void {
    const rec = this.get(id);
    this.images.delete(id);
    if (rec.owned) rmSync(rec.path, { force: true });
  }

  /** Removes the originals this store wrote. */
  clear(): void {
    for (const rec of this.images.values()) if (rec.owned) rmSync(rec.path, { force: true });
    this.images.clear();
  }

  /** Reads only the header: format and size, checked against the limits. */
  private async probe(src: Uint8Array | string, label: string): Promise<{ width: number; height: number; format: string }> {
    let meta: Metadata;
    try {
      meta = await sharp(src, { limitInputPixels: false }).metadata();
    } catch (e) {
      throw new ImageError(`cannot read image ${label}: ${(e as Error).message}`);
    }
    const format = meta.format as string;
    if (!(format in FORMATS))
      throw new ImageError(`unsupported image format "${format}" (${label}); send JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF`);
    // EXIF orientations 5–8 turn the image a quarter: decode() returns it upright, so the size does too.
    const quarterTurn = (meta.orientation ?? 1) >= 5;
    const storedW = meta.width ?? 0;
    const storedH = meta.pageHeight ?? meta.height ?? 0;
    const [width, height] = quarterTurn ? [storedH, storedW] : [storedW, storedH];
    if (!(width > 0 && height > 0)) throw new ImageError(`image ${label} has no size in its header`);
    if (width * height > this.maxPixels) {
      const mp = (n: number): string => `${(n / 1e6).toFixed(1)} MP`;
      throw new HttpError(
        413,
        `image is ${width}×${height} = ${mp(width * height)}, over the server's limit of ${mp(this.maxPixels)} (--max-pixels); it was not decoded`,
      );
    }
    return { width, height, format };
  }

  private info(rec: ImageRecord): ImageInfo {
    return { id: rec.id, width: rec.width, height: rec.height, name: rec.name };
  }
}
