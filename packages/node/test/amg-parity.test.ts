/**
 * Automatic mask generation parity: for every `<model>/<image>/amg.json` fixture (the reference
 * SamAutomaticMaskGenerator's records, output_mode "uncompressed_rle"), our generator on the same
 * checkpoint must give the same masks: each reference record matched one-to-one (greedy on mask
 * IoU) at IoU ≥ 0.95 for ≥ 97% of records, counts within 3%.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  AutomaticMaskGenerator,
  amgParamsFromReference,
  applyCoords,
  imagePoint,
  maskIntersectionUnion,
  parseNpy,
  rleToMask,
  type AmgRecord,
  type Rle,
} from '@tsam/core';
import { postprocessMasks } from '../../core/src/masks/postprocess.js';
import { loadImage, loadSam } from '../src/index.js';
import { FIXTURES_DIR, describeFixtures, fixturePath, manifest, readFixture, readFixtureJson } from '../../../testing/fixtures.js';

interface RefRecord {
  segmentation: Rle;
  area: number;
  bbox: number[];
  predicted_iou: number;
  point_coords: number[][];
  stability_score: number;
  crop_box: number[];
}

function amgCases(): { model: string; image: string; file: string }[] {
  const out: { model: string; image: string; file: string }[] = [];
  if (!existsSync(join(FIXTURES_DIR, 'manifest.json'))) return out;
  for (const model of Object.keys(manifest().models)) {
    for (const image of Object.keys(manifest().images)) {
      const file = `${model}/${image}/amg.json`;
      if (existsSync(fixturePath(file))) out.push({ model, image, file });
    }
  }
  return out;
}

/** Greedy one-to-one matching on mask IoU (best pairs first). */
function matchRecords(ref: Uint8Array[], ours: Uint8Array[]): { pairs: [number, number, number][]; ious: number[][] } {
  const ious = ref.map((r) =>
    ours.map((o) => {
      const { intersection, union } = maskIntersectionUnion(r, o);
      return union === 0 ? 1 : intersection / union;
    }),
  );
  const all: [number, number, number][] = [];
  ious.forEach((row, i) => row.forEach((v, j) => all.push([i, j, v])));
  all.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
  const usedR = new Set<number>();
  const usedO = new Set<number>();
  const pairs: [number, number, number][] = [];
  for (const [i, j, v] of all) {
    if (usedR.has(i) || usedO.has(j)) continue;
    usedR.add(i);
    usedO.add(j);
    pairs.push([i, j, v]);
  }
  return { pairs, ious };
}

