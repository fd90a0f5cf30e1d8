/**
 * JSON request bodies → @tsam/core inputs. Shape errors become 400s naming the field; `mask_input`
 * is decoded by core's wire codec (WireFormatError → 400), the prompt's values are then checked by
 * validatePrompt (PromptError → 400) and AMG parameters by resolveAmgParams (RangeError → 400 here).
 */
import { AMG_DEFAULTS, amgParamsFromReference, decodeMaskInput, resolveAmgParams, type AmgParams, type PromptInput } from '@tsam/core';
import { badRequest } from './errors.js';

/** The wire's `mask_input` codec (core's wire.ts; its WireFormatError is a 400). */
export { decodeMaskInput };

const PROMPT_FIELDS = ['points', 'labels', 'box', 'mask_input', 'multimask'];

/** Limits that keep one "everything" request from running for hours. */
export const AMG_LIMITS = { maxPointsPerSide: 128, maxPointsPerBatch: 256, maxCropLayers: 3, maxGridPoints: 128 * 128 };

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw badRequest(`the request body must be a JSON object (Content-Type: application/json) with ${what}`);
  }
  return body as Record<string, unknown>;
}

/** `{points?, labels?, box?, mask_input?, multimask?}` → a PromptInput (multimask defaults to true). */
export function parsePrompt(body: unknown): PromptInput {
  const b = objectBody(body, 'points/labels, box and/or mask_input');
  for (const k of Object.keys(b)) {
    if (!PROMPT_FIELDS.includes(k)) throw badRequest(`unknown field ${JSON.stringify(k)}; a prompt has ${PROMPT_FIELDS.join(', ')}`);
  }
  const prompt: Record<string, unknown> = {};
  if (b.points !== undefined) prompt.points = b.points;
  if (b.labels !== undefined) prompt.labels = b.labels;
  if (b.box !== undefined) prompt.box = b.box;
  if (b.mask_input !== undefined && b.mask_input !== null) prompt.maskInput = decodeMaskInput(b.mask_input);
  if (b.multimask !== undefined && typeof b.multimask !== 'boolean')
    throw badRequest(`multimask must be true or false, got ${JSON.stringify(b.multimask)}`);
  prompt.multimaskOutput = b.multimask ?? true;
  // Values (finite coordinates, 0/1 labels, XYXY box, ...) are validated by core's validatePrompt.
  return prompt as PromptInput;
}

/**
 * `{params?}` → AMG parameters, in the reference's snake_case (`points_per_side`) or camelCase
 * (`pointsPerSide`). The output mode is always compressed COCO RLE.
 */
export function parseAmgParams(body: unknown): Partial<AmgParams> {
  const b = objectBody(body, 'optional "params"');
  for (const k of Object.keys(b)) if (k !== 'params') throw badRequest(`unknown field ${JSON.stringify(k)}; expected {"params": {...}}`);
  const raw = objectBody(b.params, 'AMG parameters');
  delete raw.output_mode;
  delete raw.outputMode;
  let params: Partial<AmgParams>;
  try {
    const snake = Object.keys(raw).some((k) => k.includes('_'));
    if (snake) params = amgParamsFromReference(raw);
    else {
      for (const k of Object.keys(raw)) if (!(k in AMG_DEFAULTS)) throw new RangeError(`AMG: unknown parameter ${JSON.stringify(k)}`);
      params = raw as Partial<AmgParams>;
    }
    for (const [k, v] of Object.entries(params)) {
      const def = AMG_DEFAULTS[k as keyof AmgParams];
      if (typeof def === 'number' && typeof v !== 'number' && !(k === 'pointsPerSide' && v === null)) {
        throw new RangeError(`AMG: ${k} must be a number, got ${JSON.stringify(v)}`);
      }
    }
    const p = resolveAmgParams(params);
    if (p.pointsPerBatch > AMG_LIMITS.maxPointsPerBatch)
      throw new RangeError(`AMG: pointsPerBatch is limited to ${AMG_LIMITS.maxPointsPerBatch} on this server`);
    if ((p.pointsPerSide ?? 0) > AMG_LIMITS.maxPointsPerSide)
      throw new RangeError(`AMG: pointsPerSide is limited to ${AMG_LIMITS.maxPointsPerSide} on this server`);
    if (p.cropNLayers > AMG_LIMITS.maxCropLayers)
      throw new RangeError(`AMG: cropNLayers is limited to ${AMG_LIMITS.maxCropLayers} on this server`);
    if ((p.pointGrids ?? []).some((g) => !Array.isArray(g) || g.length > AMG_LIMITS.maxGridPoints)) {
      throw new RangeError(`AMG: each point grid must be an array of at most ${AMG_LIMITS.maxGridPoints} [x, y] points`);
    }
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw badRequest(e.message);
    throw e;
  }
  return params;
}
