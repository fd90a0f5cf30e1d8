/** `tsam export`: checkpoint → encoder.onnx, decoder.onnx (official signature), decoder_batched.onnx, model.json. */
import { Command } from 'commander';
import { exportModel, resolveCheckpoint } from '@tsam/node';
import type { EncoderConfig } from '@tsam/model';
import { stepProgress } from '../progress.js';

export function exportCommand(): Command {
  return new Command('export')
    .description('compile a SAM checkpoint (ViT-B/L/H, MobileSAM, custom sizes) to ONNX graphs')
    .requiredOption('--checkpoint <path|name>', 'checkpoint file (.pth/.pt/.safetensors) or a downloaded model name')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { checkpoint: string; out: string }) => {
      const started = performance.now();
      const progress = stepProgress('export');
      const manifest = await exportModel(resolveCheckpoint(opts.checkpoint), opts.out, { onStep: progress.onStep }).finally(() => progress.stop());
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`${manifest.family} (${describe(manifest.config.encoder)}) → ${opts.out} in ${secs}s\n`);
    });
}

function describe(enc: EncoderConfig): string {
  return enc.family === 'sam_vit' ? `ViT embed ${enc.embedDim}, depth ${enc.depth}, heads ${enc.numHeads}` : `TinyViT dims ${enc.embedDims.join('/')}`;
}
