/**
 * `tsam predict`: one prompt against one image. Writes DIR/result.json
 * ({iou_predictions, masks: [uncompressed COCO RLE]}), DIR/low_res_logits.npy (C×256×256) and,
 * with --save-embedding, DIR/embedding.npy (1×256×64×64).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { maskToRle, parseNpy, writeNpy, type PromptInput } from '@tsam/core';
import { loadImage } from '@tsam/node';
import { parseBox, parsePoint, type PointArg } from '../args.js';
import { addModelOptions, openModel, type ModelOpts } from './model-options.js';

interface PredictOpts extends ModelOpts {
  image: string;
  point?: PointArg[];
  box?: [number, number, number, number];
  maskInput?: string;
  multimask?: boolean;
  saveEmbedding?: boolean;
  out: string;
}

/** Reads a 256×256 (or 1×256×256) float32 .npy of low-res logits; checked before the (slow) model loads. */
function readMaskInput(path: string): PromptInput['maskInput'] {
  let npy: ReturnType<typeof parseNpy>;
  try {
    npy = parseNpy(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read --mask-input ${path}: ${(e as Error).message}`);
  }
  const [h, w, ...lead] = [...npy.shape].reverse();
  if (h !== 256 || w !== 256 || lead.some((d) => d !== 1)) {
    throw new Error(
      `--mask-input ${path} must hold 256×256 low-res logits (shape [256, 256] or [1, 256, 256]), got shape [${npy.shape.join(', ')}]`,
    );
  }
  return { data: npy.data, shape: npy.shape };
}

export function predictCommand(): Command {
  const cmd = new Command('predict')
    .description('segment one image from point/box/mask prompts')
    .requiredOption('--image <path>', 'input image (PNG, JPEG, WebP, …)')
    .option('--point <x,y,label>', 'point prompt in image pixels; label 1 = foreground, 0 = background (repeatable)', parsePoint)
    .option('--box <x0,y0,x1,y1>', 'box prompt in image pixels', parseBox)
    .option('--mask-input <lowres.npy>', 'previous low-res logits (float32 256×256 or 1×256×256 .npy)')
    .option('--multimask', 'return 3 masks (for ambiguous prompts) instead of 1')
    .option('--save-embedding', 'also write embedding.npy')
    .requiredOption('--out <dir>', 'output directory');
  addModelOptions(cmd);
  cmd.addHelpText('after', '\nExample:\n  tsam predict --image photo.jpg --point 320,240,1 --multimask --out out/');
  return cmd.action(async (opts: PredictOpts) => {
    const prompt: PromptInput = {
      points: (opts.point ?? []).map((p) => [p.x, p.y] as const),
      labels: (opts.point ?? []).map((p) => p.label),
      multimaskOutput: opts.multimask === true,
      ...(opts.box && { box: opts.box }),
      ...(opts.maskInput && { maskInput: readMaskInput(opts.maskInput) }),
    };
    const image = await loadImage(opts.image);
    const sam = await openModel(opts);
    const emb = await sam.predictor.setImage(image);
    const pred = await sam.predictor.predict(prompt);
    mkdirSync(opts.out, { recursive: true });
    const masks = pred.masks.map((m) => maskToRle(m, pred.height, pred.width));
    writeFileSync(join(opts.out, 'result.json'), `${JSON.stringify({ iou_predictions: pred.iouPredictions, masks })}\n`);
    writeFileSync(join(opts.out, 'low_res_logits.npy'), writeNpy(pred.lowResLogits, [pred.masks.length, 256, 256]));
    if (opts.saveEmbedding) writeFileSync(join(opts.out, 'embedding.npy'), writeNpy(emb.data, emb.dims));
    process.stderr.write(
      `${pred.masks.length} mask(s), IoU predictions ${pred.iouPredictions.map((v) => v.toFixed(3)).join(', ')} → ${opts.out}\n`,
    );
  });
}
