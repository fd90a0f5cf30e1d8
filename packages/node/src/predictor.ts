/** The Node predictor: core's SamPredictor whose setImage also takes a path or encoded bytes. */
import { SamPredictor, type ImageEmbedding } from '@tsam/core';
import { loadImage, type ImageSource } from './image.js';

export class NodeSamPredictor extends SamPredictor {
  /** `image`: a file path, encoded bytes (PNG/JPEG/WebP/…, decoded with sharp) or raw RGB. */
  override async setImage(image: ImageSource): Promise<ImageEmbedding> {
    return super.setImage(await loadImage(image));
  }
}
