/**
 * `tsam dataset …`: SA-1B / COCO dataset tools over @tsam/dataset — convert, validate, stats
 * (HTML report), show (mask overlay PNG) and synth (synthetic dataset with known statistics).
 * Every pass over a dataset shows a progress bar on stderr; results go to stdout or files.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DatasetFormat, DatasetStats } from '@tsam/dataset';
import { parsePositiveInt } from '../args.js';
import { passProgress } from '../progress.js';

/** @tsam/dataset, imported when a subcommand runs: registering them (`tsam --help`) stays cheap. */
const dataset = () => import('@tsam/dataset');

const FORMATS = ['sa1b', 'shard', 'coco'] as const;
const UNIT = { sa1b: 'files', shard: 'bytes', coco: 'images' } as const;

/** `--from sa1b x.tar` means a shard: SA-1B comes as folders or tars. */
async function formatOf(path: string, given?: DatasetFormat): Promise<DatasetFormat> {
  if (given === 'sa1b' && /\.tar$/i.test(path)) return 'shard';
  return given ?? (await dataset()).detectFormat(path);
}

/** A format flag; '' (shown as `default: …`) means "work it out", as `how` says. */
const formatOption = (flag: string, what: string, how = 'from the path') =>
  new Option(`${flag} <format>`, what).choices(FORMATS).default('', how);

/** The output format a path names: `.json` → coco, `.tar` → shard, anything else (a folder) → sa1b. */
export function formatFromOutputName(path: string): DatasetFormat {
  if (/\.json$/i.test(path)) return 'coco';
  if (/\.tar$/i.test(path)) return 'shard';
  return 'sa1b';
}

/** Runs `fn` with a progress bar labelled `label` for a dataset at `path`. */
async function withBar<T>(
  label: string,
  format: DatasetFormat,
  fn: (onProgress: (d: number, t: number) => void) => Promise<T>,
): Promise<T> {
  const bar = passProgress(label, UNIT[format]);
  try {
    return await fn(bar.onProgress);
  } finally {
    bar.stop();
  }
}

function convertCommand(): Command {
  return new Command('convert')
    .description('convert between an SA-1B folder, an SA-1B tar shard and a COCO instances JSON')
    .argument('<input>', 'SA-1B folder, .tar shard, or COCO .json')
    .argument('<output>', 'folder (sa1b), .tar (shard) or .json (coco)')
    .addOption(formatOption('--from', 'input format'))
    .addOption(formatOption('--to', 'output format', 'from the output name: .json → coco, .tar → shard, else sa1b'))
    .option('--polygons', 'COCO output: polygons (outer boundaries, holes dropped) instead of RLE')
    .option('--images <dir>', 'COCO input: folder holding the images (copied into SA-1B outputs)')
    .option('--json', 'print the summary as JSON on stdout (and nothing else)')
    .addHelpText(
      'after',
      '\nExamples:\n  tsam dataset convert sa_000000/ out.json --polygons        # → COCO\n  tsam dataset convert --from coco val.json out/ --images val2017/   # → SA-1B folder\n  tsam dataset convert sa_000000/ sa_000000.tar            # → shard',
    )
    .action(
      async (
        input: string,
        output: string,
        o: { from?: DatasetFormat; to?: DatasetFormat; polygons?: boolean; images?: string; json?: boolean },
      ) => {
        const { convertDataset, detectFormat } = await dataset();
        const from = o.from && (await formatOf(input, o.from)); // else detected (a .json may be COCO or one SA-1B image)
        const to = o.to ? await formatOf(output, o.to) : formatFromOutputName(output);
        const warnings: string[] = [];
        const r = await withBar('convert', from || detectFormat(input), (onProgress) =>
          convertDataset(input, output, {
            ...(from && { from }),
            to,
            polygons: o.polygons === true,
            ...(o.images && { imagesDir: o.images }),
            onProgress,
            onWarning: (m) => warnings.push(m),
          }),
        );
        for (const w of warnings.slice(0, 20)) process.stderr.write(`warning: ${w}\n`);
        if (warnings.length > 20) process.stderr.write(`… and ${warnings.length - 20} more warnings\n`);
        if (o.json) {
          const summary = {
            images: r.images,
            annotations: r.annotations,
            from: r.from,
            to,
            input,
            output,
            missing_images: r.missingImages ?? 0,
          };
          return void process.stdout.write(`${JSON.stringify(summary)}\n`);
        }
        process.stdout.write(
          `${r.images} images, ${r.annotations} annotations: ${r.from} ${input} → ${to} ${output}${r.missingImages ? ` (${r.missingImages} without their image)` : ''}\n`,
        );
      },
    );
}

