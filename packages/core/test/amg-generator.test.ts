/**
 * AutomaticMaskGenerator against fake sessions: a "decoder" that answers each point with discs
 * around it (three sizes, fixed IoU predictions) plus a speck, so the filters, NMS, crops,
 * small-region cleanup, output modes and progress can be checked without a model.
 */
import { describe, expect, it } from 'vitest';
import {
  AutomaticMaskGenerator,
  compressRle,
  generateCropBoxes,
  maskToBox,
  rleToMask,
  type AmgParams,
  type Rle,
  type SessionLike,
  type TensorLike,
} from '../src/index.js';

const IOUS = [0.1, 0.9, 0.95, 0.5]; // per mask token; token 0 is never used (multimask)
const RADII = [0, 6, 12, 24]; // disc radius in low-res (256²) pixels per token

interface Calls {
  encoder: number[][]; // [w, h] of each encoded (resized) image… recorded as input dims
  batches: { b: number; fetches: readonly string[] | undefined; inputs: string[] }[];
}

function fakeSessions(calls: Calls, speck = false): { encoder: SessionLike; batchedDecoder: SessionLike } {
  const encoder: SessionLike = {
    async run(feeds) {
      calls.encoder.push([...(feeds.image?.dims ?? [])]);
      return { image_embeddings: { data: new Float32Array(256 * 64 * 64), dims: [1, 256, 64, 64] } };
    },
  };
  const batchedDecoder: SessionLike = {
    async run(feeds: Record<string, TensorLike>, fetches?: readonly string[]) {
      const coords = feeds.point_coords!;
      const b = coords.dims[0]!;
      calls.batches.push({ b, fetches, inputs: Object.keys(feeds).sort() });
      const iou = new Float32Array(b * 4);
      const low = new Float32Array(b * 4 * 65536);
      for (let i = 0; i < b; i++) {
        const cx = coords.data[4 * i]! / 4;
        const cy = coords.data[4 * i + 1]! / 4;
        for (let m = 0; m < 4; m++) {
          iou[i * 4 + m] = IOUS[m]!;
          const plane = low.subarray((i * 4 + m) * 65536, (i * 4 + m + 1) * 65536);
          for (let y = 0; y < 256; y++)
            for (let x = 0; x < 256; x++)
              plane[y * 256 + x] = Math.max(-100, Math.min(100, 20 * (RADII[m]! - Math.hypot(x + 0.5 - cx, y + 0.5 - cy))));
          if (speck)
            for (const [x, y] of [
              [2, 2],
              [3, 2],
              [2, 3],
              [3, 3],
            ])
              plane[y! * 256 + x!] = 50; // 2×2 island
        }
      }
      const out: Record<string, TensorLike> = {
        iou_predictions: { data: iou, dims: [b, 4] },
        low_res_masks: { data: low, dims: [b, 4, 256, 256] },
      };
      return fetches ? Object.fromEntries(fetches.map((k) => [k, out[k]!])) : out;
    },
  };
  return { encoder, batchedDecoder };
}

/** A 256×192 RGB image: the model input scale is exactly 4, so one low-res pixel is one image pixel. */
const IMAGE = { data: new Uint8Array(256 * 192 * 3), width: 256, height: 192 };

async function run(params: Partial<AmgParams>, speck = false) {
  const calls: Calls = { encoder: [], batches: [] };
  const progress: [number, number][] = [];
  const gen = new AutomaticMaskGenerator(fakeSessions(calls, speck), params);
  const records = await gen.generate(IMAGE, { onProgress: (d, t) => progress.push([d, t]) });
  return { records, calls, progress };
}

