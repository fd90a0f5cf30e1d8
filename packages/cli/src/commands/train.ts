/**
 * `tsam train replay --checkpoint C --steps STEPS.json --out DIR`: replays recorded training
 * batches (docs/TRAINING.md) through the autodiff training graph and AdamW, and writes
 * DIR/losses.json, DIR/grads_step1.safetensors and DIR/checkpoint.pth (official layout).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { withOutputs } from '../out-dir.js';

interface ReplayOpts {
  checkpoint: string;
  steps: string;
  out: string;
}

function replayCommand(): Command {
  return new Command('replay')
    .description('replay recorded training steps (steps.json) and write losses, step-1 gradients and the final checkpoint')
    .requiredOption('--checkpoint <path>', 'SAM checkpoint (.pth or .safetensors) to start from')
    .requiredOption('--steps <path>', 'steps JSON: optimizer, loss and batches (see docs/TRAINING.md)')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: ReplayOpts) => {
      // Loaded only when the command runs: @tsam/train loads onnxruntime-node.
      const [{ inferSamConfig, readCheckpoint }, { loadStepsFile, replaySteps, writeReplayOutputs }] = await Promise.all([
        import('@tsam/model'),
        import('@tsam/train'),
      ]);
      const { file, dir } = loadStepsFile(opts.steps);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(opts.checkpoint);
      } catch (err) {
        throw new Error(`--checkpoint ${opts.checkpoint}: cannot read (${(err as Error).message})`);
      }
      const base = readCheckpoint(bytes);
      for (const key of ['prompt_encoder.no_mask_embed.weight', 'mask_decoder.mask_tokens.weight'])
        if (!base.has(key))
          throw new Error(
            `--checkpoint ${opts.checkpoint}: no "${key}": replay trains the prompt encoder and mask decoder, give a full SAM checkpoint`,
          );
      inferSamConfig(base); // the rest of the layout, checked before any output is made
      await withOutputs({ dirs: [[opts.out, '--out']] }, async () => {
        const started = Date.now();
        const result = await replaySteps(base, file, dir, (i, loss) => {
          const f = (v: number) => v.toPrecision(6);
          process.stderr.write(
            `step ${i + 1}/${file.steps.length}: loss ${f(loss.loss)} (focal ${f(loss.focal)}, dice ${f(loss.dice)}, iou ${f(loss.iou)})\n`,
          );
        });
        writeReplayOutputs(opts.out, result, base);
        process.stderr.write(`${file.steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s → ${opts.out}\n`);
      });
    });
}

export function trainCommand(): Command {
  return new Command('train').description('training: replay recorded steps with reference parity').addCommand(replayCommand());
}
