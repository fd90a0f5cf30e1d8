/**
 * `generate(image, { imageEmbedding })`: a caller that already has the whole image's embedding (the
 * server's cache) skips the encoder for the first crop, and gets the records encoding would give.
 * The fake decoder's disc radius is read from the embedding, so which embedding was used shows.
 */
import { describe, expect, it } from 'vitest';
import { AutomaticMaskGenerator, SamPredictor, type ImageEmbedding, type SessionLike, type TensorLike } from '../src/index.js';

/** Width and height of the image whose embedding this is, in an embedding-shaped tensor. */
function embeddingOf(width: number, height: number, scale = 1): TensorLike {
  const data = new Float32Array(256 * 64 * 64);
  data[0] = scale * (4 + ((width * 7 + height) % 5)); // the disc radius the fake decoder draws
  return { data, dims: [1, 256, 64, 64] };
}

function fakes(encoded: number[][]): { encoder: SessionLike; batchedDecoder: SessionLike } {
  const encoder: SessionLike = {
    async run(feeds) {
      // The padded input hides the crop size; recover it from the non-zero extent of channel 0's first row/column.
      const img = feeds.image!.data;
      const s = feeds.image!.dims[3]!;
      let w = 0;
      let h = 0;
      while (w < s && img[w] !== 0) w++;
      while (h < s && img[h * s] !== 0) h++;
      encoded.push([w, h]);
      return { image_embeddings: embeddingOf(w, h) };
    },
  };
  const batchedDecoder: SessionLike = {
    async run(feeds: Record<string, TensorLike>) {
      const coords = feeds.point_coords!;
      const r = feeds.image_embeddings!.data[0]!;
      const b = coords.dims[0]!;
      const iou = new Float32Array(b * 4).fill(0.9);
      const low = new Float32Array(b * 4 * 65536);
      for (let i = 0; i < b; i++) {
        const cx = coords.data[4 * i]! / 4;
        const cy = coords.data[4 * i + 1]! / 4;
        for (let m = 0; m < 4; m++) {
          const plane = low.subarray((i * 4 + m) * 65536, (i * 4 + m + 1) * 65536);
          for (let y = 0; y < 256; y++)
            for (let x = 0; x < 256; x++)
              plane[y * 256 + x] = Math.max(-50, Math.min(50, 20 * (r * m - Math.hypot(x + 0.5 - cx, y + 0.5 - cy))));
        }
      }
      return { iou_predictions: { data: iou, dims: [b, 4] }, low_res_masks: { data: low, dims: [b, 4, 256, 256] } };
    },
  };
  return { encoder, batchedDecoder };
}

/** Every pixel 200 (non-zero after normalisation, so the fake encoder can see the crop's extent). */
const IMAGE = { data: new Uint8Array(256 * 192 * 3).fill(200), width: 256, height: 192 };
const PARAMS = { pointsPerSide: 3, cropNLayers: 1, predIouThresh: 0, stabilityScoreThresh: 0, outputMode: 'uncompressed_rle' as const };

async function generate(imageEmbedding?: ImageEmbedding) {
  const encoded: number[][] = [];
  const { encoder, batchedDecoder } = fakes(encoded);
  const gen = new AutomaticMaskGenerator({ predictor: new SamPredictor({ encoder, decoder: batchedDecoder }), batchedDecoder }, PARAMS);
  const records = await gen.generate(IMAGE, imageEmbedding ? { imageEmbedding } : {});
  return { records, encoded };
}

describe('AMG with the whole image’s embedding given', () => {
  it('skips the encoder for the whole image only, and gives the records encoding gives', async () => {
    const encodedOnce = await generate();
    expect(encodedOnce.encoded[0]).toEqual([1024, 768]); // the whole image, resized
    expect(encodedOnce.encoded).toHaveLength(5); // + 4 crops of layer 1
    expect(encodedOnce.records.length).toBeGreaterThan(0);
    const emb = { ...embeddingOf(1024, 768), width: 256, height: 192 };
    const given = await generate(emb);
    expect(given.encoded).toEqual(encodedOnce.encoded.slice(1));
    expect(given.records).toEqual(encodedOnce.records);
  });

  it('uses the given embedding (a different one gives different masks) and refuses one of another size', async () => {
    const base = await generate();
    const other = await generate({ ...embeddingOf(1024, 768, 2), width: 256, height: 192 });
    expect(other.records.map((r) => r.area)).not.toEqual(base.records.map((r) => r.area));
    await expect(generate({ ...embeddingOf(1024, 768), width: 255, height: 192 })).rejects.toThrow(
      'generate: imageEmbedding is of a 255×192 image, the image is 256×192',
    );
  });
});
