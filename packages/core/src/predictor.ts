/**
 * SamPredictor: set an image once (one encoder run, cached), then prompt many times (one decoder
 * run each). Images are RGB HWC bytes in original pixels; prompts are in image pixels.
 *
 * The decoder's low-res logits are upscaled here, and only for the masks that are returned (1 or
 * 3 of the 4), with torch's bilinear `postprocess_masks` arithmetic (MaskUpscaler); binary masks
 * are thresholded while upscaling so most full-size logits are never computed
 * (BinaryMaskUpscaler, bit-identical to thresholding MaskUpscaler's logits). With a
 * `lowResDecoder` (decoder_lowres.onnx: the official decoder without `orig_im_size` and the
 * full-size `masks` output) the runtime does not compute the 4 full-size masks either.
 */
import { requireOutput, type SamSessions, type SessionLike, type TensorLike } from './backend.js';
import { BinaryMaskUpscaler } from './masks/binary-upscale.js';
import { LOW_RES_PLANE, MODEL_INPUT_SIZE, lowResPlane } from './coords.js';
import { ImageEncoder } from './image-encoder.js';
import { MaskUpscaler } from './masks/postprocess.js';
import { buildDecoderPrompt, validatePrompt, type PromptInput } from './prompts.js';

/** The predictor's graphs: SamSessions, plus the low-res-only decoder when there is one. */
export interface PredictorSessions extends SamSessions {
  /** The official decoder's inputs without `orig_im_size` → `iou_predictions`, `low_res_masks`. */
  lowResDecoder?: SessionLike;
}

/** An RGB image: `data` is `height × width × 3` bytes, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface Prediction {
  /** C masks of `height × width`, row-major: 0/1 bytes, or logits with `returnLogits`. */
  masks: (Uint8Array | Float32Array)[];
  /** Predicted IoU per mask. */
  iouPredictions: number[];
  /** C × 256 × 256 low-res logits, `LowResPx` (plane i: `lowResPlane(lowResLogits, i)`; feed the best one back as `maskInput` to refine). */
  lowResLogits: Float32Array;
  width: number;
  height: number;
}

/** The cached result of `setImage`: the 1×256×64×64 embedding of one image. */
export interface ImageEmbedding {
  data: Float32Array;
  dims: readonly number[];
  width: number;
  height: number;
}

const CACHE_SIZE = 4;

/**
 * Two 32-bit hashes (FNV-1a and a multiply-rotate mix) over every byte, plus the size: a 64-bit
 * key, so re-setting the same image skips the encoder. Hashing is ~1000x cheaper than encoding.
 */
function imageKey(img: RgbImage): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    a = Math.imul(a ^ v, 0x01000193);
    b = Math.imul((b << 5) | (b >>> 27), 0x85ebca6b) ^ v;
  }
  return `${img.width}x${img.height}:${(a >>> 0).toString(16)}:${(b >>> 0).toString(16)}`;
}

export class SamPredictor {
  private current: ImageEmbedding | undefined;
  private readonly cache = new Map<string, ImageEmbedding>();
  readonly modelSize: number;

  private upscalers: { key: string; binary?: BinaryMaskUpscaler; logits?: MaskUpscaler } = { key: '' };

  /** The encoder behind the one preprocessing path (`setImage` adds the cache). */
  readonly imageEncoder: ImageEncoder;

  constructor(private readonly sessions: PredictorSessions) {
    this.modelSize = sessions.modelSize ?? MODEL_INPUT_SIZE;
    this.imageEncoder = new ImageEncoder(sessions.encoder, this.modelSize);
  }

  /** Encodes `image` (or takes its embedding from the cache) and makes it the current image. */
  async setImage(image: RgbImage): Promise<ImageEmbedding> {
    const { width, height, data } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 3) {
      throw new RangeError(`setImage: expected ${width}×${height}×3 RGB bytes, got ${data.length}`);
    }
    const key = imageKey(image);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit); // LRU order
      this.current = hit;
      return hit;
    }
    const embedding = await this.imageEncoder.embed(image);
    this.cache.set(key, embedding);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.current = embedding;
    return embedding;
  }

  /** Uses a precomputed embedding (e.g. from `tsam embed` or a server) for an image of this size. */
  setEmbedding(embedding: ImageEmbedding): void {
    this.current = embedding;
  }

  get embedding(): ImageEmbedding | undefined {
    return this.current;
  }

  /**
   * Decodes one prompt against the current image. Multimask returns outputs 1–3, single-mask
   * output 0 (the reference's rule). Masks are logits > 0 unless `returnLogits`.
   */
  async predict(prompt: PromptInput): Promise<Prediction> {
    const emb = this.current;
    if (!emb) throw new Error('predict: call setImage (or setEmbedding) first');
    const { width, height } = emb;
    const v = validatePrompt(prompt, width, height);
    const { orig_im_size, ...feeds } = buildDecoderPrompt(v, width, height, { longSide: this.modelSize });
    const image = { image_embeddings: { data: emb.data, dims: emb.dims } };
    const out = this.sessions.lowResDecoder
      ? await this.sessions.lowResDecoder.run({ ...image, ...feeds })
      : await this.sessions.decoder.run({ ...image, ...feeds, orig_im_size }, ['iou_predictions', 'low_res_masks']);
    const iouPredictions = requireOutput(out, 'iou_predictions');
    const low = requireOutput(out, 'low_res_masks');
    const channels = v.multimaskOutput ? [1, 2, 3] : [0];
    const lowResLogits = new Float32Array(channels.length * LOW_RES_PLANE);
    const up = this.upscaler(height, width);
    const picked = channels.map((c, i) => {
      const plane = lowResPlane(low.data, c);
      lowResLogits.set(plane, i * LOW_RES_PLANE);
      return v.returnLogits
        ? (up.logits ??= new MaskUpscaler([height, width], this.modelSize)).run(plane)
        : (up.binary ??= new BinaryMaskUpscaler([height, width], this.modelSize)).run(plane);
    });
    return { masks: picked, iouPredictions: channels.map((c) => iouPredictions.data[c] ?? NaN), lowResLogits, width, height };
  }

  /** Upscalers for the current image size (their tap tables and buffers are reused across prompts). */
  private upscaler(height: number, width: number): { binary?: BinaryMaskUpscaler; logits?: MaskUpscaler } {
    const key = `${height}x${width}`;
    if (this.upscalers.key !== key) this.upscalers = { key };
    return this.upscalers;
  }
}

export type { TensorLike };
