/**
 * Prompts: the user-facing prompt type (in original-image pixels), its validation, and its
 * conversion to the inputs of the official SAM ONNX mask decoder
 * (segment_anything/utils/onnx.py `SamOnnxModel`).
 *
 * Coordinates: `points` are `[x, y]` and `box` is XYXY `[x0, y0, x1, y1]`, both in original-image
 * pixels (`ImagePx`). Labels: 1 = foreground, 0 = background. `maskInput` is low-res logits in the
 * 256×256 `LowResPx` space (e.g. the best `low_res_logits` of a previous prediction).
 */
import type { Box, ImagePx, Point } from './coords.js';
import { LOW_RES_SIZE, MODEL_INPUT_SIZE, imageBox, imagePoint } from './coords.js';
import { applyBoxes, applyCoords } from './transforms.js';

/** Low-res mask logits with an explicit shape: `[256, 256]`, `[1, 256, 256]` or `[1, 1, 256, 256]`. */
export interface MaskInputTensor {
  data: Float32Array;
  shape: readonly number[];
}

/** A SAM prompt in original-image pixels. At least one of points, box or maskInput is required. */
export interface PromptInput {
  /** Point prompts `[x, y]` in image pixels (points outside the image are allowed). */
  points?: ReadonlyArray<readonly [number, number]>;
  /** One label per point: 1 = foreground, 0 = background. */
  labels?: ReadonlyArray<number>;
  /** Box prompt XYXY `[x0, y0, x1, y1]` in image pixels. */
  box?: readonly [number, number, number, number];
  /** 256×256 low-res mask logits (row-major), e.g. from a previous prediction. */
  maskInput?: Float32Array | MaskInputTensor;
  /** Return 3 masks instead of 1 (SAM's `multimask_output`, default true). */
  multimaskOutput?: boolean;
  /** Return un-thresholded logits instead of binary masks (SAM's `return_logits`, default false). */
  returnLogits?: boolean;
}

/** A prompt that passed `validatePrompt`, with defaults filled in and branded coordinates. */
export interface ValidatedPrompt {
  points: Point<ImagePx>[];
  labels: number[];
  box?: Box<ImagePx>;
  /** 256×256 row-major low-res logits (a copy). */
  maskInput?: Float32Array;
  multimaskOutput: boolean;
  returnLogits: boolean;
}

/** Thrown when a prompt is malformed. */
export class PromptError extends Error {
  override name = 'PromptError';
}

const MASK_LEN = LOW_RES_SIZE * LOW_RES_SIZE;

/**
 * Largest |coordinate| (image pixels) a point or box may have. Points outside the image stay
 * legal, as in the reference, but a finite value such as 1e39 becomes Infinity in float32 and the
 * decoder returns NaN. The bound keeps every float32 stage finite: ResizeLongestSide scales by at
 * most 1024 (a 1-pixel image), so the 1024-frame coordinate is ≤ 1.0e9; the prompt encoder's
 * positional encoding multiplies (2·c/1024 − 1) ≤ 2e6 by a Gaussian matrix (entries of a few
 * units) and 2π, ≈1e8 — about 30 orders of magnitude below float32's 3.4e38.
 */
export const MAX_PROMPT_COORD = 1e6;

/** A finite number within ±MAX_PROMPT_COORD. */
function isSaneCoord(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_PROMPT_COORD;
}

const COORD_RULE = `finite numbers with |value| ≤ ${MAX_PROMPT_COORD} pixels`;

function fmt(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

/** Throws naming the first NaN/±Infinity: one would turn every output logit into NaN. */
function checkFinite(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const [r, c] = [Math.floor(i / LOW_RES_SIZE), i % LOW_RES_SIZE];
      throw new PromptError(`maskInput holds a non-finite value ${v} at row ${r}, column ${c}: mask logits must be finite numbers`);
    }
  }
  return data;
}

