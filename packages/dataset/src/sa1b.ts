/**
 * SA-1B as a folder: `sa_<id>.json` per image next to its `sa_<id>.jpg` (what an extracted SA-1B
 * shard looks like, and what `tsam amg --format sa1b` writes). Reading streams one file at a time
 * (with a small read-ahead); only the sorted list of names is held in memory.
 */
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { imageNameOf, type ProgressFn, type Sa1bRecord, type Sample } from './types.js';

/** Natural order, so `sa_2.json` comes before `sa_10.json`. */
const collator = new Intl.Collator('en', { numeric: true });

/** The per-image JSON files of a folder, sorted. */
export async function listSa1bJson(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  return names.sort(collator.compare);
}

/** Reads one per-image JSON into a `Sample` (bad JSON becomes `readError`, never a throw). */
export async function readSa1bFile(path: string): Promise<Sample> {
  const dir = join(path, '..');
  const stem = basename(path, '.json');
  let json: unknown;
  let readError: string | undefined;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    readError = `cannot read JSON: ${(e as Error).message}`;
  }
  const imageName = imageNameOf(json, stem);
  const imagePath = join(dir, basename(imageName)); // SA-1B folders are flat
  const imagePresent = existsSync(imagePath);
  return {
    source: path,
    json,
    imageName,
    imagePresent,
    ...(readError && { readError }),
    ...(imagePresent && { image: { path: imagePath } }),
  };
}

/**
 * Yields every per-image JSON of `dir` in natural order. `readAhead` files are read concurrently
 * (I/O overlaps parsing); progress is counted in files.
 */
export async function* readSa1bFolder(dir: string, opts: { onProgress?: ProgressFn; readAhead?: number } = {}): AsyncGenerator<Sample> {
  const names = await listSa1bJson(dir);
  const ahead = Math.max(1, opts.readAhead ?? 8);
  const queue: Promise<Sample>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < ahead && next < names.length) queue.push(readSa1bFile(join(dir, names[next++]!)));
  };
  fill();
  for (let done = 1; queue.length > 0; done++) {
    const sample = await queue.shift()!;
    fill();
    opts.onProgress?.(done, names.length);
    yield sample;
  }
}

/** JSON stem for a record: the image's file name without extension, else `sa_<image_id>`. */
export function stemOf(record: Sa1bRecord): string {
  const name = record.image.file_name;
  return name ? basename(name).replace(/\.[^.]+$/, '') : `sa_${record.image.image_id}`;
}

/** Writes one image's JSON (atomically) and its image bytes, if known, into `dir`. */
export async function writeSa1bSample(dir: string, record: Sa1bRecord, image?: Sample['image']): Promise<void> {
  await writeFileAtomic(join(dir, `${stemOf(record)}.json`), JSON.stringify(record));
  if (!image || !record.image.file_name) return;
  const target = join(dir, basename(record.image.file_name));
  if ('bytes' in image) await writeFileAtomic(target, image.bytes);
  else if (image.path !== target) await copyFile(image.path, target);
}
