/**
 * `tsam amg`: the reference's `scripts/amg.py` (automatic mask generation on an image or a folder
 * of images) with the same flags and outputs: `<output>/<stem>/N.png` + `metadata.csv`, or with
 * `--convert-to-rle` `<output>/<stem>.json` (records with COCO RLE); `--format sa1b` writes SA-1B
 * per-image JSON instead. Reruns skip images whose output exists (outputs appear atomically);
 * unreadable images are reported and skipped, and make the exit code 1.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AMG_DEFAULTS, AutomaticMaskGenerator, resolveAmgParams, type AmgParams } from '@tsam/core';
import { amgOutputMode, amgOutputPath, listAmgInputs, runAmgOnFile, sa1bImageId, type AmgOutputFormat } from '@tsam/node';
import { AmgProgress } from '../amg-progress.js';
import { parsePositiveInt } from '../args.js';
import { addModelOptions, openModel, type ModelOpts } from './model-options.js';

function parseFloatArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
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
  ['--points-per-side <n>', 'pointsPerSide', parsePositiveInt, 'sample a grid with this many points to a side'],
  ['--points-per-batch <n>', 'pointsPerBatch', parsePositiveInt, 'prompts decoded per decoder run'],
  ['--pred-iou-thresh <x>', 'predIouThresh', parseFloatArg, 'drop masks whose predicted IoU is below this (0 = off)'],
  ['--stability-score-thresh <x>', 'stabilityScoreThresh', parseFloatArg, 'drop masks whose stability score is below this (0 = off)'],
  ['--stability-score-offset <x>', 'stabilityScoreOffset', parseFloatArg, 'logit offset used to measure the stability score'],
  ['--box-nms-thresh <x>', 'boxNmsThresh', parseFloatArg, 'box IoU above which a duplicate mask is dropped'],
  ['--crop-n-layers <n>', 'cropNLayers', parseNonNegativeInt, 'if > 0, also run on crops, at this many scales'],
  ['--crop-nms-thresh <x>', 'cropNmsThresh', parseFloatArg, 'box IoU above which duplicates across crops are dropped'],
  ['--crop-overlap-ratio <x>', 'cropOverlapRatio', parseFloatArg, 'crop overlap, as a fraction of the short image side'],
  [
    '--crop-n-points-downscale-factor <n>',
    'cropNPointsDownscaleFactor',
    parsePositiveInt,
    'points per side in crop layer n are divided by this^n',
  ],
  ['--min-mask-region-area <n>', 'minMaskRegionArea', parseNonNegativeInt, 'remove islands and holes smaller than this many pixels'],
];

interface AmgOpts extends ModelOpts, Partial<Record<AmgKey, number>> {
  input: string;
  output: string;
  convertToRle?: boolean;
  format?: AmgOutputFormat;
  overwrite?: boolean;
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
      new Option('--format <format>', 'png: <name>/N.png + metadata.csv; rle: records JSON; sa1b: SA-1B per-image JSON').choices([
        'png',
        'rle',
        'sa1b',
      ]),
    )
    .option('--overwrite', 'redo images whose output already exists (default: skip them)')
    .addOption(new Option('--model-type <type>', 'accepted for amg.py compatibility and ignored: the model type comes from the checkpoint'))
    .addOption(new Option('--device <device>', 'accepted for amg.py compatibility and ignored: tsam runs on ONNX Runtime (CPU)'));
  addModelOptions(cmd);
  for (const [flag, key, parse, help] of AMG_SETTINGS) {
    const def = AMG_DEFAULTS[key];
    cmd.addOption(new Option(flag, `${help} (default ${key === 'cropOverlapRatio' ? '512/1500' : def})`).argParser(parse));
  }
  cmd.addHelpText(
    'after',
    '\nExamples:\n  tsam amg --checkpoint sam_vit_b_01ec64.pth --input photos/ --output masks/\n  tsam amg --input photo.jpg --output out/ --convert-to-rle --points-per-side 16',
  );
  return cmd.action(async (opts: AmgOpts) => {
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

async function runAmg(opts: AmgOpts, format: AmgOutputFormat, params: AmgParams): Promise<void> {
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
  const failed: string[] = [];
  const owner = new Map<string, string>();
  const todo: { file: string; index: number }[] = [];
  let skipped = 0;
  files.forEach((file, index) => {
    const out = amgOutputPath(file, opts.output, format);
    const other = owner.get(out);
    if (other !== undefined) {
      failed.push(file);
      return say(
        `${basename(file)}: failed: ${basename(other)} writes the same output ${out} (names differ only in extension); rename one`,
      );
    }
    owner.set(out, file);
    if (!opts.overwrite && existsSync(out)) skipped++;
    else todo.push({ file, index });
  });
  if (skipped > 0) say(`skipping ${skipped} image(s) whose output exists in ${opts.output} (--overwrite redoes them)`);
  let done = 0;
  if (todo.length > 0) {
    const sam = await openModel(opts);
    const batchedDecoder = await sam.openBatchedDecoder();
    const generator = new AutomaticMaskGenerator({ encoder: sam.encoder, batchedDecoder, modelSize: sam.manifest.modelSize }, params);
    const progress = new AmgProgress(todo.length);
    try {
      for (const [k, { file, index }] of todo.entries()) {
        const tag = `[${k + 1}/${todo.length}] ${basename(file)}`;
        progress.startImage(basename(file));
        const t0 = performance.now();
        try {
          const imageId = sa1bImageId(file, index + 1);
          const r = await runAmgOnFile(generator, file, opts.output, { format, imageId, onProgress: progress.onProgress });
          const secs = ((performance.now() - t0) / 1000).toFixed(1);
          progress.log(`${tag}: ${r.masks} masks (${r.width}×${r.height}, ${secs} s) → ${r.output}`);
          done++;
        } catch (e) {
          failed.push(file);
          progress.log(`${tag}: failed, skipped: ${e instanceof Error ? e.message : String(e)}`);
        }
        progress.finishImage();
      }
    } finally {
      progress.stop();
      await batchedDecoder.release?.();
    }
  }
  const failures = failed.length > 0 ? ` (${failed.map((f) => basename(f)).join(', ')})` : '';
  say(`amg: ${done} done, ${skipped} skipped, ${failed.length} failed of ${files.length} image(s)${failures} → ${opts.output}`);
  if (failed.length > 0) process.exitCode = 1;
}