function checkMaskInput(m: Float32Array | MaskInputTensor): Float32Array {
  const side = `${LOW_RES_SIZE}×${LOW_RES_SIZE}`;
  if (m instanceof Float32Array) {
    if (m.length !== MASK_LEN) {
      throw new PromptError(`maskInput must be ${side} low-res logits (${MASK_LEN} values), got ${m.length} values`);
    }
    return checkFinite(m.slice());
  }
  if (typeof m !== 'object' || m === null || !(m.data instanceof Float32Array) || !Array.isArray(m.shape)) {
    throw new PromptError(`maskInput must be a Float32Array or {data: Float32Array, shape}`);
  }
  const shape = m.shape;
  const lead = shape.slice(0, -2);
  const ok =
    shape.length >= 2 &&
    shape.length <= 4 &&
    shape[shape.length - 2] === LOW_RES_SIZE &&
    shape[shape.length - 1] === LOW_RES_SIZE &&
    lead.every((d) => d === 1);
  if (!ok) throw new PromptError(`maskInput must be ${side} low-res logits (shape [1, 1, 256, 256]), got shape [${shape.join(', ')}]`);
  if (m.data.length !== MASK_LEN) {
    throw new PromptError(`maskInput shape [${shape.join(', ')}] does not match its data length ${m.data.length}`);
  }
  return checkFinite(m.data.slice());
}

/**
 * Check a prompt against an `imageW`×`imageH` image and normalise it. Throws `PromptError` for
 * coordinates that are not finite or exceed ±MAX_PROMPT_COORD (points outside the image are fine),
 * a NaN/Infinity in the mask input, labels that don't match the points or aren't 0/1, an inverted box,
 * a mask input that isn't 256×256, or an empty prompt (no points, no box and no mask).
 */
export function validatePrompt(p: PromptInput, imageW: number, imageH: number): ValidatedPrompt {
  if (!Number.isInteger(imageW) || !Number.isInteger(imageH) || imageW <= 0 || imageH <= 0) {
    throw new PromptError(`image size must be positive integers, got ${fmt(imageW)}×${fmt(imageH)} (W×H)`);
  }
  if (typeof p !== 'object' || p === null) throw new PromptError('prompt must be an object');
  const rawPoints = p.points ?? [];
  const rawLabels = p.labels ?? [];
  if (!Array.isArray(rawPoints)) throw new PromptError('points must be an array of [x, y]');
  if (!Array.isArray(rawLabels)) throw new PromptError('labels must be an array of 0/1');

  const points: Point<ImagePx>[] = rawPoints.map((pt: unknown, i) => {
    if (!Array.isArray(pt) || pt.length !== 2) throw new PromptError(`points[${i}] must be [x, y], got ${fmt(pt)}`);
    const [x, y] = pt as [unknown, unknown];
    if (!isSaneCoord(x) || !isSaneCoord(y)) {
      throw new PromptError(
        `points[${i}] has a non-finite or out-of-range coordinate (x=${fmt(x)}, y=${fmt(y)}): coordinates must be ${COORD_RULE}`,
      );
    }
    return imagePoint(x, y);
  });
  if (rawLabels.length !== points.length) {
    throw new PromptError(`labels must have one entry per point: got ${rawLabels.length} labels for ${points.length} points`);
  }
  const labels = rawLabels.map((l: unknown, i) => {
    if (l !== 0 && l !== 1) throw new PromptError(`labels[${i}] = ${fmt(l)} is not 0 (background) or 1 (foreground)`);
    return l;
  });

  let box: Box<ImagePx> | undefined;
  if (p.box !== undefined) {
    const b: unknown = p.box;
    if (!Array.isArray(b) || b.length !== 4) throw new PromptError(`box must be [x0, y0, x1, y1], got ${fmt(b)}`);
    const [x0, y0, x1, y1] = b as unknown[];
    if (![x0, y0, x1, y1].every(isSaneCoord)) {
      throw new PromptError(
        `box has a non-finite or out-of-range coordinate: [${[x0, y0, x1, y1].map(fmt).join(', ')}]; coordinates must be ${COORD_RULE}`,
      );
    }
    const [bx0, by0, bx1, by1] = [x0, y0, x1, y1] as [number, number, number, number];
    if (bx1 < bx0) throw new PromptError(`box must be XYXY with x1 >= x0, got x0=${bx0}, x1=${bx1}`);
    if (by1 < by0) throw new PromptError(`box must be XYXY with y1 >= y0, got y0=${by0}, y1=${by1}`);
    box = imageBox(bx0, by0, bx1, by1);
  }

  const maskInput = p.maskInput !== undefined ? checkMaskInput(p.maskInput) : undefined;

  if (points.length === 0 && box === undefined && maskInput === undefined) {
    throw new PromptError('empty prompt: give at least one point, a box or a maskInput');
  }
  for (const key of ['multimaskOutput', 'returnLogits'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'boolean') throw new PromptError(`${key} must be a boolean, got ${fmt(p[key])}`);
  }
  const out: ValidatedPrompt = {
    points,
    labels,
    multimaskOutput: p.multimaskOutput ?? true,
    returnLogits: p.returnLogits ?? false,
  };
  if (box) out.box = box;
  if (maskInput) out.maskInput = maskInput;
  return out;
}

