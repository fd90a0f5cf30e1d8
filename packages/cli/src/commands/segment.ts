/**
 * `tsam segment IMG --point X,Y[,LABEL] … | --box X0,Y0,X1,Y1`: the everyday one-liner. Writes the
 * mask (8-bit grey PNG, 0/255, image size) and an overlay PNG (mask, outline and prompts drawn on
 * the image). Like SAM's demo, a single point asks for 3 masks and keeps the one with the highest
 * predicted IoU (one point is ambiguous); other prompts ask for one mask.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Command, Option } from 'commander';
import { BOX_FLAG, BOX_HELP, POINT_FLAG, POINT_HELP, parseBox, parsePoint, type PointArg } from '../args.js';
import { assertFinite, checkedPrompt } from '../prompt-args.js';
import { renderSegmentOverlay } from '../overlay.js';
import { withOutputs } from '../out-dir.js';
import { addModelOptions, checkModel, openModel, type ModelOpts } from './model-options.js';

interface SegmentOpts extends ModelOpts {
  point?: PointArg[];
  box?: [number, number, number, number];
  out?: string;
  mask?: string;
  overlay?: string;
  json?: boolean;
}

/** Where the PNGs go: --mask/--overlay as given, --out DIR/{mask,overlay}.png, else <stem>_{mask,overlay}.png here. */
function outputPaths(image: string, opts: SegmentOpts): { mask?: string; overlay?: string } {
  if (opts.out) return { mask: join(opts.out, 'mask.png'), overlay: join(opts.out, 'overlay.png') };
  if (opts.mask || opts.overlay) return { ...(opts.mask && { mask: opts.mask }), ...(opts.overlay && { overlay: opts.overlay }) };
  const stem = basename(image, extname(image));
  return { mask: `${stem}_mask.png`, overlay: `${stem}_overlay.png` };
}

/** Writes a whole file or none (a temp sibling renamed into place). */
async function write(path: string, data: Uint8Array): Promise<void> {
  const { writeFileAtomic } = await import('@tsam/dataset'); // loaded only when the command writes
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, data);
}

export function segmentCommand(): Command {
  const cmd = new Command('segment')
    .description('segment one object from points and/or a box; writes a mask PNG and an overlay PNG')
    .argument('<image>', 'input image (PNG, JPEG, WebP, …)')
    .option(POINT_FLAG, POINT_HELP, parsePoint)
    .option(BOX_FLAG, BOX_HELP, parseBox)
    .option('--out <dir>', 'write DIR/mask.png and DIR/overlay.png')
    .addOption(new Option('--mask <png>', 'write the mask here (0/255 grey PNG)').conflicts('out'))
    .addOption(new Option('--overlay <png>', 'write the overlay here').conflicts('out'))
    .option('--json', 'print a JSON summary on stdout (and nothing else)');
  addModelOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nWithout --out, --mask or --overlay: <name>_mask.png and <name>_overlay.png in the current folder.\n\nExamples:\n  tsam segment photo.jpg --point 320,240\n  tsam segment photo.jpg --box 40,60,400,380 --point 200,200,0 --out seg/',
  );
  return cmd.action(async (imagePath: string, opts: SegmentOpts) => {
    const points = opts.point ?? [];
    const { loadImage, encodeMaskPng } = await import('@tsam/node'); // sharp and onnxruntime load only when the command runs
    const image = await loadImage(imagePath);
    const { width: w, height: h } = image;
    const multimask = points.length === 1 && !opts.box;
    // The core's one rule: points outside the image and zero-width boxes are legal, as in the reference.
    const prompt = checkedPrompt({ multimask, ...(opts.point && { point: opts.point }), ...(opts.box && { box: opts.box }) }, w, h);
    await checkModel(opts);
    const paths = outputPaths(imagePath, opts);
    const files: [string, string][] = [];
    if (paths.mask) files.push([paths.mask, opts.out ? '--out' : '--mask']);
    if (paths.overlay) files.push([paths.overlay, opts.out ? '--out' : '--overlay']);
    await withOutputs({ files }, async () => {
      const sam = await openModel(opts);
      await sam.predictor.setImage(image);
      const pred = await sam.predictor.predict(prompt);
      assertFinite('IoU prediction', pred.iouPredictions);
      assertFinite('low-res logit', pred.lowResLogits);
      const ious = pred.iouPredictions;
      const best = ious.reduce((b, v, i) => (v > ious[b]! ? i : b), 0);
      const mask = pred.masks[best]!;
      let area = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i]) area++;
      if (paths.mask) await write(paths.mask, await encodeMaskPng(mask, w, h));
      if (paths.overlay)
        await write(paths.overlay, await renderSegmentOverlay(image, mask, { points, ...(opts.box && { box: opts.box }) }));
      const which = multimask ? ` (best of ${ious.length})` : '';
      const iou = ious[best]!.toFixed(3);
      const where = [paths.mask, paths.overlay].filter(Boolean).join(', ');
      const percent = (100 * area) / (w * h);
      process.stderr.write(`mask: ${area} px (${percent.toFixed(1)}% of ${w}×${h}), predicted IoU ${iou}${which} → ${where}\n`);
      if (area === 0) {
        process.stderr.write('warning: the mask is empty (no pixel above the threshold); try other or more points, or a --box\n');
      }
      if (opts.json) {
        const summary = { width: w, height: h, area, predicted_iou: ious[best]!, best_of: ious.length, ...paths };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
    });
  });
}
