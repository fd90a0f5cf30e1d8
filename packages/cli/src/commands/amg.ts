/**
 * `tsam amg`: the reference's `scripts/amg.py` (automatic mask generation on an image or a folder
 * of images) with the same flags and outputs: `<output>/<stem>/N.png` + `metadata.csv`, or with
 * `--convert-to-rle` `<output>/<stem>.json` (records with COCO RLE); `--format sa1b` writes SA-1B
 * per-image JSON instead. The folder's run record (`.tsam-amg.json`) holds the settings, the
 * model hash and the SA-1B id map: reruns resume (skip finished images) only with the same
 * settings. Unreadable images are reported and skipped, and make the exit code 1.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { AMG_DEFAULTS, type AmgParams } from '@tsam/core';
import type { AmgOutputFormat } from '@tsam/node';
import { parsePositiveInt } from '../args.js';
import { addModelOptions, type ModelOpts } from './model-options.js';

/** @tsam/node's AMG_RUN_RECORD, spelled here so `--help` need not load @tsam/node (cli/test/lazy-loading.test.ts checks they agree). */
export const AMG_RUN_RECORD = '.tsam-amg.json';

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

export type AmgKey = Exclude<keyof AmgParams, 'pointGrids' | 'outputMode'>;

/** amg.py's "AMG Settings", in its order; commander's camelCase of each flag is the AmgParams key. */
export const AMG_SETTINGS: [flag: string, key: AmgKey, parse: (v: string) => number, help: string][] = [
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

export interface AmgOpts extends ModelOpts, Partial<Record<AmgKey, number>> {
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
    const { runAmg } = await import('./amg-run.js'); // the model, sharp and onnxruntime load only now
    await runAmg(opts, format, overrides);
  });
}
