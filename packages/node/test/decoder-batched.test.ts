/**
 * The batched decoder (B prompts × N points against one embedding, for automatic mask generation)
 * must give what B single-prompt runs of decoder.onnx give, and the predictor must encode an image
 * only once however often it is set.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { parseNpy, type SessionLike, SamPredictor } from '@tsam/core';
import { loadImage, loadSam, type LoadedSam } from '../src/index.js';
import { describeFixtures, fixturePath, readFixture } from '../../../testing/fixtures.js';

describeFixtures('batched decoder and embedding cache (sam_vit_mini)', () => {
  let sam: LoadedSam;
  beforeAll(async () => {
    sam = await loadSam({ checkpoint: fixturePath('sam_vit_mini.pth'), cacheDir: mkdtempSync(join(tmpdir(), 'tsam-batched-')) });
  });

  it('matches single-prompt decoding for every prompt in the batch', async () => {
    const emb = parseNpy(readFixture('sam_vit_mini/scene_portrait/embedding.npy'));
    const batched = await sam.openBatchedDecoder();
    // Four prompts of one point + the padding point the reference adds when there is no box.
    const pts = [
      [100, 200],
      [500, 900],
      [0, 0],
      [613, 1023],
    ];
    const coords = Float32Array.from(pts.flatMap(([x, y]) => [x!, y!, 0, 0]));
    const labels = Float32Array.from(pts.flatMap((_, i) => [i % 2, -1]));
    const image = { data: emb.data, dims: emb.shape };
    const orig = { data: Float32Array.of(800, 480), dims: [2] };
    const out = await batched.run({
      image_embeddings: image,
      point_coords: { data: coords, dims: [4, 2, 2] },
      point_labels: { data: labels, dims: [4, 2] },
    });
    expect(out.low_res_masks!.dims).toEqual([4, 4, 256, 256]);
    expect(out.masks).toBeUndefined(); // survivors are upscaled by the caller
    for (let b = 0; b < 4; b++) {
      const single = await sam.decoder.run({
        image_embeddings: image,
        point_coords: { data: coords.subarray(b * 4, b * 4 + 4), dims: [1, 2, 2] },
        point_labels: { data: labels.subarray(b * 2, b * 2 + 2), dims: [1, 2] },
        mask_input: { data: new Float32Array(65536), dims: [1, 1, 256, 256] },
        has_mask_input: { data: Float32Array.of(0), dims: [1] },
        orig_im_size: orig,
      });
      const low = single.low_res_masks!.data;
      const bLow = out.low_res_masks!.data.subarray(b * low.length, (b + 1) * low.length);
      let diff = 0;
      let max = 0;
      for (let i = 0; i < low.length; i++) {
        diff = Math.max(diff, Math.abs(low[i]! - bLow[i]!));
        max = Math.max(max, Math.abs(low[i]!));
      }
      expect(diff / max).toBeLessThan(1e-5);
      const iou = single.iou_predictions!.data;
      for (let k = 0; k < 4; k++) expect(out.iou_predictions!.data[b * 4 + k]).toBeCloseTo(iou[k]!, 5);
    }
  });

  it('encodes an image once, however often it is set', async () => {
    let encoderRuns = 0;
    const counting: SessionLike = {
      run: (feeds) => {
        encoderRuns++;
        return sam.encoder.run(feeds);
      },
    };
    const predictor = new SamPredictor({ encoder: counting, decoder: sam.decoder });
    const tiny = await loadImage(fixturePath('scene_tiny.png'));
    const portrait = await loadImage(fixturePath('scene_portrait.png'));
    const first = await predictor.setImage(tiny);
    await predictor.setImage(portrait);
    const again = await predictor.setImage({ ...tiny, data: tiny.data.slice() }); // same pixels, new buffer
    expect(encoderRuns).toBe(2);
    expect(again).toBe(first);
    const pred = await predictor.predict({ points: [[40, 30]], labels: [1] });
    expect(pred.masks).toHaveLength(3);
    expect(pred.masks[0]!.length).toBe(tiny.width * tiny.height);
  });
});
