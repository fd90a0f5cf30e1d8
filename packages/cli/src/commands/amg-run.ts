/**
 * What `tsam amg` does once its flags are parsed (commands/amg.ts registers them): resolve the
 * settings, open or resume the output folder's run record, load the model and run the generator
 * image by image. Imported only inside the command's action: it loads @tsam/node (sharp,
 * onnxruntime-node).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { AutomaticMaskGenerator, resolveAmgParams, type AmgParams } from '@tsam/core';
import {
  AMG_RUN_RECORD,
  amgOutputMode,
  amgOutputPath,
  assignImageIds,
  diffAmgSettings,
  listAmgInputs,
  newAmgRunRecord,
  readAmgRunRecord,
  recordAmgOutput,
  readModelManifest,
  resolveCheckpoint,
  runAmgOnFile,
  sha256File,
  sweepAmgTemps,
  writeAmgRunRecord,
  type AmgOutputFormat,
  type AmgRunRecord,
  type AmgSettings,
} from '@tsam/node';
import { AmgProgress } from '../amg-progress.js';
import { checkOutputDir } from '../output-check.js';
import { AMG_SETTINGS, type AmgKey, type AmgOpts } from './amg.js';
import { checkModel, openModel, type ModelOpts } from './model-options.js';

/** The model's identity for the run record, without loading it (the checkpoint's SHA-256). */
async function modelIdentity(opts: ModelOpts): Promise<AmgSettings['model']> {
  if (opts.modelDir !== undefined) {
    const m = readModelManifest(opts.modelDir);
    return { sha256: m.checkpoint.sha256, precision: m.precision ?? 'fp32' };
  }
  return { sha256: await sha256File(resolveCheckpoint(opts.checkpoint)), precision: 'fp32' };
}

function recordedParams(p: AmgParams): AmgSettings['params'] {
  const out = {} as Record<AmgKey, number>;
  for (const [, key] of AMG_SETTINGS) out[key] = p[key] as number;
  return out as AmgSettings['params'];
}

/**
 * The folder's record for this run: resumes a matching one, refuses (or with --overwrite restarts)
 * another. `fresh`: the record is new or its settings changed.
 */
async function openRunRecord(
  opts: AmgOpts,
  files: string[],
  format: AmgOutputFormat,
  settings: AmgSettings,
): Promise<{ record: AmgRunRecord; fresh: boolean }> {
  let old: AmgRunRecord | undefined;
  try {
    old = await readAmgRunRecord(opts.output);
  } catch (e) {
    if (!opts.overwrite) throw e;
  }
  if (old) {
    const diff = diffAmgSettings(old.settings, settings);
    if (diff.length === 0) return { record: old, fresh: false };
    if (!opts.overwrite)
      throw new Error(
        `--output ${opts.output} holds masks made with other settings: ${diff.join('; ')}. ` +
          'Rerun with those settings to resume, pass --overwrite to redo every image with these, or choose another --output',
      );
    return { record: newAmgRunRecord(settings, old.image_ids), fresh: true };
  }
  const unknown = files.filter((f) => existsSync(amgOutputPath(f, opts.output, format))).map((f) => basename(f));
  if (unknown.length > 0 && !opts.overwrite)
    throw new Error(
      `--output ${opts.output} already holds output for ${unknown.length} image(s) (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}) ` +
        `but no run record ${AMG_RUN_RECORD}, so their settings are unknown; pass --overwrite to redo them, or choose another --output`,
    );
  return { record: newAmgRunRecord(settings), fresh: true };
}