/** A float32 tensor for the ONNX decoder: data plus dims. */
export interface DecoderTensor {
  data: Float32Array;
  dims: number[];
}

/**
 * Inputs of the official SAM ONNX decoder, keyed by their ONNX input names.
 * - `point_coords` `[1, N, 2]`: `[x, y]` in the 1024 model space (`ModelPx`).
 * - `point_labels` `[1, N]`: 1 fg, 0 bg, 2/3 box top-left/bottom-right, -1 padding (not a point).
 * - `mask_input` `[1, 1, 256, 256]`: low-res logits (zeros when absent).
 * - `has_mask_input` `[1]`: 1 if `mask_input` is used, else 0.
 * - `orig_im_size` `[2]`: `[H, W]` of the original image.
 */
export interface DecoderPrompt {
  point_coords: DecoderTensor;
  point_labels: DecoderTensor;
  mask_input: DecoderTensor;
  has_mask_input: DecoderTensor;
  orig_im_size: DecoderTensor;
}

export interface DecoderPromptOptions {
  /** Longest side of the model input (1024). */
  longSide?: number;
  /**
   * Sparse tokens for a mask-only prompt (no points, no box). `'pad'` (default, the ONNX
   * convention) sends one padding point; `'none'` sends N = 0 points, which is what the PyTorch
   * prompt encoder does when it receives neither points nor boxes.
   */
  maskOnly?: 'pad' | 'none';
}

/**
 * Validate a prompt in image pixels and build the ONNX decoder inputs: the points with their
 * labels, then the box corners (labels 2, 3) if there is a box, otherwise one padding point
 * `(0, 0)` with label -1 (as SAM's prompt encoder pads when no box is given); coordinates are
 * mapped to the model space with ResizeLongestSide.
 */
export function buildDecoderPrompt(
  p: PromptInput | ValidatedPrompt,
  imageW: number,
  imageH: number,
  options: DecoderPromptOptions = {},
): DecoderPrompt {
  const v = validatePrompt(p, imageW, imageH);
  const longSide = options.longSide ?? MODEL_INPUT_SIZE;
  const coords: number[] = [];
  const labels: number[] = [];
  applyCoords(v.points, imageH, imageW, longSide).forEach(([x, y], i) => {
    coords.push(x, y);
    labels.push(v.labels[i] ?? 0);
  });
  if (v.box) {
    const [mb] = applyBoxes([v.box], imageH, imageW, longSide);
    const [x0, y0, x1, y1] = mb ?? [0, 0, 0, 0];
    coords.push(x0, y0, x1, y1);
    labels.push(2, 3);
  } else if (v.points.length > 0 || options.maskOnly !== 'none') {
    coords.push(0, 0);
    labels.push(-1);
  }
  const n = labels.length;
  return {
    point_coords: { data: Float32Array.from(coords), dims: [1, n, 2] },
    point_labels: { data: Float32Array.from(labels), dims: [1, n] },
    mask_input: { data: v.maskInput ?? new Float32Array(MASK_LEN), dims: [1, 1, LOW_RES_SIZE, LOW_RES_SIZE] },
    has_mask_input: { data: Float32Array.of(v.maskInput ? 1 : 0), dims: [1] },
    orig_im_size: { data: Float32Array.of(imageH, imageW), dims: [2] },
  };
}