function validateCommand(): Command {
  return new Command('validate')
    .description('check an SA-1B folder, tar shard or COCO file; prints FILE: RECORD: REASON per problem, exits 1 on errors')
    .argument('<path>', 'SA-1B folder, .tar shard, or COCO .json')
    .addOption(formatOption('--from', 'format'))
    .option('--fix', 'recompute wrong/missing area and bbox from the masks; rewrites files atomically')
    .option('--images <dir>', 'COCO: folder holding the images, to check they exist')
    .option('--quiet', 'print only the summary')
    .option('--json', 'print {summary, issues} as JSON on stdout (and nothing else)')
    .action(async (path: string, o: { from?: DatasetFormat; fix?: boolean; images?: string; quiet?: boolean; json?: boolean }) => {
      const { detectFormat, validateDataset } = await dataset();
      const issues: { severity: string; fixed: boolean; file: string; record: string; reason: string }[] = [];
      const format = o.from && (await formatOf(path, o.from)); // else validateDataset looks inside a .json
      const summary = await withBar('validate', format || detectFormat(path), (onProgress) =>
        validateDataset(path, {
          ...(format && { format }),
          fix: o.fix === true,
          ...(o.images && { imagesDir: o.images }),
          onProgress,
          onIssue: (i) => {
            if (o.json)
              issues.push({ severity: i.severity, fixed: i.fixed === true, file: i.file, record: String(i.record), reason: i.reason });
            else if (!o.quiet) process.stdout.write(`${i.fixed ? 'fixed' : i.severity}: ${i.file}: ${i.record}: ${i.reason}\n`);
          },
        }),
      );
      const fixed = o.fix ? `, ${summary.fixed} fixed (${summary.rewritten} file(s) rewritten)` : '';
      process.stderr.write(`${summary.files} file(s) checked: ${summary.errors} error(s), ${summary.warnings} warning(s)${fixed}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify({ summary, issues })}\n`);
      if (summary.errors > 0) process.exitCode = 1;
    });
}

function statsCommand(): Command {
  return new Command('stats')
    .description('SA-1B paper statistics in one streaming pass: REPORT_DIR/index.html + stats.json')
    .argument('<path>', 'SA-1B folder, .tar shard, or COCO .json')
    .requiredOption('--out <dir>', 'report folder')
    .addOption(formatOption('--from', 'format'))
    .option('--compare <other>', 'a second dataset shown side by side (e.g. a COCO file)')
    .addOption(formatOption('--compare-from', 'format of --compare'))
    .option('--name <label>', 'label of the dataset in the report')
    .option('--compare-name <label>', 'label of the --compare dataset')
    .option('--grid <n>', 'centre heatmap cells per side', parsePositiveInt, 32)
    .option('--json', 'print {report, datasets: [statistics]} as JSON on stdout (and nothing else)')
    .action(
      async (
        path: string,
        o: {
          out: string;
          from?: DatasetFormat;
          compare?: string;
          compareFrom?: DatasetFormat;
          name?: string;
          compareName?: string;
          grid: number;
          json?: boolean;
        },
      ) => {
        const t0 = performance.now();
        const { computeStats, detectFormat, writeReport } = await dataset();
        const run = async (p: string, f: DatasetFormat | undefined, name: string | undefined): Promise<DatasetStats> => {
          const format = f && (await formatOf(p, f));
          const skipped: string[] = [];
          const s = await withBar(`stats ${basename(p)}`, format || detectFormat(p), (onProgress) =>
            computeStats(p, {
              ...(format && { format }),
              name: name ?? basename(resolve(p)),
              grid: o.grid,
              onProgress,
              onSkip: (m) => skipped.push(m),
            }),
          );
          if (skipped.length) process.stderr.write(`warning: skipped ${skipped.length} unreadable image(s), e.g. ${skipped[0]}\n`);
          return s;
        };
        const sets = [(await run(path, o.from, o.name)).toJSON()];
        if (o.compare) sets.push((await run(o.compare, o.compareFrom, o.compareName)).toJSON());
        const files = await writeReport(o.out, sets);
        const secs = (performance.now() - t0) / 1000;
        const rssMiB = process.resourceUsage().maxRSS / 1024;
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ report: files.html, datasets: sets })}\n`);
          process.stderr.write(`stats took ${secs.toFixed(1)} s, peak RSS ${rssMiB.toFixed(0)} MiB\n`);
          return;
        }
        for (const s of sets) {
          process.stdout.write(
            `${s.name}: ${s.images} images, ${s.masks} masks, ${s.masks_per_image.mean.toFixed(2)} masks/image, relative size mean ${s.relative_size.mean.toFixed(4)}, concavity mean ${s.concavity.mean.toFixed(4)}\n`,
          );
        }
        process.stdout.write(`report: ${files.html} (stats.json alongside)\n`);
        process.stderr.write(`stats took ${secs.toFixed(1)} s, peak RSS ${rssMiB.toFixed(0)} MiB\n`);
      },
    );
}

function showCommand(): Command {
  return new Command('show')
    .description("draw one image's masks (SA-1B style: random colours with outlines) into a PNG")
    .argument('<image_json>', 'an SA-1B per-image JSON')
    .option('--image <file>', 'the image (default: image.file_name next to the JSON; grey if missing)')
    .requiredOption('--out <png>', 'output PNG')
    .option('--json', 'print {masks, out} as JSON on stdout (and nothing else)')
    .option('--seed <n>', 'colour seed', (v) => Number.parseInt(v, 10), 0)
    .option(
      '--alpha <a>',
      'fill opacity 0–1',
      (v) => {
        const a = Number(v);
        if (!(a >= 0 && a <= 1)) throw new InvalidArgumentError(`expected 0–1, got "${v}"`);
        return a;
      },
      0.45,
    )
    .action(async (jsonPath: string, o: { image?: string; out: string; seed: number; alpha: number; json?: boolean }) => {
      const { asSa1bRecord, readSa1bFile, renderOverlay } = await dataset();
      const sample = await readSa1bFile(jsonPath);
      if (sample.readError) throw new Error(`${jsonPath}: ${sample.readError}`);
      const record = asSa1bRecord(sample.json, jsonPath);
      const image = o.image ?? (sample.image && 'path' in sample.image ? sample.image.path : undefined);
      if (o.image && !existsSync(o.image)) throw new Error(`--image ${o.image} not found`);
      if (!image) process.stderr.write(`image ${sample.imageName} not found: drawing on grey\n`);
      const png = await renderOverlay(record, { ...(image && { image }), seed: o.seed, alpha: o.alpha });
      await mkdir(dirname(resolve(o.out)), { recursive: true });
      await writeFile(o.out, png);
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ masks: record.annotations.length, out: o.out })}\n`
          : `${record.annotations.length} masks → ${o.out}\n`,
      );
    });
}