/** Runs `tsam amg` with its parsed flags: `overrides` are the AMG settings given on the command line. */
export async function runAmg(opts: AmgOpts, format: AmgOutputFormat, overrides: Partial<AmgParams>): Promise<void> {
  const params = resolveAmgParams({ ...overrides, outputMode: amgOutputMode(format) });
  if (opts.modelType !== undefined)
    process.stderr.write(`note: --model-type ${opts.modelType} is ignored (the model type comes from the checkpoint)\n`);
  if (opts.device !== undefined) process.stderr.write(`note: --device ${opts.device} is ignored (tsam runs on ONNX Runtime, CPU)\n`);
  if (!existsSync(opts.input)) throw new Error(`--input ${opts.input}: no such file or folder`);
  const t0 = performance.now();
  const { files, ignored } = listAmgInputs(opts.input);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (ignored.length > 0)
    say(
      `ignoring ${ignored.length} non-image file(s): ${ignored
        .map((f) => basename(f))
        .slice(0, 5)
        .join(', ')}${ignored.length > 5 ? ', …' : ''}`,
    );
  if (files.length === 0) throw new Error(`no images in ${opts.input} (PNG, JPEG, WebP, TIFF, GIF, AVIF)`);
  await checkModel(opts); // a missing checkpoint fails before the output folder is created
  checkOutputDir(opts.output, '--output'); // before any model work: a bad --output fails in milliseconds
  const swept = sweepAmgTemps(opts.output, 'stale');
  if (swept.length > 0) say(`removed ${swept.length} temporary file(s) left in ${opts.output} by an interrupted run`);
  const settings: AmgSettings = { format, params: recordedParams(params), model: await modelIdentity(opts), exifRotate: opts.exifRotate };
  const { record, fresh } = await openRunRecord(opts, files, format, settings);
  const { ids, clashes } = assignImageIds(files, record.image_ids);

  const failed: { file: string; reason: string }[] = [];
  const fail = (file: string, reason: string, tag = basename(file)) => {
    failed.push({ file, reason });
    return `${tag}: failed, skipped: ${reason}`;
  };
  for (const c of clashes)
    say(fail(c.file, `its SA-1B image_id ${c.id} is already ${c.holder}'s (${AMG_RUN_RECORD}); rename one`, basename(c.file)));
  const owner = new Map<string, string>();
  const todo: { file: string; imageId: number; name: string }[] = [];
  let skipped = 0;
  for (const file of files) {
    const imageId = ids.get(file);
    if (imageId === undefined) continue; // an id clash, reported above
    const out = amgOutputPath(file, opts.output, format);
    const other = owner.get(out);
    if (other !== undefined) {
      say(fail(file, `${basename(other)} writes the same output ${out} (names differ only in extension); rename one`));
      continue;
    }
    owner.set(out, file);
    const name = basename(out);
    if (!opts.overwrite && record.outputs[name] && existsSync(out)) skipped++;
    else todo.push({ file, imageId, name });
  }
  if (skipped > 0) say(`skipping ${skipped} image(s) whose output exists in ${opts.output} (--overwrite redoes them)`);

  let done = 0;
  let masks = 0;
  const summary = (extra: Record<string, unknown> = {}) => ({
    input: opts.input,
    output: opts.output,
    images: files.length,
    done,
    skipped,
    failed,
    masks,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
    ...extra,
  });
  let progress: AmgProgress | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress?.stop();
    sweepAmgTemps(opts.output, 'own'); // the image in progress leaves nothing behind
    say(`tsam amg: interrupted (${signal}) with ${done} of ${todo.length} image(s) done; rerun the same command to resume`);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary({ interrupted: signal }))}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  // Ahead of tsam's generic Ctrl-C handler: this one cleans up and exits itself.
  process.prependOnceListener('SIGINT', onSignal);
  process.prependOnceListener('SIGTERM', onSignal);
  try {
    if (todo.length > 0) {
      await writeAmgRunRecord(opts.output, record, fresh); // settings and ids first: every later entry is made under them
      const sam = await openModel(opts);
      const batchedDecoder = await sam.openBatchedDecoder();
      const generator = new AutomaticMaskGenerator({ encoder: sam.encoder, batchedDecoder, modelSize: sam.manifest.modelSize }, params);
      progress = new AmgProgress(todo.length);
      try {
        for (const [k, { file, imageId, name }] of todo.entries()) {
          const tag = `[${k + 1}/${todo.length}] ${basename(file)}`;
          progress.startImage(basename(file));
          const t = performance.now();
          try {
            const r = await runAmgOnFile(generator, file, opts.output, {
              format,
              imageId,
              exifRotate: opts.exifRotate,
              onProgress: progress.onProgress,
            });
            await recordAmgOutput(opts.output, record, name, { source: basename(file), image_id: imageId, masks: r.masks });
            const secs = ((performance.now() - t) / 1000).toFixed(1);
            progress.log(`${tag}: ${r.masks} masks (${r.width}×${r.height}, ${secs} s) → ${r.output}`);
            done++;
            masks += r.masks;
          } catch (e) {
            progress.log(fail(file, e instanceof Error ? e.message : String(e), tag));
          }
          progress.finishImage();
        }
      } finally {
        progress.stop();
        await batchedDecoder.release?.();
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const names = failed.length > 0 ? ` (${failed.map((f) => basename(f.file)).join(', ')})` : '';
  say(`amg: ${done} done, ${skipped} skipped, ${failed.length} failed of ${files.length} image(s)${names} → ${opts.output}`);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary())}\n`);
  if (failed.length > 0) process.exitCode = 1;
}
