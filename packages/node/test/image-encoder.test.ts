/**
 * The one preprocessing path on a real encoder: `ImageEncoder.embed` gives the bytes the inline
 * applyImage → preprocessImage → encoder.run gave before it, and the reference's embedding
 * (the fixtures' `embedding.npy`) within the parity tolerance.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ImageEncoder, applyImage, parseNpy, preprocessImage, requireOutput } from '@tsam/core';
import { loadImage, loadSam, type LoadedSam } from '../src/index.js';
import { describeFixtures, fixturePath, manifest, readFixture } from '../../../testing/fixtures.js';
import { PARITY_RTOL, relDiff } from '../../../testing/compare.js';

describeFixtures('ImageEncoder on onnxruntime-node (sam_vit_mini)', () => {
  let sam: LoadedSam;
  beforeAll(async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'tsam-image-encoder-'));
    sam = await loadSam({ checkpoint: fixturePath(manifest().models.sam_vit_mini!.checkpoint), cacheDir });
  });

  for (const name of ['scene_tiny', 'scene_portrait']) {
    it(`${name}: the same embedding bytes as the inline path, and the reference's embedding`, async () => {
      const rgb = await loadImage(fixturePath(manifest().images[name]!.file));
      const size = sam.manifest.modelSize;
      const resized = applyImage(rgb.data, rgb.width, rgb.height, size);
      const inline = requireOutput(
        await sam.encoder.run({
          image: { data: preprocessImage(resized.data, resized.width, resized.height, size), dims: [1, 3, size, size] },
        }),
        'image_embeddings',
      );
      const emb = await new ImageEncoder(sam.encoder, size).embed(rgb);
      expect([emb.width, emb.height]).toEqual([rgb.width, rgb.height]);
      expect([...emb.dims]).toEqual([...inline.dims]);
      expect(
        Buffer.from(emb.data.buffer, emb.data.byteOffset, emb.data.byteLength).equals(
          Buffer.from(inline.data.buffer, inline.data.byteOffset, inline.data.byteLength),
        ),
      ).toBe(true);
      const ref = parseNpy(readFixture(`sam_vit_mini/${name}/embedding.npy`));
      expect(emb.data.some((v) => v !== 0)).toBe(true);
      expect(relDiff(emb.data, ref.data)).toBeLessThanOrEqual(PARITY_RTOL);
      // The predictor encodes through it: setImage's embedding is the same bytes.
      const viaPredictor = await sam.predictor.setImage(rgb);
      expect(
        Buffer.from(viaPredictor.data.buffer, viaPredictor.data.byteOffset, viaPredictor.data.byteLength).equals(
          Buffer.from(emb.data.buffer, emb.data.byteOffset, emb.data.byteLength),
        ),
      ).toBe(true);
    });
  }
});
