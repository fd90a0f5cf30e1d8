/**
 * `validateDataset`: one streaming pass over an SA-1B folder, an SA-1B tar shard or a COCO file,
 * reporting every problem (file, record, reason). With `fix`, area/bbox are recomputed and the
 * changed files are rewritten atomically (a folder's JSON one by one; a shard or a COCO file as
 * a whole new file renamed over the old one), so a failure never loses data.
 */
import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { asCocoDataset } from '../coco.js';
import { listSa1bJson, readSa1bFolder } from '../sa1b.js';
import { readTarEntries, ShardWriter } from '../shard.js';
import { detectFormat, openDataset } from '../source.js';
import { imageNameOf, type DatasetFormat, type ProgressFn } from '../types.js';
import { IdRegistry, isObj, IssueSink, type Issue } from './common.js';
import { checkCoco } from './coco-checks.js';
import { checkSa1bRecord } from './sa1b-checks.js';

export type { Issue } from './common.js';

export interface ValidateOptions {
  format?: DatasetFormat;
  fix?: boolean;
  /** COCO: folder with the images, to check they exist. */
  imagesDir?: string;
  onProgress?: ProgressFn;
  /** Called for every issue as it is found (streaming output). */
  onIssue?: (issue: Issue) => void;
}

export interface ValidateSummary {
  format: DatasetFormat;
  files: number;
  errors: number;
  warnings: number;
  /** Errors repaired by `fix`. */
  fixed: number;
  /** Files rewritten by `fix`. */
  rewritten: number;
}

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export async function validateDataset(path: string, opts: ValidateOptions = {}): Promise<ValidateSummary> {
  let format = opts.format ?? detectFormat(path);
  const isDir = statSync(path).isDirectory();
  // A .json is either a COCO file or one SA-1B per-image JSON: parse it once and look.
  let parsed: unknown;
  let parseError: string | undefined;
  if (!isDir && format !== 'shard') {
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      parseError = `cannot read JSON: ${(e as Error).message}`;
    }
    if (!opts.format) format = isObj(parsed) && 'image' in parsed && !('images' in parsed) ? 'sa1b' : 'coco';
  }
  const summary: ValidateSummary = { format, files: 0, errors: 0, warnings: 0, fixed: 0, rewritten: 0 };
  const emit = (sink: IssueSink) => {
    for (const i of sink.issues) {
      if (i.severity === 'warning') summary.warnings++;
      else if (i.fixed) summary.fixed++;
      else summary.errors++;
      opts.onIssue?.(i);
    }
  };
  const fix = opts.fix ?? false;
  const ctx = { imageIds: new IdRegistry('image'), annotationIds: new IdRegistry('annotation'), fix };

  if (format === 'coco') {
    const sink = new IssueSink(path);
    if (parseError) sink.error('file', parseError);
    if (!parseError && checkCoco(parsed, sink, { fix, ...(opts.imagesDir && { imagesDir: opts.imagesDir }) })) {
      await writeFileAtomic(path, JSON.stringify(asCocoDataset(parsed, path)));
      summary.rewritten++;
    }
    summary.files = 1;
    opts.onProgress?.(1, 1);
    emit(sink);
    return summary;
  }

  if (format === 'sa1b') {
    const referenced = new Set<string>();
    const progress = opts.onProgress ? { onProgress: opts.onProgress } : {};
    const samples = isDir ? readSa1bFolder(path, progress) : (await openDataset(path, 'sa1b')).samples(progress);
    for await (const s of samples) {
      summary.files++;
      const sink = new IssueSink(s.source);
      referenced.add(basename(s.imageName));
      if (s.readError) sink.error('file', s.readError);
      else if (checkSa1bRecord(s.json, sink, ctx)) {
        await writeFileAtomic(s.source, JSON.stringify(s.json));
        summary.rewritten++;
      }
      if (!s.readError && !s.imagePresent) sink.error('image', `image file ${s.imageName} not found next to the JSON`);
      if (basename(s.imageName).replace(/\.[^.]+$/, '') !== basename(s.source, '.json'))
        sink.warn('image', `file_name ${s.imageName} does not match the JSON name`);
      emit(sink);
    }
    if (!isDir) return summary;
    const end = new IssueSink(path);
    if ((await listSa1bJson(path)).length === 0) end.error('folder', 'no per-image .json files');
    for (const n of await readdir(path)) {
      if (IMAGE_EXT.test(n) && !referenced.has(n))
        end.issues.push({ severity: 'warning', file: join(path, n), record: 'image', reason: 'no JSON refers to this image' });
    }
    emit(end);
    return summary;
  }

  // Shard: entry by entry. Image presence is settled at the end from the names seen.
  const names = new Set<string>();
  const refs: { file: string; image: string }[] = [];
  const writer = fix ? await ShardWriter.open(path) : undefined;
  let changedAny = false;
  try {
    for await (const e of readTarEntries(path, {
      wantBytes: (n) => fix || n.endsWith('.json'),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
    })) {
      names.add(basename(e.name));
      let bytes = e.bytes;
      if (e.name.endsWith('.json')) {
        summary.files++;
        const sink = new IssueSink(`${path}:${e.name}`);
        let json: unknown;
        try {
          json = JSON.parse(e.bytes!.toString('utf8'));
        } catch (err) {
          sink.error('file', `cannot read JSON: ${(err as Error).message}`);
        }
        if (json !== undefined) {
          refs.push({ file: sink.file, image: basename(imageNameOf(json, basename(e.name, '.json'))) });
          if (checkSa1bRecord(json, sink, ctx)) {
            bytes = Buffer.from(JSON.stringify(json));
            changedAny = true;
          }
        }
        emit(sink);
      }
      if (writer) await writer.add(e.name, bytes!);
    }
    if (writer && changedAny) {
      await writer.close();
      summary.rewritten++;
    } else await writer?.abort();
  } catch (e) {
    await writer?.abort();
    throw e;
  }
  const end = new IssueSink(path);
  const referenced = new Set<string>();
  for (const r of refs) {
    referenced.add(r.image);
    if (!names.has(r.image))
      end.issues.push({ severity: 'error', file: r.file, record: 'image', reason: `image ${r.image} is not in the shard` });
  }
  for (const n of names) {
    if (IMAGE_EXT.test(n) && !referenced.has(n))
      end.issues.push({ severity: 'warning', file: `${path}:${n}`, record: 'image', reason: 'no JSON refers to this image' });
  }
  emit(end);
  return summary;
}
