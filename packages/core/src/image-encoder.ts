/**
 * The one preprocessing path (segment_anything's `SamPredictor.set_image`): RGB HWC bytes in image
 * pixels → longest side resized to S with Pillow's antialiased bilinear filter (`applyImage`) →
 * ImageNet mean/std, CHW, zero padding bottom/right to S × S (`preprocessImage`) → the encoder
 * graph → `image_embeddings` [1, 256, S/16, S/16]. The predictor, the automatic mask generator,
 * the server, the export's precision check and the benchmark all encode through here.
 */
import { requireOutput, type SessionLike, type TensorLike } from './backend.js';
import { MODEL_INPUT_SIZE } from './coords.js';
import { applyImage, preprocessImage } from './image/preprocess.js';
import type { ImageEmbedding, RgbImage } from './predictor.js';

/** `image` → the encoder's `image` input: [1, 3, S, S] float32, normalised and padded (model space). */
export function encoderInput(image: RgbImage, modelSize: number = MODEL_INPUT_SIZE): TensorLike {
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 3) {
    throw new RangeError(`encoder input: expected ${width}×${height}×3 RGB bytes, got ${data.length}`);
  }
  const resized = applyImage(data, width, height, modelSize);
  return { data: preprocessImage(resized.data, resized.width, resized.height, modelSize), dims: [1, 3, modelSize, modelSize] };
}

/** An encoder graph (`image` [1,3,S,S] → `image_embeddings`) behind the reference's preprocessing. */
export class ImageEncoder {
  constructor(
    readonly session: SessionLike,
    /** The encoder's input side S (model.json's `modelSize`, 1024 for SAM). */
    readonly modelSize: number = MODEL_INPUT_SIZE,
  ) {}

  /** One encoder run: the embedding of `image` (RGB, image pixels), tagged with its size. */
  async embed(image: RgbImage): Promise<ImageEmbedding> {
    const out = await this.session.run({ image: encoderInput(image, this.modelSize) });
    const emb = requireOutput(out, 'image_embeddings');
    return { data: emb.data, dims: emb.dims, width: image.width, height: image.height };
  }
}
