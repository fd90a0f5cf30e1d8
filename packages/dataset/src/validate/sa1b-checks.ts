/**
 * Checks of one SA-1B per-image JSON (see `types.ts` for the schema): field types, RLE size equal
 * to the image size, RLE decodable, area = mask pixels, bbox = the mask's box (±1 px), ids unique
 * across the dataset. `fix` recomputes wrong or missing area/bbox in place (SAM's box convention,
 * as SA-1B and `tsam amg` write it).
 */
import { boxToXywh } from '../geometry.js';
import { checkAreaBbox, checkRle, fmt, isInt, isNum, isNumArray, isObj, type IdRegistry, type IssueSink } from './common.js';

export interface Sa1bCheckContext {
  imageIds: IdRegistry;
  annotationIds: IdRegistry;
  fix: boolean;
}

const OPTIONAL_FIELDS = ['predicted_iou', 'stability_score', 'point_coords', 'crop_box'] as const;

/** Validates `json`; returns whether `fix` changed it (so the caller rewrites the file). */
export function checkSa1bRecord(json: unknown, out: IssueSink, ctx: Sa1bCheckContext): boolean {
  if (!isObj(json)) {
    out.error('file', 'not a JSON object');
    return false;
  }
  const image = json.image;
  let H = -1;
  let W = -1;
  if (!isObj(image)) out.error('image', `"image" must be an object, got ${fmt(image)}`);
  else {
    if (!isInt(image.image_id) || image.image_id < 0)
      out.error('image', `image_id must be a non-negative integer, got ${fmt(image.image_id)}`);
    else ctx.imageIds.check(image.image_id, out.file, 'image', out);
    if (!isInt(image.width) || image.width <= 0) out.error('image', `width must be a positive integer, got ${fmt(image.width)}`);
    else W = image.width;
    if (!isInt(image.height) || image.height <= 0) out.error('image', `height must be a positive integer, got ${fmt(image.height)}`);
    else H = image.height;
    if (typeof image.file_name !== 'string' || !image.file_name)
      out.error('image', `file_name must be a non-empty string, got ${fmt(image.file_name)}`);
  }
  const anns: unknown = json.annotations;
  if (!Array.isArray(anns)) {
    out.error('file', `"annotations" must be an array, got ${fmt(anns)}`);
    return false;
  }
  let changed = false;
  const missing = new Map<string, number>();
  anns.forEach((a: unknown, i: number) => {
    if (!isObj(a)) {
      out.error(`annotation #${i}`, 'not an object');
      return;
    }
    const rec = `annotation #${i} (id ${fmt(a.id)})`;
    if (!isInt(a.id)) out.error(rec, `id must be an integer, got ${fmt(a.id)}`);
    else ctx.annotationIds.check(a.id, out.file, rec, out);
    for (const f of OPTIONAL_FIELDS) if (a[f] === undefined) missing.set(f, (missing.get(f) ?? 0) + 1);
    if (a.predicted_iou !== undefined && !isNum(a.predicted_iou))
      out.error(rec, `predicted_iou must be a number, got ${fmt(a.predicted_iou)}`);
    if (a.stability_score !== undefined && !isNum(a.stability_score))
      out.error(rec, `stability_score must be a number, got ${fmt(a.stability_score)}`);
    if (a.crop_box !== undefined && !isNumArray(a.crop_box, 4)) out.error(rec, `crop_box must be [x, y, w, h], got ${fmt(a.crop_box)}`);
    if (a.point_coords !== undefined && !(Array.isArray(a.point_coords) && a.point_coords.every((p) => isNumArray(p, 2)))) {
      out.error(rec, `point_coords must be [[x, y], …], got ${fmt(a.point_coords)}`);
    }
    if (H < 0 || W < 0) return; // no image size to check the mask against
    const g = checkRle(a.segmentation, H, W, rec, out);
    if (!g) return;
    const expect = { area: g.area, bbox: boxToXywh(g.box, g.area, 'sam'), areaTolerance: 0, what: 'mask pixel count' };
    if (checkAreaBbox(a, expect, rec, out, ctx.fix)) changed = true;
  });
  if (missing.size > 0) {
    const list = [...missing].map(([f, n]) => `${f} (${n} of ${anns.length})`).join(', ');
    out.warn('annotations', `missing optional SA-1B fields: ${list}`);
  }
  return changed;
}
