/**
 * From command-line prompt flags to a checked `PromptInput`: `--mask-input FILE[:INDEX]` (one plane
 * of a C×256×256 low-res logits .npy), the core's `validatePrompt` with the flag named in its
 * message, and the last guard that no NaN reaches an output file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOW_RES_SIZE, PromptError, parseNpy, validatePrompt, type MaskInputTensor, type PromptInput } from '@tsam/core';
import type { PointArg } from './args.js';

const PLANE = LOW_RES_SIZE * LOW_RES_SIZE;

/** `FILE` or `FILE:INDEX` (a file whose name itself ends in `:N` wins when it exists). */
export function parseMaskInputSpec(spec: string): { path: string; index?: number } {
  const m = /^(.+):(\d+)$/.exec(spec);
  if (!m || existsSync(spec)) return { path: spec };
  return { path: m[1]!, index: Number(m[2]) };
}

/** `iou_predictions` of the result.json written beside a low_res_logits.npy, when it has C entries. */
function iousBeside(path: string, planes: number): { file: string; ious: number[] } | undefined {
  const file = join(dirname(path), 'result.json');
  try {
    const ious = (JSON.parse(readFileSync(file, 'utf8')) as { iou_predictions?: unknown }).iou_predictions;
    if (Array.isArray(ious) && ious.length === planes && ious.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return { file, ious: ious as number[] };
    }
  } catch {
    // no (readable) result.json: fall back to plane 0 and say so
  }
  return undefined;
}

/**
 * Reads low-res logits for `--mask-input`: shape [256, 256], [C, 256, 256] or [1, C, 256, 256]
 * (e.g. `tsam predict --multimask`'s low_res_logits.npy). With C > 1 the plane is `INDEX`, else the
 * one with the highest predicted IoU in the result.json beside the file, else plane 0; `note`
 * says which. Checked before the (slow) model loads.
 */
export function readMaskInput(spec: string): { maskInput: MaskInputTensor; note?: string } {
  const { path, index } = parseMaskInputSpec(spec);
  let npy: ReturnType<typeof parseNpy>;
  try {
    npy = parseNpy(readFileSync(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file (give the low_res_logits.npy written by `tsam predict`)' : err.message;
    throw new Error(`cannot read --mask-input ${path}: ${why}`);
  }
  const shape = [...npy.shape];
  const [w, h, c = 1, ...lead] = [...shape].reverse();
  if (h !== LOW_RES_SIZE || w !== LOW_RES_SIZE || lead.some((d) => d !== 1) || npy.data.length !== c * PLANE) {
    throw new Error(
      `--mask-input ${path} must hold 256×256 low-res logits (shape [256, 256], [C, 256, 256] or [1, C, 256, 256]), got shape [${shape.join(', ')}]`,
    );
  }
  let plane = index ?? 0;
  let note: string | undefined;
  if (index !== undefined) {
    if (index >= c) throw new Error(`--mask-input ${spec}: plane ${index} does not exist, the file holds ${c} plane(s) (0–${c - 1})`);
  } else if (c > 1) {
    const beside = iousBeside(path, c);
    if (beside) {
      plane = beside.ious.indexOf(Math.max(...beside.ious));
      note = `--mask-input: plane ${plane} of ${c}, the highest predicted IoU (${beside.ious[plane]!.toFixed(3)}) in ${beside.file}`;
    } else {
      note = `--mask-input: plane 0 of ${c} (no result.json with ${c} IoUs beside ${path}); pick another with ${path}:INDEX`;
    }
  }
  return {
    maskInput: { data: npy.data.slice(plane * PLANE, (plane + 1) * PLANE), shape: [LOW_RES_SIZE, LOW_RES_SIZE] },
    ...(note && { note }),
  };
}

/** The flag a core field name came from, e.g. `points[1]` → `the 2nd --point`. */
function flagFor(message: string): string {
  const m = /^points\[(\d+)\]/.exec(message);
  if (m) return `--point #${Number(m[1]) + 1}`;
  if (message.startsWith('box')) return '--box';
  if (message.startsWith('maskInput')) return '--mask-input';
  return 'prompt';
}

/**
 * Builds the prompt from the flags and checks it with the core's one rule (`validatePrompt`)
 * against the decoded image size, before any model work. Errors name the flag.
 */
export function checkedPrompt(
  flags: { point?: PointArg[]; box?: [number, number, number, number]; maskInput?: MaskInputTensor; multimask: boolean },
  width: number,
  height: number,
): PromptInput {
  const points = flags.point ?? [];
  const prompt: PromptInput = {
    points: points.map((p) => [p.x, p.y] as const),
    labels: points.map((p) => p.label),
    multimaskOutput: flags.multimask,
    ...(flags.box && { box: flags.box }),
    ...(flags.maskInput && { maskInput: flags.maskInput }),
  };
  try {
    validatePrompt(prompt, width, height);
  } catch (e) {
    if (!(e instanceof PromptError)) throw e;
    const msg = e.message.startsWith('empty prompt')
      ? 'empty prompt: give at least one --point X,Y or a --box X0,Y0,X1,Y1 (predict also takes --mask-input FILE)'
      : e.message;
    throw new Error(`${flagFor(e.message)}: ${msg}`);
  }
  return prompt;
}

/**
 * The last guard before anything is written: a model output holding NaN or ±Infinity is an error,
 * never a file (no command may exit 0 with NaN in its output).
 */
export function assertFinite(what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new Error(
        `the model produced a non-finite ${what} (${values[i]} at index ${i}); nothing was written. ` +
          'The checkpoint probably holds NaN or Infinity weights: try another one.',
      );
    }
  }
}
