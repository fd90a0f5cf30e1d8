/**
 * One entry point for every dataset layout: `openDataset(path)` detects the format (a folder of
 * SA-1B JSON, a `.tar` shard, a COCO instances `.json`) and yields SA-1B-shaped samples.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { asCocoDataset, cocoSamples } from './coco.js';
import { readSa1bFile, readSa1bFolder } from './sa1b.js';
import { readShard } from './shard.js';
import { DatasetError, type CocoCategory, type DatasetFormat, type ProgressFn, type Sample } from './types.js';

export interface ReadOptions {
  /** Load image bytes from shards (default false: only their presence is recorded). */
  images?: boolean;
  onProgress?: ProgressFn;
  /** COCO only: folder holding the images named by `file_name`. */
  imagesDir?: string;
  /** Shards only: an image no JSON refers to. */
  onOrphanImage?: (name: string) => void;
}

export interface DatasetSource {
  format: DatasetFormat;
  path: string;
  /** Unit of `onProgress` counts, for progress bars. */
  unit: 'files' | 'bytes' | 'images';
  /** COCO only: the file's categories / info / licenses, carried over by conversions. */
  meta: { categories?: CocoCategory[]; info?: unknown; licenses?: unknown[] };
  samples(opts?: ReadOptions): AsyncGenerator<Sample>;
}

/** `sa1b` for a folder (or a single `.json` holding `image`), `shard` for `.tar`, `coco` for a `.json` with `images`. */
export function detectFormat(path: string): DatasetFormat {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DatasetError(`${path}: no such file or folder`);
  }
  if (st.isDirectory()) return 'sa1b';
  if (/\.tar$/i.test(path)) return 'shard';
  if (/\.json$/i.test(path)) return 'coco'; // a lone SA-1B JSON is told apart in openDataset
  throw new DatasetError(`${path}: cannot tell the dataset format (expected a folder, a .tar shard or a COCO .json; pass --from)`);
}

/** Opens a dataset for reading. A single SA-1B per-image `.json` reads as a one-image dataset. */
export async function openDataset(path: string, format?: DatasetFormat): Promise<DatasetSource> {
  const fmt = format ?? detectFormat(path);
  if (fmt === 'shard') return { format: fmt, path, unit: 'bytes', meta: {}, samples: (o = {}) => readShard(path, o) };
  if (fmt === 'sa1b' && statSync(path).isDirectory()) {
    return { format: fmt, path, unit: 'files', meta: {}, samples: (o = {}) => readSa1bFolder(path, o) };
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${path}: cannot read JSON: ${(e as Error).message}`);
  }
  if (fmt === 'sa1b' || (json && typeof json === 'object' && 'image' in json && !('images' in json))) {
    const single = async function* (o: ReadOptions = {}) {
      const s = await readSa1bFile(path);
      o.onProgress?.(1, 1);
      yield s;
    };
    return { format: 'sa1b', path, unit: 'files', meta: {}, samples: single };
  }
  const ds = asCocoDataset(json, path);
  const meta = { categories: ds.categories, info: ds.info, ...(ds.licenses && { licenses: ds.licenses }) };
  return { format: 'coco', path, unit: 'images', meta, samples: (o = {}) => toAsync(cocoSamples(ds, path, o)) };
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
