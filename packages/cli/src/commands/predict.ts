/**
 * `tsam predict`: one prompt against one image. Writes DIR/result.json
 * ({iou_predictions, masks: [uncompressed COCO RLE]}), DIR/low_res_logits.npy (C×256×256) and,
 * with --save-embedding, DIR/embedding.npy (1×256×64×64). `--json` prints a summary on stdout.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { maskToRle, rleArea, writeNpy, type MaskInputTensor } from '@tsam/core';
import { BOX_FLAG, BOX_HELP, POINT_FLAG, POINT_HELP, parseBox, parsePoint, type PointArg } from '../args.js';
import { assertFinite, checkedPrompt, readMaskInput } from '../prompt-args.js';
import { withOutputs } from '../out-dir.js';
import { addModelOptions, checkModel, openModel, type ModelOpts } from './model-options.js';

interface PredictOpts extends ModelOpts {
  image: string;
  point?: PointArg[];
  box?: [number, number, number, number];
  maskInput?: string;
  multimask?: boolean;
  saveEmbedding?: boolean;
  json?: boolean;
  out: string;
}

export function predictCommand(): Command {
  const cmd = new Command('predict')
    .description('segment one image from point/box/mask prompts')
    .requiredOption('--image <path>', 'input image (PNG, JPEG, WebP, …)')
    .option(POINT_FLAG, POINT_HELP, parsePoint)
    .option(BOX_FLAG, BOX_HELP, parseBox)
    .option(
      '--mask-input <file[:index]>',
      'previous low-res logits (.npy, 256×256 or C×256×256); with C planes, INDEX picks one, else the plane with the highest IoU in the result.json beside it',
    )
    .option('--multimask', 'return 3 masks (for ambiguous prompts) instead of 1')
    .option('--save-embedding', 'also write embedding.npy')
    .option('--json', 'print a JSON summary on stdout (and nothing else)')
    .requiredOption('--out <dir>', 'output directory');
  addModelOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  tsam predict --image photo.jpg --point 320,240,1 --multimask --out out/\n' +
      '  tsam predict --image photo.jpg --point 320,240,1 --mask-input out/low_res_logits.npy --out out/refined/',
  );
  return cmd.action(async (opts: PredictOpts) => {
    let maskInput: MaskInputTensor | undefined;
    if (opts.maskInput) {
      const read = readMaskInput(opts.maskInput);
      maskInput = read.maskInput;
      if (read.note) process.stderr.write(`${read.note}\n`);
    }
    const { loadImage } = await import('@tsam/node'); // sharp and onnxruntime load only when the command runs
    const { writeFileAtomic } = await import('@tsam/dataset');
    const image = await loadImage(opts.image);
    const prompt = checkedPrompt(
      {
        multimask: opts.multimask === true,
        ...(opts.point && { point: opts.point }),
        ...(opts.box && { box: opts.box }),
        ...(maskInput && { maskInput }),
      },
      image.width,
      image.height,
    );
    await checkModel(opts);
    await withOutputs({ dirs: [[opts.out, '--out']] }, async () => {
      const sam = await openModel(opts);
      const emb = await sam.predictor.setImage(image);
      const pred = await sam.predictor.predict(prompt);
      assertFinite('IoU prediction', pred.iouPredictions);
      assertFinite('low-res logit', pred.lowResLogits);
      if (opts.saveEmbedding) assertFinite('embedding value', emb.data);
      mkdirSync(opts.out, { recursive: true });
      const masks = pred.masks.map((m) => maskToRle(m, pred.height, pred.width));
      const files = ['result.json', 'low_res_logits.npy', ...(opts.saveEmbedding ? ['embedding.npy'] : [])].map((f) => join(opts.out, f));
      // Each file appears whole or not at all (a temp sibling renamed into place).
      await writeFileAtomic(files[0]!, `${JSON.stringify({ iou_predictions: pred.iouPredictions, masks })}\n`);
      await writeFileAtomic(files[1]!, writeNpy(pred.lowResLogits, [pred.masks.length, 256, 256]));
      if (opts.saveEmbedding) await writeFileAtomic(files[2]!, writeNpy(emb.data, emb.dims));
      const areas = masks.map((rle) => rleArea(rle));
      process.stderr.write(
        `${pred.masks.length} mask(s), IoU predictions ${pred.iouPredictions.map((v) => v.toFixed(3)).join(', ')} → ${opts.out}\n`,
      );
      if (opts.json) {
        const summary = { width: pred.width, height: pred.height, iou_predictions: pred.iouPredictions, mask_areas: areas, files };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
    });
  });
}
