/**
 * Conversions among the layouts: SA-1B folder, SA-1B tar shard and COCO instances JSON, in any
 * direction. Every pass streams the input once; outputs are written atomically.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CocoWriter } from './coco.js';
import { stemOf, writeSa1bSample } from './sa1b.js';
import { ShardWriter } from './shard.js';
import { openDataset } from './source.js';
import { asSa1bRecord, DatasetError, type DatasetFormat, type ProgressFn, type Sample } from './types.js';

export interface ConvertOptions {
  /** Input format (detected from the path when absent). */
  from?: DatasetFormat;
  to: DatasetFormat;
  /** COCO output: polygons (outer boundaries; holes are lost) instead of RLE. */
  polygons?: boolean;
  /** COCO input: folder holding its images, copied into SA-1B folders / shards. */
  imagesDir?: string;
  onProgress?: ProgressFn;
  /** Non-fatal problems (an image that could not be found). */
  onWarning?: (message: string) => void;
}

export interface ConvertResult {
  /** The input's format (as detected when not given). */
  from: DatasetFormat;
  images: number;
  annotations: number;
  /** Records written without their image (it was not found). */
  missingImages: number;
}

async function imageBytes(s: Sample): Promise<Uint8Array | undefined> {
  if (!s.image) return undefined;
  return 'bytes' in s.image ? s.image.bytes : readFile(s.image.path);
}

/** Converts `input` into `output` (a folder for `sa1b`, a `.tar` for `shard`, a `.json` for `coco`). */
export async function convertDataset(input: string, output: string, opts: ConvertOptions): Promise<ConvertResult> {
  const src = await openDataset(input, opts.from);
  if (src.format === opts.to && opts.to !== 'coco') throw new DatasetError(`${input} is already ${opts.to}: nothing to convert`);
  const wantImages = opts.to !== 'coco';
  const result: ConvertResult = { from: src.format, images: 0, annotations: 0, missingImages: 0 };
  const sink =
    opts.to === 'coco'
      ? await CocoWriter.open(output, { polygons: opts.polygons ?? false, ...src.meta })
      : opts.to === 'shard'
        ? await ShardWriter.open(output)
        : undefined;
  try {
    for await (const s of src.samples({
      images: wantImages,
      onProgress: opts.onProgress,
      ...(opts.imagesDir && { imagesDir: opts.imagesDir }),
    })) {
      if (s.readError) throw new DatasetError(`${s.source}: ${s.readError}`);
      const record = asSa1bRecord(s.json, s.source);
      result.images++;
      result.annotations += record.annotations.length;
      if (wantImages && !s.image) {
        result.missingImages++;
        opts.onWarning?.(`${s.source}: image ${s.imageName} not found; writing the JSON alone`);
      }
      if (sink instanceof CocoWriter) await sink.add(record);
      else if (sink instanceof ShardWriter) {
        const bytes = await imageBytes(s);
        if (bytes) await sink.add(basename(s.imageName), bytes);
        await sink.add(`${stemOf(record)}.json`, Buffer.from(JSON.stringify(record)));
      } else await writeSa1bSample(output, record, s.image);
    }
    await sink?.close();
  } catch (e) {
    await sink?.abort();
    throw e;
  }
  return result;
}
