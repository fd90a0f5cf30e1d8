/**
 * COCO instances JSON in and out. Reading parses the whole file (COCO is one JSON document) and
 * yields one SA-1B-shaped sample per image; polygons are rasterised with pycocotools' rules
 * (`rleFromSegmentation`) into compressed RLE. Writing streams annotations to disk as records
 * arrive and keeps only the small `images` entries in memory.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compressRle, maskToPolygons, polygonsToCoco, rleFromSegmentation, rleToMask, type CocoSegmentation } from '@tsam/core';
import { atomicStream, type AtomicStream } from './atomic.js';
import {
  DatasetError,
  segmentationCounts,
  type CocoAnnotation,
  type CocoCategory,
  type CocoDataset,
  type CocoImage,
  type ProgressFn,
  type Sa1bAnnotation,
  type Sa1bRecord,
  type Sample,
} from './types.js';

/** The category written when SA-1B masks (class-agnostic) become COCO. */
export const DEFAULT_CATEGORY: CocoCategory = { id: 1, name: 'object' };

/** Parses a COCO instances file, checking only the top-level arrays (see `validate` for the rest). */
export async function readCocoFile(path: string): Promise<CocoDataset> {
  let ds: unknown;
  try {
    ds = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${path}: cannot read COCO JSON: ${(e as Error).message}`);
  }
  return asCocoDataset(ds, path);
}

/** A parsed JSON as a COCO dataset; throws unless it has `images` and `annotations` arrays. */
export function asCocoDataset(ds: unknown, path: string): CocoDataset {
  const o = ds as Partial<CocoDataset> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.images) || !Array.isArray(o.annotations)) {
    throw new DatasetError(`${path}: not a COCO instances file (needs "images" and "annotations" arrays)`);
  }
  return { ...o, categories: Array.isArray(o.categories) ? o.categories : [] } as CocoDataset;
}

/** One COCO annotation in SA-1B shape: compressed RLE, `image_id` dropped, defaults dropped. */
export function cocoToSa1bAnnotation(a: CocoAnnotation, img: CocoImage, dropCategory: boolean): Sa1bAnnotation {
  const { image_id: _i, segmentation, iscrowd, category_id, ...rest } = a;
  const rle = rleFromSegmentation(segmentation as CocoSegmentation, img.height, img.width);
  const out: Sa1bAnnotation = { ...rest, segmentation: compressRle(rle) };
  if (!dropCategory && category_id !== undefined) out.category_id = category_id;
  if (iscrowd) out.iscrowd = iscrowd; // 0 is COCO's default: leave it out
  return out;
}

/**
 * Yields one SA-1B-shaped sample per COCO image, in `images` order. `category_id` is dropped when
 * the file has only the default category (so SA-1B → COCO → SA-1B gives back the same JSON).
 */
export function* cocoSamples(ds: CocoDataset, path: string, opts: { imagesDir?: string; onProgress?: ProgressFn } = {}): Generator<Sample> {
  const byImage = new Map<number, CocoAnnotation[]>();
  for (const a of ds.annotations) {
    const list = byImage.get(a.image_id);
    if (list) list.push(a);
    else byImage.set(a.image_id, [a]);
  }
  const cats = ds.categories;
  const dropCategory = cats.length === 1 && cats[0]!.id === DEFAULT_CATEGORY.id && cats[0]!.name === DEFAULT_CATEGORY.name;
  for (const [i, img] of ds.images.entries()) {
    const { id, width, height, file_name, ...extra } = img;
    const annotations = (byImage.get(id) ?? []).map((a) => cocoToSa1bAnnotation(a, img, dropCategory));
    const imagePath = opts.imagesDir ? join(opts.imagesDir, file_name) : undefined;
    const imagePresent = imagePath ? existsSync(imagePath) : undefined;
    opts.onProgress?.(i + 1, ds.images.length);
    yield {
      source: `${path}#image ${id}`,
      json: { image: { image_id: id, width, height, file_name, ...extra }, annotations } satisfies Sa1bRecord,
      imageName: file_name,
      ...(imagePresent !== undefined && { imagePresent }),
      ...(imagePresent && { image: { path: imagePath! } }),
    };
  }
}

/** SA-1B annotation → COCO (RLE kept, or polygons of the outer boundaries with `polygons`). */
export function sa1bToCocoAnnotation(a: Sa1bAnnotation, image: Sa1bRecord['image'], polygons: boolean): CocoAnnotation {
  const { id, segmentation, area, bbox, category_id, iscrowd, ...rest } = a;
  let seg: CocoAnnotation['segmentation'] = segmentation;
  if (polygons) {
    const [h, w] = segmentation.size;
    const polys = polygonsToCoco(maskToPolygons(rleToMask({ size: [h, w], counts: segmentationCounts(segmentation) }), h, w));
    if (polys.length > 0) seg = polys; // an empty mask has no polygon: keep its RLE
  }
  return {
    id,
    image_id: image.image_id,
    category_id: typeof category_id === 'number' ? category_id : DEFAULT_CATEGORY.id,
    segmentation: seg,
    area,
    bbox,
    iscrowd: iscrowd === 1 ? 1 : 0,
    ...rest,
  };
}

/** Streams a COCO instances file: `add` each SA-1B record, then `close` (atomic rename). */
export class CocoWriter {
  private readonly images: CocoImage[] = [];
  private readonly categoryIds = new Set<number>();
  private first = true;
  private constructor(
    private readonly out: AtomicStream,
    private readonly opts: { polygons: boolean; categories?: CocoCategory[]; info?: unknown; licenses?: unknown[] },
  ) {}

  static async open(
    path: string,
    opts: { polygons?: boolean; categories?: CocoCategory[]; info?: unknown; licenses?: unknown[] } = {},
  ): Promise<CocoWriter> {
    const w = new CocoWriter(await atomicStream(path), { ...opts, polygons: opts.polygons ?? false });
    const info = opts.info ?? { description: 'written by tsam dataset', date_created: new Date().toISOString() };
    await w.out.write(`{"info":${JSON.stringify(info)},"licenses":${JSON.stringify(opts.licenses ?? [])},"annotations":[`);
    return w;
  }

  async add(record: Sa1bRecord): Promise<void> {
    const { image_id, width, height, file_name, ...extra } = record.image;
    this.images.push({ id: image_id, width, height, file_name, ...extra });
    let chunk = '';
    for (const a of record.annotations) {
      const c = sa1bToCocoAnnotation(a, record.image, this.opts.polygons);
      this.categoryIds.add(c.category_id);
      chunk += `${this.first ? '\n' : ',\n'}${JSON.stringify(c)}`;
      this.first = false;
    }
    if (chunk) await this.out.write(chunk);
  }

  async close(): Promise<void> {
    const categories =
      this.opts.categories ??
      [...this.categoryIds]
        .sort((a, b) => a - b)
        .map((id) => (id === DEFAULT_CATEGORY.id ? DEFAULT_CATEGORY : { id, name: `category_${id}` }));
    await this.out.write(
      `\n],"images":[\n${this.images.map((i) => JSON.stringify(i)).join(',\n')}\n],"categories":${JSON.stringify(categories.length ? categories : [DEFAULT_CATEGORY])}}\n`,
    );
    await this.out.commit();
  }

  abort(): Promise<void> {
    return this.out.abort();
  }
}
