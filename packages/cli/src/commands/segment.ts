/**
 * `tsam segment IMG --point X,Y[,LABEL] … | --box X0,Y0,X1,Y1`: the everyday one-liner. Writes the
 * mask (8-bit grey PNG, 0/255, image size) and an overlay PNG (mask, outline and prompts drawn on
 * the image). Like SAM's demo, a single point asks for 3 masks and keeps the one with the highest
 * predicted IoU (one point is ambiguous); other prompts ask for one mask.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadImage, encodeMaskPng } from '@tsam/node';
import { parseBox, type PointArg } from '../args.js';
import { renderSegmentOverlay } from '../overlay.js';
import { addModelOptions, openModel, type ModelOpts } from './model-options.js';

/** `X,Y` (foreground) or `X,Y,LABEL` (1 = foreground, 0 = background), in image pixels. Repeatable. */
export function parseSegmentPoint(value: string, previous: PointArg[] = []): PointArg[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError(`expected X,Y or X,Y,LABEL (e.g. 120,80 or 120,80,0), got "${value}"`);
  }
  const [x, y, label = 1] = nums as [number, number, number?];
  if (label !== 0 && label !== 1)
    throw new InvalidArgumentError(`point label must be 1 (foreground) or 0 (background), got ${label} in "${value}"`);
  return [...previous, { x, y, label }];
}

interface SegmentOpts extends ModelOpts {
  point?: PointArg[];
  box?: [number, number, number, number];
  out?: string;
  mask?: string;
  overlay?: string;
}

/** Where the PNGs go: --mask/--overlay as given, --out DIR/{mask,overlay}.png, else <stem>_{mask,overlay}.png here. */
function outputPaths(image: string, opts: SegmentOpts): { mask?: string; overlay?: string } {
  if (opts.out) return { mask: join(opts.out, 'mask.png'), overlay: join(opts.out, 'overlay.png') };
  if (opts.mask || opts.overlay) return { ...(opts.mask && { mask: opts.mask }), ...(opts.overlay && { overlay: opts.overlay }) };
  const stem = basename(image, extname(image));
  return { mask: `${stem}_mask.png`, overlay: `${stem}_overlay.png` };
}

function write(path: string, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

export function segmentCommand(): Command {
  const cmd = new Command('segment')
    .description('segment one object from points and/or a box; writes a mask PNG and an overlay PNG')
    .argument('<image>', 'input image (PNG, JPEG, WebP, …)')
    .option(
      '--point <x,y[,label]>',
      'point in image pixels; label 1 = foreground (default), 0 = background (repeatable)',
      parseSegmentPoint,
    )
    .option('--box <x0,y0,x1,y1>', 'box in image pixels', parseBox)
    .option('--out <dir>', 'write DIR/mask.png and DIR/overlay.png')
    .addOption(new Option('--mask <png>', 'write the mask here (0/255 grey PNG)').conflicts('out'))
    .addOption(new Option('--overlay <png>', 'write the overlay here').conflicts('out'));
  addModelOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nWithout --out, --mask or --overlay: <name>_mask.png and <name>_overlay.png in the current folder.\n\nExamples:\n  tsam segment photo.jpg --point 320,240\n  tsam segment photo.jpg --box 40,60,400,380 --point 200,200,0 --out seg/',
  );
  return cmd.action(async (imagePath: string, opts: SegmentOpts) => {
    const points = opts.point ?? [];
    if (points.length === 0 && !opts.box) throw new Error('give at least one --point X,Y or a --box X0,Y0,X1,Y1');
    const image = await loadImage(imagePath);
    const { width: w, height: h } = image;
    for (const p of points) {
      if (p.x < 0 || p.y < 0 || p.x >= w || p.y >= h) throw new Error(`--point ${p.x},${p.y} is outside the ${w}×${h} image`);
    }
    if (opts.box && (opts.box[2] <= opts.box[0] || opts.box[3] <= opts.box[1]))
      throw new Error(`--box ${opts.box.join(',')}: needs x0 < x1 and y0 < y1`);
    const multimask = points.length === 1 && !opts.box;
    const sam = await openModel(opts);
    await sam.predictor.setImage(image);
    const pred = await sam.predictor.predict({
      points: points.map((p) => [p.x, p.y] as const),
      labels: points.map((p) => p.label),
      multimaskOutput: multimask,
      ...(opts.box && { box: opts.box }),
    });
    const ious = pred.iouPredictions;
    const best = ious.reduce((b, v, i) => (v > ious[b]! ? i : b), 0);
    const mask = pred.masks[best]!;
    let area = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) area++;
    const paths = outputPaths(imagePath, opts);
    if (paths.mask) write(paths.mask, await encodeMaskPng(mask, w, h));
    if (paths.overlay) write(paths.overlay, await renderSegmentOverlay(image, mask, { points, ...(opts.box && { box: opts.box }) }));
    const which = multimask ? ` (best of ${ious.length})` : '';
    const iou = ious[best]!.toFixed(3);
    const where = [paths.mask, paths.overlay].filter(Boolean).join(', ');
    process.stderr.write(
      `mask: ${area} px (${((100 * area) / (w * h)).toFixed(1)}% of ${w}×${h}), predicted IoU ${iou}${which} → ${where}\n`,
    );
  });
}