function synthCommand(): Command {
  return new Command('synth')
    .description('write a synthetic SA-1B dataset (squares and L-shapes) and print the statistics it must have')
    .requiredOption('--out <path>', 'output folder (or .tar with --shard)')
    .option('--images <n>', 'number of images', parsePositiveInt, 100)
    .option('--masks-per-image <n>', 'mean masks per image (total = images × n for an even image count)', parsePositiveInt, 100)
    .option('--seed <n>', 'random seed', parsePositiveInt, 1)
    .option('--shard', 'write one tar shard instead of a folder')
    .option('--no-jpeg', 'skip the placeholder JPEGs')
    .option('--json', 'print the expected statistics as JSON on stdout (and nothing else)')
    .action(
      async (o: { out: string; images: number; masksPerImage: number; seed: number; shard?: boolean; jpeg: boolean; json?: boolean }) => {
        if (o.shard && existsSync(o.out) && statSync(o.out).isDirectory())
          throw new Error(`--out ${o.out} is a folder; give a .tar path with --shard`);
        const { generateSynthetic } = await dataset();
        const bar = passProgress('synth', 'images');
        const expected = await generateSynthetic(o.out, {
          images: o.images,
          masksPerImage: o.masksPerImage,
          seed: o.seed,
          writeImages: o.jpeg,
          format: o.shard ? 'shard' : 'sa1b',
          onProgress: bar.onProgress,
        }).finally(() => bar.stop());
        process.stderr.write(`wrote ${expected.images} images / ${expected.masks} masks to ${o.out}\n`);
        if (o.json) return void process.stdout.write(`${JSON.stringify(expected)}\n`);
        process.stdout.write(
          `${expected.images} images, ${expected.masks} masks (${expected.squares} squares, ${expected.lShapes} L-shapes): ` +
            `${(expected.masks / expected.images).toFixed(2)} masks/image, relative size mean ${expected.relativeSizeMean.toFixed(4)}, ` +
            `concavity mean ${expected.concavityMean.toFixed(4)} — \`tsam dataset stats\` on ${o.out} must report these\n`,
        );
      },
    );
}

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('SA-1B / COCO datasets: convert, validate, stats report, mask overlays, synthetic data')
    .addCommand(convertCommand())
    .addCommand(validateCommand())
    .addCommand(statsCommand())
    .addCommand(showCommand())
    .addCommand(synthCommand());
}
