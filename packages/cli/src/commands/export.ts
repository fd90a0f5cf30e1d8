/**
 * `tsam export`: checkpoint → encoder.onnx, decoder.onnx (official signature), decoder_batched.onnx,
 * decoder_lowres.onnx, model.json. `--precision fp16|int8` writes reduced-precision graphs and
 * prints their accuracy against float32, measured on `--check-image` (default: a synthetic scene).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Precision, PrecisionReport } from '@tsam/node';
import type { EncoderConfig } from '@tsam/model';
import { withOutputs } from '../out-dir.js';
import { stepProgress } from '../progress.js';
import { namingCheckpoint } from './model-options.js';

/** @tsam/node's PRECISIONS, spelled here so `--help` need not load @tsam/node (cli/test/lazy-loading.test.ts checks they agree). */
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8'];

function parsePrecision(value: string): Precision {
  if (!(PRECISIONS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${PRECISIONS.join(', ')}, got "${value}"`);
  return value as Precision;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('compile a SAM checkpoint (ViT-B/L/H, MobileSAM, custom sizes) to ONNX graphs')
    .requiredOption('--checkpoint <path|name>', 'checkpoint file (.pth/.pt/.safetensors) or a downloaded model name')
    .requiredOption('--out <dir>', 'output directory')
    .addOption(
      new Option(
        '--precision <p>',
        'weights: fp32; fp16 (half-size files, float32 arithmetic); int8 (dynamically quantised encoder MatMuls, ONNX Runtime only)',
      )
        .argParser(parsePrecision)
        .default('fp32'),
    )
    .option('--check-image <path>', 'image for the fp16/int8 accuracy check (default: a synthetic scene)')
    .action(async (opts: { checkpoint: string; out: string; precision: Precision; checkImage?: string }) => {
      const started = performance.now();
      const { exportModel, loadImage, resolveCheckpoint } = await import('@tsam/node'); // onnxruntime and sharp load only now
      const checkImage = opts.checkImage ? { ...(await loadImage(opts.checkImage)), name: opts.checkImage } : undefined;
      const checkpoint = resolveCheckpoint(opts.checkpoint);
      const progress = stepProgress('export');
      const run = () =>
        exportModel(checkpoint, opts.out, {
          onStep: progress.onStep,
          onWarning: (m) => process.stderr.write(`tsam export: warning: ${m}\n`),
          precision: opts.precision,
          ...(checkImage && { checkImage }),
        })
          .catch((e: unknown) => {
            throw namingCheckpoint(checkpoint, e);
          })
          .finally(() => progress.stop());
      const manifest = await withOutputs({ dirs: [[opts.out, '--out']] }, run);
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`${manifest.family} (${describe(manifest.config.encoder)}, ${opts.precision}) → ${opts.out} in ${secs}s\n`);
      if (manifest.precisionCheck) process.stderr.write(reportText(opts.precision, manifest.precisionCheck));
    });
}

/** The accuracy of the reduced-precision graphs against float32, as printed by `tsam export`. */
export function reportText(precision: Precision, r: PrecisionReport): string {
  return (
    `${precision} vs fp32 on ${r.image}: embedding max|Δ|/max|ref| ${r.embeddingMaxRel.toExponential(2)}, mean|Δ|/mean|ref| ${r.embeddingMeanRel.toExponential(2)}; ` +
    `low-res mask IoU mean ${r.maskIouMean.toFixed(4)}, min ${r.maskIouMin.toFixed(4)} over ${r.masks} masks; predicted IoU max|Δ| ${r.iouPredMaxDiff.toExponential(2)}\n`
  );
}

function describe(enc: EncoderConfig): string {
  return enc.family === 'sam_vit'
    ? `ViT embed ${enc.embedDim}, depth ${enc.depth}, heads ${enc.numHeads}`
    : `TinyViT dims ${enc.embedDims.join('/')}`;
}
