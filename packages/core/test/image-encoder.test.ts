import { describe, expect, it } from 'vitest';
import type { SessionLike, TensorLike } from '../src/backend.js';
import { applyImage, preprocessImage } from '../src/image/preprocess.js';
import { ImageEncoder, encoderInput } from '../src/image-encoder.js';
import type { RgbImage } from '../src/predictor.js';
import { expectSameArray } from './helpers.js';

/** A 37×23 image with a different value in every byte position (odd sizes: the resize and padding are exercised). */
function image(width = 37, height = 23): RgbImage {
  return { data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 73 + (i >> 5)) & 255), width, height };
}

/** A session that records its feeds and answers a fixed embedding-shaped output. */
function recordingSession(output: Record<string, TensorLike>): SessionLike & { feeds: Record<string, TensorLike>[] } {
  const feeds: Record<string, TensorLike>[] = [];
  return {
    feeds,
    run: async (f) => {
      feeds.push(f);
      return output;
    },
  };
}

describe('ImageEncoder', () => {
  it('feeds the encoder exactly the bytes of applyImage → preprocessImage, at the encoder’s side', () => {
    for (const size of [1024, 64]) {
      const img = image();
      const resized = applyImage(img.data, img.width, img.height, size);
      const expected = preprocessImage(resized.data, resized.width, resized.height, size);
      const input = encoderInput(img, size);
      expect(input.dims).toEqual([1, 3, size, size]);
      expectSameArray(input.data, expected, `input at S=${size}`);
      // Not a constant: the normalised image differs from the zero padding.
      expect(input.data.some((v) => v !== 0)).toBe(true);
    }
  });

  it('embed returns the encoder’s image_embeddings, tagged with the image size', async () => {
    const emb: TensorLike = { data: Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i / 3 - 5), dims: [1, 2, 4, 4] };
    const session = recordingSession({ image_embeddings: emb, other: { data: new Float32Array(1), dims: [1] } });
    const img = image();
    const out = await new ImageEncoder(session, 64).embed(img);
    expect(out.data).toBe(emb.data);
    expect(out).toMatchObject({ dims: [1, 2, 4, 4], width: 37, height: 23 });
    expect(Object.keys(session.feeds[0]!)).toEqual(['image']);
    expectSameArray(session.feeds[0]!.image!.data, encoderInput(img, 64).data, 'fed input');
  });

  it('names the missing output and the bad image', async () => {
    await expect(
      new ImageEncoder(recordingSession({ embeddings: { data: new Float32Array(1), dims: [1] } })).embed(image()),
    ).rejects.toThrow('model output "image_embeddings" missing (got: embeddings)');
    const bad = { ...image(), width: 36 };
    expect(() => encoderInput(bad)).toThrow('encoder input: expected 36×23×3 RGB bytes, got 2553');
  });
});
