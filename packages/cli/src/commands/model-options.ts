/**
 * The options every model-using command shares, and how they open the model. @tsam/node (and so
 * onnxruntime-node and sharp) is imported inside `checkModel`/`openModel`, not here: registering
 * the flags must stay cheap (`tsam --help`).
 */
import { Command, Option } from 'commander';
import type { LoadedSam } from '@tsam/node';
import { parseThreads } from '../args.js';
import { stepProgress } from '../progress.js';

export interface ModelOpts {
  checkpoint?: string;
  modelDir?: string;
  threads?: number;
}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--checkpoint <path|name>', 'SAM checkpoint (.pth/.pt/.safetensors) or a model name from `tsam models list`').default(
        'mobile_sam',
      ),
    )
    .addOption(
      new Option('--model-dir <dir>', 'an exported model directory (from `tsam export`) instead of a checkpoint').conflicts('checkpoint'),
    )
    .addOption(
      new Option('--threads <n>', 'ONNX Runtime intra-op threads')
        .argParser(parseThreads)
        .default(0, "0 = ONNX Runtime's choice, one per physical core"),
    );
}

/** Fails fast (before outputs are checked or images decoded) when the checkpoint cannot be found. */
export async function checkModel(opts: ModelOpts): Promise<void> {
  if (opts.modelDir !== undefined) return;
  const { resolveCheckpoint } = await import('@tsam/node');
  resolveCheckpoint(opts.checkpoint);
}

/** Checkpoint reader errors say what is wrong but not which file: prefix the path (once). */
export function namingCheckpoint(path: string, err: unknown): unknown {
  if (!(err instanceof Error) || err.message.includes(path) || (err as { code?: unknown }).code !== undefined) return err;
  return new Error(`checkpoint ${path}: ${err.message}`, { cause: err });
}

/** Opens the model; a first use of a checkpoint exports it to the cache with a progress bar. */
export async function openModel(opts: ModelOpts): Promise<LoadedSam> {
  const { loadSam, resolveCheckpoint } = await import('@tsam/node');
  const progress = stepProgress('exporting checkpoint to ONNX (once per checkpoint)');
  const checkpoint = opts.modelDir === undefined ? resolveCheckpoint(opts.checkpoint) : undefined;
  try {
    return await loadSam({
      ...(opts.checkpoint !== undefined && opts.modelDir === undefined && { checkpoint: opts.checkpoint }),
      ...(opts.modelDir !== undefined && { modelDir: opts.modelDir }),
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      onStep: progress.onStep,
      onWarning: (m) => process.stderr.write(`tsam: warning: ${m}\n`),
    });
  } catch (e) {
    throw checkpoint ? namingCheckpoint(checkpoint, e) : e;
  } finally {
    progress.stop();
  }
}
