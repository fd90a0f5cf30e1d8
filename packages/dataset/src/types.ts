/**
 * Dataset record shapes.
 *
 * SA-1B per-image JSON (`sa_<id>.json`, next to `sa_<id>.jpg`):
 * ```
 * { "image": { "image_id": int, "width": int, "height": int, "file_name": "sa_<id>.jpg" },
 *   "annotations": [ { "id": int, "segmentation": { "size": [h, w], "counts": "<COCO RLE string>" },
 *       "bbox": [x, y, w, h], "area": int, "predicted_iou": float, "point_coords": [[x, y]],
 *       "stability_score": float, "crop_box": [x, y, w, h] }, … ] }
 * ```
 * SA-1B boxes follow SAM's `box_xyxy_to_xywh(batched_mask_to_box)`: `w = x1 − x0` with inclusive
 * pixel indices (one less than pycocotools' `toBbox`). Unknown keys are kept through conversions.
 *
 * COCO instances JSON: `{ info?, licenses?, images: [{id, width, height, file_name}],
 * annotations: [{id, image_id, category_id, segmentation, area, bbox, iscrowd}], categories }`,
 * with `segmentation` as polygons `[[x,y,…],…]` or RLE (compressed string or uncompressed counts).
 *
 * Also here: `asSa1bRecord` / `segmentationCounts` / `imageNameOf`, the light checks the consuming
 * tools (stats, convert, show) apply; full diagnostics live in `validate/`.
 */
import { rleFromString, type CompressedRle, type Rle } from '@tsam/core';

export interface Sa1bImageInfo {
  image_id: number;
  width: number;
  height: number;
  file_name: string;
  [extra: string]: unknown;
}

export interface Sa1bAnnotation {
  id: number;
  segmentation: CompressedRle | Rle;
  bbox: [number, number, number, number];
  area: number;
  predicted_iou?: number;
  point_coords?: [number, number][];
  stability_score?: number;
  crop_box?: [number, number, number, number];
  [extra: string]: unknown;
}

/** One SA-1B per-image JSON. */
export interface Sa1bRecord {
  image: Sa1bImageInfo;
  annotations: Sa1bAnnotation[];
}

export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name: string;
  [extra: string]: unknown;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: number[][] | CompressedRle | Rle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  [extra: string]: unknown;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  [extra: string]: unknown;
}

export interface CocoDataset {
  info?: unknown;
  licenses?: unknown[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** Where an image's bytes are: already read (shards) or a file to read when needed. */
export type ImageRef = { bytes: Uint8Array } | { path: string };

/**
 * One image of a dataset as the readers yield it: the SA-1B-shaped JSON (parsed but not checked:
 * `validate` reports what is wrong with it), where it came from, and its image if present.
 */
export interface Sample {
  /** For messages: a path, or `shard.tar:sa_1.json`, or `instances.json#images[3]`. */
  source: string;
  /** The parsed JSON (SA-1B shaped; COCO readers convert to this shape), or undefined if unreadable. */
  json: unknown;
  /** Why `json` could not be read (bad JSON), when it is undefined. */
  readError?: string;
  /** Name of the image file (from `image.file_name`, else the JSON's stem + `.jpg`). */
  imageName: string;
  /** The image's bytes or file, when the reader has them. */
  image?: ImageRef;
  /** Whether the image exists (also when its bytes were skipped); undefined = not checked. */
  imagePresent?: boolean;
}

/** Dataset formats on disk. */
export type DatasetFormat = 'sa1b' | 'shard' | 'coco';

/** `(done, total)` in the source's own unit (files, bytes or images). */
export type ProgressFn = (done: number, total: number) => void;

export class DatasetError extends Error {
  override name = 'DatasetError';
}

// Light checks that turn a parsed SA-1B JSON into a typed record for the tools that consume
// datasets (stats, convert, show); full diagnostics live in `validate/`.

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The run-length counts of an SA-1B / COCO RLE segmentation (compressed string or number array). */
export function segmentationCounts(seg: { counts: unknown }): number[] {
  if (typeof seg.counts === 'string') return rleFromString(seg.counts);
  if (Array.isArray(seg.counts) && seg.counts.every((c) => isInt(c) && c >= 0)) return seg.counts as number[];
  throw new DatasetError('segmentation counts must be a COCO RLE string or an array of non-negative integers');
}

/** `json` as an SA-1B record; throws a `DatasetError` naming `source` and the first problem. */
export function asSa1bRecord(json: unknown, source: string): Sa1bRecord {
  const fail = (what: string): never => {
    throw new DatasetError(`${source}: ${what}`);
  };
  if (!isObj(json)) return fail('not a JSON object');
  const image = json.image;
  if (!isObj(image)) return fail('missing "image" object');
  if (!isInt(image.width) || !isInt(image.height) || image.width <= 0 || image.height <= 0)
    fail('image width/height must be positive integers');
  if (!isInt(image.image_id)) fail('image.image_id must be an integer');
  if (typeof image.file_name !== 'string') fail('image.file_name must be a string');
  if (!Array.isArray(json.annotations)) return fail('missing "annotations" array');
  json.annotations.forEach((a: unknown, i) => {
    const seg = isObj(a) ? a.segmentation : undefined;
    if (!isObj(seg) || !Array.isArray(seg.size) || seg.counts === undefined)
      fail(`annotation #${i}: missing RLE segmentation {size, counts}`);
  });
  return json as unknown as Sa1bRecord;
}

/** Name of the image a record refers to, falling back to `<stem>.jpg`. */
export function imageNameOf(json: unknown, stem: string): string {
  if (isObj(json) && isObj(json.image) && typeof json.image.file_name === 'string' && json.image.file_name) return json.image.file_name;
  return `${stem}.jpg`;
}