describe('AutomaticMaskGenerator (fake model)', () => {
  it('decodes in batches, fetching only the low-res outputs, and reports progress', async () => {
    const { calls, progress } = await run({ pointsPerSide: 5, pointsPerBatch: 10, outputMode: 'uncompressed_rle' });
    expect(calls.encoder).toEqual([[1, 3, 1024, 1024]]);
    expect(calls.batches.map((c) => c.b)).toEqual([10, 10, 5]);
    for (const c of calls.batches) {
      expect(c.fetches).toEqual(['iou_predictions', 'low_res_masks']);
      expect(c.inputs).toEqual(['image_embeddings', 'point_coords', 'point_labels']);
    }
    expect(progress).toEqual([
      [0, 25],
      [10, 25],
      [20, 25],
      [25, 25],
    ]);
  });

  it('applies the IoU and stability filters and describes each mask consistently', async () => {
    const { records } = await run({ pointsPerSide: 3, boxNmsThresh: 1.0, outputMode: 'uncompressed_rle' });
    // IoU filter (> 0.88) keeps tokens 1 and 2 only; discs are steep, so stability passes.
    expect(records).toHaveLength(18);
    expect(new Set(records.map((r) => r.predicted_iou))).toEqual(new Set([Math.fround(0.9), Math.fround(0.95)]));
    for (const r of records) {
      const rle = r.segmentation as Rle;
      expect(rle.size).toEqual([192, 256]);
      const mask = rleToMask(rle);
      const [x0, y0, x1, y1] = maskToBox(mask, 192, 256);
      expect(r.bbox).toEqual([x0, y0, x1 - x0, y1 - y0]);
      expect(r.area).toBe(mask.reduce((a, b) => a + b, 0));
      expect(r.stability_score).toBeGreaterThanOrEqual(0.95);
      expect(r.crop_box).toEqual([0, 0, 256, 192]);
      // the disc is centred on the prompt point
      const [[px, py]] = r.point_coords;
      expect(Math.abs((x0 + x1 + 1) / 2 - px)).toBeLessThan(1.5);
      expect(Math.abs((y0 + y1 + 1) / 2 - py)).toBeLessThan(1.5);
    }
    // Records come out by descending predicted IoU (NMS order), ties in prompt order.
    expect(records.slice(0, 9).every((r) => r.predicted_iou === Math.fround(0.95))).toBe(true);
  });

  it('stability threshold and NMS drop masks', async () => {
    const strict = await run({ pointsPerSide: 3, stabilityScoreThresh: 0.999, boxNmsThresh: 1.0 });
    expect(strict.records.length).toBeLessThan(18);
    const all = await run({ pointsPerSide: 3, predIouThresh: 0, stabilityScoreThresh: 0, boxNmsThresh: 1.0 });
    expect(all.records).toHaveLength(27); // 9 points × 3 tokens, filters off
    // Concentric discs r, 2r have box IoU 0.25: NMS at 0.2 keeps only the best-IoU token per point.
    const nms = await run({ pointsPerSide: 3, predIouThresh: 0, stabilityScoreThresh: 0, boxNmsThresh: 0.2 });
    expect(nms.records).toHaveLength(9);
    expect(nms.records.every((r) => r.predicted_iou === Math.fround(0.95))).toBe(true);
    expect((await run({ pointsPerSide: 3, predIouThresh: 0, stabilityScoreThresh: 0, boxNmsThresh: 0.25 })).records).toHaveLength(27);
  });

  it('output modes: binary mask and COCO RLE carry the same mask', async () => {
    const rle = await run({ pointsPerSide: 2, outputMode: 'uncompressed_rle' });
    const bin = await run({ pointsPerSide: 2, outputMode: 'binary_mask' });
    const coco = await run({ pointsPerSide: 2, outputMode: 'coco_rle' });
    expect(rle.records.length).toBeGreaterThan(0);
    rle.records.forEach((r, i) => {
      expect(bin.records[i]!.segmentation).toEqual(rleToMask(r.segmentation as Rle));
      expect(coco.records[i]!.segmentation).toEqual(compressRle(r.segmentation as Rle));
      expect({ ...bin.records[i], segmentation: null }).toEqual({ ...r, segmentation: null });
    });
  });

  it('crop layers: encodes every crop, keeps crop boxes, drops masks cut by inner crop edges', async () => {
    const { records, calls } = await run({
      pointsPerSide: 4,
      cropNLayers: 1,
      predIouThresh: 0,
      stabilityScoreThresh: 0,
      boxNmsThresh: 1,
      cropNmsThresh: 1,
    });
    const crops = generateCropBoxes([192, 256], 1, 512 / 1500).boxes;
    expect(calls.encoder).toHaveLength(5);
    expect(calls.batches).toHaveLength(crops.length); // one batch of 16 points per crop
    const xywh = crops.map(([x0, y0, x1, y1]) => [x0, y0, x1 - x0, y1 - y0]);
    for (const r of records) {
      const k = xywh.findIndex((c) => c.every((v, i) => v === r.crop_box[i]));
      expect(k).toBeGreaterThanOrEqual(0);
      const [cx, cy, cw, ch] = xywh[k]!;
      const [px, py] = r.point_coords[0];
      expect(px >= cx! && px <= cx! + cw! && py >= cy! && py <= cy! + ch!).toBe(true);
      // no surviving box within 20 px of a crop edge that is not an image edge
      const [bx, by, bw, bh] = r.bbox;
      const box = [bx, by, bx + bw, by + bh];
      const crop = crops[k]!;
      const img = [0, 0, 256, 192];
      for (let s = 0; s < 4; s++) expect(Math.abs(box[s]! - crop[s]!) <= 20 && Math.abs(box[s]! - img[s]!) > 20).toBe(false);
    }
    expect(new Set(records.map((r) => r.crop_box.join())).size).toBeGreaterThan(1);
    const merged = await run({
      pointsPerSide: 4,
      cropNLayers: 1,
      predIouThresh: 0,
      stabilityScoreThresh: 0,
      boxNmsThresh: 1,
      cropNmsThresh: 0.1,
    });
    expect(merged.records.length).toBeLessThan(records.length);
  });

  it('minMaskRegionArea removes small islands and refreshes box and RLE', async () => {
    const raw = await run({ pointsPerSide: 2, boxNmsThresh: 1, outputMode: 'uncompressed_rle' }, true);
    const clean = await run({ pointsPerSide: 2, boxNmsThresh: 1, minMaskRegionArea: 10, outputMode: 'uncompressed_rle' }, true);
    expect(raw.records.every((r) => r.bbox[0] === 2 && r.bbox[1] === 2)).toBe(true); // the speck at (2..3, 2..3)
    expect(clean.records.length).toBeGreaterThan(0);
    for (const r of clean.records) {
      const mask = rleToMask(r.segmentation as Rle);
      expect(mask[2 * 256 + 2]).toBe(0);
      const [x0, y0, x1, y1] = maskToBox(mask, 192, 256);
      expect(r.bbox).toEqual([x0, y0, x1 - x0, y1 - y0]);
      expect(r.area).toBe(mask.reduce((a, b) => a + b, 0));
    }
  });

  it('takes explicit point grids', async () => {
    const { records, calls } = await run({ pointGrids: [[[0.5, 0.5]]], predIouThresh: 0, stabilityScoreThresh: 0, boxNmsThresh: 1 });
    expect(calls.batches.map((c) => c.b)).toEqual([1]);
    expect(records.map((r) => r.point_coords)).toEqual([[[128, 96]], [[128, 96]], [[128, 96]]]);
  });
});
