/**
 * The JSON exports of one image.
 *
 * COCO instances: segmentation is compressed RLE (pycocotools) or polygons (outer boundaries, from
 * core's `maskToPolygons`); labels become categories. SA-1B: compressed RLE, SAM's box convention
 * (`w = x1 − x0`), `point_coords`, `predicted_iou`, `crop_box` (the whole image for interactive
 * masks). Both keep the effort spent on each mask: `tsam_clicks` and `tsam_seconds`.
 */
import { boxXyxyToXywh, compressRle, maskToBox, maskToPolygons, maskToRle, polygonsToCoco, rleArea, rleToBbox } from '@tsam/core';
import type { ImageInfo, MaskEntry } from '../state/types.js';

export interface CocoExportOptions {
  polygons: boolean;
}

/** Shoelace area and extent of COCO polygons (COCO stores a polygon's own area and bbox). */
function polygonMeasures(polys: number[][]): { area: number; bbox: [number, number, number, number] } {
  let area = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of polys) {
    let a2 = 0;
    for (let i = 0; i < p.length; i += 2) {
      const [ax, ay, bx, by] = [p[i]!, p[i + 1]!, p[(i + 2) % p.length]!, p[(i + 3) % p.length]!];
      a2 += ax * by - bx * ay;
      [x0, y0, x1, y1] = [Math.min(x0, ax), Math.min(y0, ay), Math.max(x1, ax), Math.max(y1, ay)];
    }
    area += Math.abs(a2) / 2;
  }
  return { area, bbox: [x0, y0, x1 - x0, y1 - y0] };
}

/** Category ids by label, in order of first use. */
export function categoriesOf(masks: readonly MaskEntry[]): Map<string, number> {
  const cats = new Map<string, number>();
  for (const m of masks) if (!cats.has(m.label)) cats.set(m.label, cats.size + 1);
  return cats;
}

/** Effort and provenance fields shared by the COCO and SA-1B exports. */
export function tsamFields(m: MaskEntry): Record<string, unknown> {
  return { tsam_label: m.label, tsam_clicks: m.clicks, tsam_seconds: Math.round(m.seconds * 1000) / 1000, tsam_source: m.source };
}

export function toCoco(image: ImageInfo, masks: readonly MaskEntry[], opts: CocoExportOptions): Record<string, unknown> {
  const { width: w, height: h } = image;
  const cats = categoriesOf(masks);
  const annotations = masks.map((m) => {
    const rle = maskToRle(m.mask, h, w);
    const polys = opts.polygons ? polygonsToCoco(maskToPolygons(m.mask, h, w)) : [];
    const geometry =
      polys.length > 0
        ? { segmentation: polys, ...polygonMeasures(polys) }
        : { segmentation: compressRle(rle), area: rleArea(rle), bbox: rleToBbox(rle) };
    return {
      id: m.id,
      image_id: 1,
      category_id: cats.get(m.label)!,
      ...geometry,
      iscrowd: 0,
      predicted_iou: m.predictedIou,
      ...(m.stabilityScore !== null ? { stability_score: m.stabilityScore } : {}),
      point_coords: m.pointCoords,
      ...tsamFields(m),
    };
  });
  return {
    info: { description: 'tsam annotator export', date_created: new Date().toISOString() },
    images: [{ id: 1, file_name: image.name, width: w, height: h }],
    annotations,
    categories: [...cats].map(([name, id]) => ({ id, name })),
  };
}

export function toSa1b(image: ImageInfo, masks: readonly MaskEntry[], imageId = 1): Record<string, unknown> {
  const { width: w, height: h } = image;
  return {
    image: { image_id: imageId, width: w, height: h, file_name: image.name },
    annotations: masks.map((m) => {
      const rle = maskToRle(m.mask, h, w);
      return {
        id: m.id,
        segmentation: compressRle(rle),
        bbox: boxXyxyToXywh(maskToBox(m.mask, h, w)),
        area: rleArea(rle),
        predicted_iou: m.predictedIou,
        point_coords: m.pointCoords,
        ...(m.stabilityScore !== null ? { stability_score: m.stabilityScore } : {}),
        crop_box: [0, 0, w, h],
        ...tsamFields(m),
      };
    }),
  };
}
