/**
 * Automatic mask generation on image files, with the outputs of the reference's `scripts/amg.py`:
 *
 * - `png`: `<out>/<stem>/0.png, 1.png, …` (one 8-bit mask per record, 0/255) and `metadata.csv`
 *   (`write_masks_to_folder`: same columns, same number formatting, no trailing newline);
 * - `rle` (`--convert-to-rle`): `<out>/<stem>.json`, the records with compressed COCO RLE;
 * - `sa1b`: `<out>/<stem>.json`, one SA-1B per-image JSON, with the image copied next to it (so
 *   the folder is an SA-1B folder the dataset tools read).
 *
 * Every output is written under a hidden temporary name and renamed into place when complete, so
 * "the output exists" means "the image is done" (what a rerun uses to skip it).
 */
import { writeFileAtomic } from '@tsam/dataset';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import {
  compressRle,
  decompressRle,
  maskToRle,
  rleToMask,
  type AmgRecord,
  type AutomaticMaskGenerator,
  type CompressedRle,
  type OutputMode,
  type Rle,
} from '@tsam/core';
import { ImageError, emptyImageMessage, loadImage } from './image.js';

export type AmgOutputFormat = 'png' | 'rle' | 'sa1b';

/** Files a folder input runs on (by extension); other files are ignored. */
export const AMG_IMAGE_EXTENSIONS = /\.(png|jpe?g|jpe|webp|tiff?|gif|avif)$/i;

/** The header of amg.py's metadata.csv. */
export const AMG_CSV_HEADER =
  'id,area,bbox_x0,bbox_y0,bbox_w,bbox_h,point_input_x,point_input_y,predicted_iou,stability_score,crop_box_x0,crop_box_y0,crop_box_w,crop_box_h';

/** The images of `input` (a file, or a folder's non-hidden image files in natural order) and the ignored files. */
export function listAmgInputs(input: string): { files: string[]; ignored: string[] } {
  if (!statSync(input).isDirectory()) return { files: [input], ignored: [] };
  const collator = new Intl.Collator('en', { numeric: true });
  const files: string[] = [];
  const ignored: string[] = [];
  for (const name of readdirSync(input).sort(collator.compare)) {
    const path = join(input, name);
    if (name.startsWith('.') || statSync(path).isDirectory()) continue;
    (AMG_IMAGE_EXTENSIONS.test(name) ? files : ignored).push(path);
  }
  return { files, ignored };
}

/** The file name without folder and extension (amg.py's `save_base`). */
export const amgStem = (file: string): string => basename(file, extname(file));

/** Where the output of `file` goes: a folder (`png`) or a JSON file. */
export function amgOutputPath(file: string, outDir: string, format: AmgOutputFormat): string {
  return join(outDir, format === 'png' ? amgStem(file) : `${amgStem(file)}.json`);
}

/** The generator's output mode for a format: binary masks for PNGs, compressed RLE for JSON. */
export const amgOutputMode = (format: AmgOutputFormat): OutputMode => (format === 'png' ? 'binary_mask' : 'coco_rle');

/** SA-1B image id: the number of an `sa_<n>` name, else `fallback` (e.g. the 1-based position in the folder). */
export function sa1bImageId(file: string, fallback: number): number {
  const m = /^sa_(\d+)$/.exec(amgStem(file));
  return m ? Number(m[1]) : fallback;
}

/** Python's `str(float)`: `16.0`, not `16`; exponents as `1e-05`. */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e16) return String(v);
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** amg.py's metadata.csv for these records (rows in record order, `id` = PNG name). */
export function amgMetadataCsv(records: readonly AmgRecord[]): string {
  const rows = records.map((r, i) =>
    [i, r.area, ...r.bbox, ...r.point_coords[0].map(pyFloat), pyFloat(r.predicted_iou), pyFloat(r.stability_score), ...r.crop_box].join(
      ',',
    ),
  );
  return [AMG_CSV_HEADER, ...rows].join('\n');
}

/** A record's mask as row-major 0/1 bytes, whatever the generator's output mode. */
export function amgRecordMask(seg: AmgRecord['segmentation']): Uint8Array {
  if (seg instanceof Uint8Array) return seg;
  return rleToMask(typeof seg.counts === 'string' ? decompressRle(seg as CompressedRle) : (seg as Rle));
}

/** A record's mask as compressed COCO RLE, whatever the generator's output mode. */
export function amgRecordCocoRle(seg: AmgRecord['segmentation'], h: number, w: number): CompressedRle {
  if (seg instanceof Uint8Array) return compressRle(maskToRle(seg, h, w));
  return typeof seg.counts === 'string' ? (seg as CompressedRle) : compressRle(seg as Rle);
}

/** Annotations per image that SA-1B ids have room for: `id` = imageId · 100000 + index. */
export const SA1B_ID_STRIDE = 100000;

/**
 * One record per annotation, SA-1B style (`id` = imageId · 100000 + index). With distinct image
 * ids (the run record's id map) and fewer than 100000 masks per image, ids never collide in a
 * folder; more masks are an error rather than a collision.
 */
