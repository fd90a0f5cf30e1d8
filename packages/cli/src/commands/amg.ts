/**
 * `tsam amg`: the reference's `scripts/amg.py` (automatic mask generation on an image or a folder
 * of images) with the same flags and outputs: `<output>/<stem>/N.png` + `metadata.csv`, or with
 * `--convert-to-rle` `<output>/<stem>.json` (records with COCO RLE); `--format sa1b` writes SA-1B
 * per-image JSON instead. The folder's run record (`.tsam-amg.json`) holds the settings, the
 * model hash and the SA-1B id map: reruns resume (skip finished images) only with the same
 * settings. Unreadable images are reported and skipped, and make the exit code 1.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AMG_DEFAULTS, AutomaticMaskGenerator, resolveAmgParams, type AmgParams } from '@tsam/core';
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
import { parsePositiveInt } from '../args.js';
import { checkOutputDir } from '../output-check.js';
import { addModelOptions, checkModel, openModel, type ModelOpts } from './model-options.js';

/** A number in [lo, hi] (or [lo, hi) with `hiOpen`). */
function inRange(lo: number, hi: number, hiOpen = false): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n) && n >= lo && (hiOpen ? n < hi : n <= hi);
    if (!ok) throw new InvalidArgumentError(`expected a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got "${value}"`);
    return n;
  };
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

type AmgKey = Exclude<keyof AmgParams, 'pointGrids' | 'outputMode'>;

/** amg.py's "AMG Settings", in its order; commander's camelCase of each flag is the AmgParams key. */
const AMG_SETTINGS: [flag: string, key: AmgKey, parse: (v: string) => number, help: string][] = [
  ['--points-per-side <n>', 'pointsPerSide', parsePositiveInt, 'sample a grid with this many points to a side (integer ≥ 1)'],
  ['--points-per-batch <n>', 'pointsPerBatch', parsePositiveInt, 'prompts decoded per decoder run (integer ≥ 1)'],
  ['--pred-iou-thresh <x>', 'predIouThresh', inRange(0, 1), 'drop masks whose predicted IoU is below this, in [0, 1] (0 = off)'],
  [
    '--stability-score-thresh <x>',
    'stabilityScoreThresh',
    inRange(0, 1),
    'drop masks whose stability score is below this, in [0, 1] (0 = off)',
  ],
  ['--stability-score-offset <x>', 'stabilityScoreOffset', parseNonNegative, 'logit offset used to measure the stability score (≥ 0)'],
  ['--box-nms-thresh <x>', 'boxNmsThresh', inRange(0, 1), 'box IoU above which a duplicate mask is dropped, in [0, 1]'],
  ['--crop-n-layers <n>', 'cropNLayers', parseNonNegativeInt, 'if > 0, also run on crops, at this many scales (integer ≥ 0)'],
  ['--crop-nms-thresh <x>', 'cropNmsThresh', inRange(0, 1), 'box IoU above which duplicates across crops are dropped, in [0, 1]'],
  ['--crop-overlap-ratio <x>', 'cropOverlapRatio', inRange(0, 1, true), 'crop overlap, as a fraction of the short image side, in [0, 1)'],
  [
    '--crop-n-points-downscale-factor <n>',
    'cropNPointsDownscaleFactor',
    parsePositiveInt,
    'points per side in crop layer n are divided by this^n (integer ≥ 1)',
  ],
  [
    '--min-mask-region-area <n>',
    'minMaskRegionArea',
    parseNonNegativeInt,
    'remove islands and holes smaller than this many pixels (integer ≥ 0)',
  ],
];

interface AmgOpts extends ModelOpts, Partial<Record<AmgKey, number>> {
  input: string;
  output: string;
  convertToRle?: boolean;
  format?: AmgOutputFormat;
  overwrite?: boolean;
  exifRotate: boolean;
  json?: boolean;
  modelType?: string;
  device?: string;
}

function outputFormat(opts: AmgOpts): AmgOutputFormat {
  if (opts.convertToRle && opts.format && opts.format !== 'rle')
    throw new Error(`--convert-to-rle writes RLE JSON; it cannot be combined with --format ${opts.format}`);
  return opts.convertToRle ? 'rle' : (opts.format ?? 'png');
}

export function amgCommand(): Command {
  const cmd = new Command('amg')
    .description('automatic mask generation ("segment everything") on an image or a folder of images, like SAM\'s scripts/amg.py')
    .requiredOption('--input <path>', 'an image, or a folder of images')
    .requiredOption('--output <dir>', 'output folder: a folder of PNGs per image, or one JSON per image')
    .option('--convert-to-rle', 'write <output>/<name>.json with COCO RLE masks instead of PNG folders (same as --format rle)')
    .addOption(
      new Option('--format <format>', 'png: <name>/N.png + metadata.csv; rle: records JSON; sa1b: SA-1B per-image JSON')
        .choices(['png', 'rle', 'sa1b'])
        .default('png'),
    )
    .option('--overwrite', 'redo images whose output already exists, also with other settings (default: resume, skipping them)')
    .option('--no-exif-rotate', 'keep the stored pixel order of JPEGs (default: apply the EXIF orientation, as cv2.imread does)')
    .option('--json', 'print a JSON summary on stdout (progress stays on stderr)')
    .addOption(new Option('--model-type <type>', 'accepted for amg.py compatibility and ignored: the model type comes from the checkpoint'))
    .addOption(new Option('--device <device>', 'accepted for amg.py compatibility and ignored: tsam runs on ONNX Runtime (CPU)'));
  addModelOptions(cmd);
  for (const [flag, key, parse, help] of AMG_SETTINGS) {
    const def = AMG_DEFAULTS[key];
    cmd.addOption(new Option(flag, `${help} (default: ${key === 'cropOverlapRatio' ? '512/1500 ≈ 0.3413' : def})`).argParser(parse));
  }
  cmd.addHelpText(
    'after',
    `\nReruns into the same --output resume: finished images are skipped if the settings and the model match the folder's ${AMG_RUN_RECORD}.\n\nExamples:\n  tsam amg --checkpoint sam_vit_b_01ec64.pth --input photos/ --output masks/\n  tsam amg --input photo.jpg --output out/ --convert-to-rle --points-per-side 16`,
  );
  return cmd.action(async (opts: AmgOpts, command: Command) => {
    if (command.getOptionValueSource('format') === 'default') delete opts.format;
    const format = outputFormat(opts);
    const overrides: Partial<AmgParams> = {};
    for (const [, key] of AMG_SETTINGS) if (opts[key] !== undefined) overrides[key] = opts[key];
    const params = resolveAmgParams({ ...overrides, outputMode: amgOutputMode(format) });
    if (opts.modelType !== undefined)
      process.stderr.write(`note: --model-type ${opts.modelType} is ignored (the model type comes from the checkpoint)\n`);
    if (opts.device !== undefined) process.stderr.write(`note: --device ${opts.device} is ignored (tsam runs on ONNX Runtime, CPU)\n`);
    if (!existsSync(opts.input)) throw new Error(`--input ${opts.input}: no such file or folder`);
    await runAmg(opts, format, params);
  });
}

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

async function runAmg(opts: AmgOpts, format: AmgOutputFormat, params: AmgParams): Promise<void> {
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
  checkModel(opts); // a missing checkpoint fails before the output folder is created
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