describeFixtures('automatic mask generation parity', () => {
  const cases = amgCases();
  it('has AMG fixtures', () => expect(cases.length).toBeGreaterThan(0));
  const cacheDir = mkdtempSync(join(tmpdir(), 'tsam-amg-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it("postprocessMasks matches decoder.onnx's own full-size masks (within 1e-4)", async () => {
    const sam = await loadSam({ checkpoint: fixturePath('sam_vit_mini.pth'), cacheDir });
    const emb = parseNpy(readFixture('sam_vit_mini/scene_portrait/embedding.npy'));
    // Crop-like sizes: the portrait itself, a tall and a wide odd size, and a tiny one.
    for (const [h, w] of [
      [800, 480],
      [333, 517],
      [61, 97],
      [1024, 700],
    ] as const) {
      let maxDiff = 0;
      let flips = 0;
      for (const [fx, fy] of [
        [0.3, 0.4],
        [0.7, 0.2],
        [1, 1],
      ] as const) {
        const [p] = applyCoords([imagePoint(Math.min(w * fx, w - 1), Math.min(h * fy, h - 1))], h, w);
        const out = await sam.decoder.run({
          image_embeddings: { data: emb.data, dims: emb.shape },
          point_coords: { data: Float32Array.of(p![0], p![1], 0, 0), dims: [1, 2, 2] },
          point_labels: { data: Float32Array.of(1, -1), dims: [1, 2] },
          mask_input: { data: new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
          has_mask_input: { data: Float32Array.of(0), dims: [1] },
          orig_im_size: { data: Float32Array.of(h, w), dims: [2] },
        });
        const ours = postprocessMasks(out.low_res_masks!.data, 4, [h, w]);
        const theirs = out.masks!.data;
        expect(ours.length).toBe(theirs.length);
        for (let i = 0; i < ours.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
          if (ours[i]! > 0 !== theirs[i]! > 0) flips++;
        }
      }
      console.log(`[postprocessMasks] ${h}×${w}: max |Δ| ${maxDiff.toExponential(2)}, sign flips ${flips}`);
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  for (const c of cases) {
    it(`${c.model} / ${c.image}`, async () => {
      const { params, records: ref } = readFixtureJson<{ params: Record<string, unknown>; records: RefRecord[] }>(c.file);
      const entry = manifest().models[c.model]!;
      const sam = await loadSam({ checkpoint: fixturePath(entry.checkpoint), cacheDir });
      const batchedDecoder = await sam.openBatchedDecoder();
      const gen = new AutomaticMaskGenerator(
        { predictor: sam.predictor, batchedDecoder },
        { ...amgParamsFromReference(params), outputMode: 'uncompressed_rle' },
      );
      const image = await loadImage(fixturePath(manifest().images[c.image]!.file));
      const ours = await gen.generate(image);
      const refMasks = ref.map((r) => rleToMask(r.segmentation));
      const ourMasks = ours.map((r) => rleToMask(r.segmentation as Rle));
      const { pairs } = matchRecords(refMasks, ourMasks);
      const good = pairs.filter((p) => p[2] >= 0.95);
      const exact = pairs.filter(([i, j]) => sameRle(ref[i]!.segmentation, ours[j]!.segmentation as Rle));
      let dIou = 0;
      let dStab = 0;
      let bboxSame = 0;
      let pointSame = 0;
      for (const [i, j] of pairs) {
        const r = ref[i]!;
        const o: AmgRecord = ours[j]!;
        dIou = Math.max(dIou, Math.abs(r.predicted_iou - o.predicted_iou));
        dStab = Math.max(dStab, Math.abs(r.stability_score - o.stability_score));
        if (r.bbox.every((v, k) => v === o.bbox[k])) bboxSame++;
        if (r.point_coords[0]!.every((v, k) => Math.abs(v - o.point_coords[0][k]!) < 1e-9)) pointSame++;
      }
      const sameOrder = pairs.filter(([i, j]) => i === j).length;
      const minIou = pairs.length ? Math.min(...pairs.map((p) => p[2])) : 1;
      console.log(
        `[amg parity] ${c.model}/${c.image}: ours ${ours.length} / ref ${ref.length}; matched ≥0.95: ${good.length}/${ref.length} ` +
          `(${((100 * good.length) / Math.max(1, ref.length)).toFixed(1)}%), identical RLE ${exact.length}, min IoU ${minIou.toFixed(4)}; ` +
          `max |Δpredicted_iou| ${dIou.toExponential(2)}, max |Δstability| ${dStab.toExponential(2)}, same bbox ${bboxSame}/${pairs.length}, same point ${pointSame}/${pairs.length}, same position in the list ${sameOrder}/${pairs.length}`,
      );
      expect(Math.abs(ours.length - ref.length)).toBeLessThanOrEqual(Math.floor(0.03 * ref.length));
      expect(good.length).toBeGreaterThanOrEqual(Math.ceil(0.97 * ref.length));
      await batchedDecoder.release?.();
    }, 600_000);
  }
});

function sameRle(a: Rle, b: Rle): boolean {
  return (
    a.size[0] === b.size[0] && a.size[1] === b.size[1] && a.counts.length === b.counts.length && a.counts.every((v, i) => v === b.counts[i])
  );
}