export function amgSa1bRecord(
  records: readonly AmgRecord[],
  image: { imageId: number; width: number; height: number; fileName: string },
): { image: Record<string, unknown>; annotations: Record<string, unknown>[] } {
  const { imageId, width, height, fileName } = image;
  if (records.length >= SA1B_ID_STRIDE)
    throw new RangeError(
      `${fileName}: ${records.length} masks, but SA-1B annotation ids leave room for ${SA1B_ID_STRIDE - 1} per image; raise --pred-iou-thresh or lower --points-per-side`,
    );
  if (!Number.isSafeInteger(imageId * SA1B_ID_STRIDE + SA1B_ID_STRIDE) || imageId < 0)
    throw new RangeError(`${fileName}: image_id ${imageId} is too large for SA-1B annotation ids (image_id · ${SA1B_ID_STRIDE} + index)`);
  return {
    image: { image_id: imageId, width, height, file_name: fileName },
    annotations: records.map((r, i) => ({
      id: imageId * SA1B_ID_STRIDE + i,
      segmentation: amgRecordCocoRle(r.segmentation, height, width),
      bbox: r.bbox,
      area: r.area,
      predicted_iou: r.predicted_iou,
      point_coords: r.point_coords,
      stability_score: r.stability_score,
      crop_box: r.crop_box,
    })),
  };
}

/** A 0/255 8-bit grey PNG of a row-major mask (what amg.py's `cv2.imwrite(mask * 255)` writes). */
export async function encodeMaskPng(mask: ArrayLike<number>, width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height);
  for (let i = 0; i < px.length; i++) if (mask[i]) px[i] = 255;
  return sharp(px, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** PNG bytes of row-major RGB pixels. */
export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A hidden sibling of `path` for in-progress (`tmp`) or replaced (`old`) outputs. */
const sibling = (path: string, tag: string): string =>
  join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);

/** Fills a temporary folder with `fill`, then puts it at `path` (replacing what was there). */
async function writeDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const tmp = sibling(path, 'tmp');
  const old = sibling(path, 'old');
  try {
    await mkdir(tmp);
    await fill(tmp);
    const replacing = await rename(path, old).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)),
    );
    await rename(tmp, path);
    if (replacing) await rm(old, { recursive: true, force: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function writeMaskFolder(dir: string, records: readonly AmgRecord[], width: number, height: number): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    const BATCH = 8; // sharp encodes on its own threads
    for (let i = 0; i < records.length; i += BATCH) {
      await Promise.all(
        records.slice(i, i + BATCH).map(async (r, k) => {
          await writeFile(join(tmp, `${i + k}.png`), await encodeMaskPng(amgRecordMask(r.segmentation), width, height));
        }),
      );
    }
    await writeFile(join(tmp, 'metadata.csv'), amgMetadataCsv(records));
  });
}

export interface AmgFileOptions {
  format: AmgOutputFormat;
  /** SA-1B `image_id` (default: from an `sa_<n>` name, else 1; `tsam amg` passes the run record's id). */
  imageId?: number;
  /** Apply the EXIF orientation when decoding (default true, like amg.py's `cv2.imread`). */
  exifRotate?: boolean;
  /** Prompts done / total inside this image (the generator's progress). */
  onProgress?(done: number, total: number): void;
}

export interface AmgFileResult {
  output: string;
  width: number;
  height: number;
  masks: number;
}

/**
 * Runs `generator` on one image file and writes its output into `outDir` (replacing an existing
 * one). Unreadable images throw an `ImageError` that names the file and the reason.
 */
export async function runAmgOnFile(
  generator: AutomaticMaskGenerator,
  file: string,
  outDir: string,
  opts: AmgFileOptions,
): Promise<AmgFileResult> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new ImageError(`cannot read image ${file}: ${(e as Error).message}`);
  }
  if (size === 0) throw new ImageError(emptyImageMessage(file));
  const image = await loadImage(file, { exifRotate: opts.exifRotate !== false });
  const { width, height } = image;
  const records = await generator.generate(image, opts.onProgress ? { onProgress: opts.onProgress } : {});
  const output = amgOutputPath(file, outDir, opts.format);
  await mkdir(outDir, { recursive: true });
  if (opts.format === 'png') {
    await writeMaskFolder(output, records, width, height);
  } else if (opts.format === 'rle') {
    const json = records.map((r) => ({ ...r, segmentation: amgRecordCocoRle(r.segmentation, height, width) }));
    await writeFileAtomic(output, JSON.stringify(json));
  } else {
    const fileName = basename(file);
    const copy = join(outDir, fileName);
    if (resolve(copy) !== resolve(file)) {
      const tmp = sibling(copy, 'tmp');
      try {
        await copyFile(file, tmp);
        await rename(tmp, copy);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    }
    const record = amgSa1bRecord(records, { imageId: opts.imageId ?? sa1bImageId(file, 1), width, height, fileName });
    await writeFileAtomic(output, JSON.stringify(record));
  }
  return { output, width, height, masks: records.length };
}
