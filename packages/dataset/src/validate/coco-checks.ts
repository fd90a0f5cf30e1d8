/**
 * Checks of a COCO instances file: unique image / annotation / category ids, annotations that
 * point at existing images and categories, segmentations that decode at the image's size, and
 * area / bbox consistent with the mask.
 *
 * RLE segmentations: area must equal the pixel count, bbox pycocotools' `toBbox` (±1 px).
 * Polygons: COCO stores the polygon's own area and extent, so area must be within the polygon
 * perimeter of the rasterised pixel count (rasterising moves each boundary pixel by < 1 px), and
 * bbox within 1 px of the polygon extent. `fix` writes those same conventions back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rleFromSegmentation } from '@tsam/core';
import { boxToXywh, rleGeometry } from '../geometry.js';
import { checkAreaBbox, checkRle, fmt, IdRegistry, isInt, isNumArray, isObj, type IssueSink } from './common.js';

/** Shoelace area (sum over the polygons), perimeter and extent of COCO polygons. */
function polygonMeasures(polys: number[][]): { area: number; perimeter: number; bbox: number[] } {
  let area = 0;
  let perimeter = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of polys) {
    let a2 = 0;
    const k = p.length / 2;
    for (let i = 0; i < k; i++) {
      const [ax, ay, bx, by] = [p[2 * i]!, p[2 * i + 1]!, p[(2 * i + 2) % p.length]!, p[(2 * i + 3) % p.length]!];
      a2 += ax * by - bx * ay;
      perimeter += Math.hypot(bx - ax, by - ay);
      [x0, y0, x1, y1] = [Math.min(x0, ax), Math.min(y0, ay), Math.max(x1, ax), Math.max(y1, ay)];
    }
    area += Math.abs(a2) / 2;
  }
  return { area, perimeter, bbox: [x0, y0, x1 - x0, y1 - y0] };
}

/** Validates a parsed COCO file in place; returns whether `fix` changed it. */
export function checkCoco(ds: unknown, out: IssueSink, opts: { fix: boolean; imagesDir?: string }): boolean {
  if (!isObj(ds) || !Array.isArray(ds.images) || !Array.isArray(ds.annotations)) {
    out.error('file', 'not a COCO instances file: needs "images" and "annotations" arrays');
    return false;
  }
  const images = new Map<number, { h: number; w: number }>();
  const imageIds = new IdRegistry('image');
  ds.images.forEach((img: unknown, i: number) => {
    const rec = `images[${i}]${isObj(img) ? ` (id ${fmt(img.id)})` : ''}`;
    if (!isObj(img) || !isInt(img.id)) return out.error(rec, 'image needs an integer id');
    imageIds.check(img.id, `images[${i}]`, rec, out);
    if (!isInt(img.width) || !isInt(img.height) || img.width <= 0 || img.height <= 0)
      return out.error(rec, `width/height must be positive integers, got ${fmt(img.width)}×${fmt(img.height)}`);
    if (typeof img.file_name !== 'string' || !img.file_name)
      out.error(rec, `file_name must be a non-empty string, got ${fmt(img.file_name)}`);
    else if (opts.imagesDir && !existsSync(join(opts.imagesDir, img.file_name)))
      out.error(rec, `image file ${img.file_name} not found in ${opts.imagesDir}`);
    images.set(img.id, { h: img.height, w: img.width });
  });
  const categories = new Set<number>();
  if (!Array.isArray(ds.categories)) out.warn('file', 'no "categories" array');
  else {
    const catIds = new IdRegistry('category');
    ds.categories.forEach((c: unknown, i: number) => {
      if (!isObj(c) || !isInt(c.id)) return out.error(`categories[${i}]`, 'category needs an integer id');
      catIds.check(c.id, `categories[${i}]`, `categories[${i}]`, out);
      categories.add(c.id);
    });
  }
  const annIds = new IdRegistry('annotation');
  let changed = false;
  ds.annotations.forEach((a: unknown, i: number) => {
    const rec = `annotations[${i}]${isObj(a) ? ` (id ${fmt(a.id)})` : ''}`;
    if (!isObj(a)) return out.error(rec, 'not an object');
    if (!isInt(a.id)) out.error(rec, `id must be an integer, got ${fmt(a.id)}`);
    else annIds.check(a.id, `annotations[${i}]`, rec, out);
    if (Array.isArray(ds.categories) && !categories.has(a.category_id as number))
      out.error(rec, `category_id ${fmt(a.category_id)} is not in categories`);
    if (a.iscrowd !== undefined && a.iscrowd !== 0 && a.iscrowd !== 1) out.error(rec, `iscrowd must be 0 or 1, got ${fmt(a.iscrowd)}`);
    const img = isInt(a.image_id) ? images.get(a.image_id) : undefined;
    if (!img) return out.error(rec, `image_id ${fmt(a.image_id)} is not in images`);
    const seg = a.segmentation;
    if (Array.isArray(seg)) {
      if (seg.length === 0 || !seg.every((p) => isNumArray(p) && p.length >= 6 && p.length % 2 === 0)) {
        return out.error(rec, 'polygon segmentation must be [[x0, y0, x1, y1, x2, y2, …], …] (≥ 3 points each)');
      }
      const pm = polygonMeasures(seg as number[][]);
      const pixels = rleFromSegmentation(seg as number[][], img.h, img.w);
      const g = rleGeometry(pixels.counts, img.h, img.w);
      if (g.area === 0) out.warn(rec, 'polygon covers no pixel centre (empty mask)');
      const expect = {
        area: g.area,
        fixArea: pm.area,
        bbox: pm.bbox,
        areaTolerance: Math.max(1, pm.perimeter),
        what: 'rasterised pixel count',
      };
      if (checkAreaBbox(a, expect, rec, out, opts.fix)) changed = true;
      return;
    }
    const g = checkRle(seg, img.h, img.w, rec, out);
    if (!g) return;
    if (
      checkAreaBbox(
        a,
        { area: g.area, bbox: boxToXywh(g.box, g.area, 'coco'), areaTolerance: 0, what: 'mask pixel count' },
        rec,
        out,
        opts.fix,
      )
    )
      changed = true;
  });
  return changed;
}
