/**
 * The model side of the server: embeddings (computed once per image, through the encoder queue,
 * kept in the byte-bounded cache), prompt decoding and automatic mask generation. Encoder runs
 * are queued (one at a time by default) and concurrent requests for the same image share one run.
 */
import {
  AutomaticMaskGenerator,
  SamPredictor,
  applyImage,
  preprocessImage,
  requireOutput,
  validatePrompt,
  type AmgRecord,
  type AmgParams,
  type ImageEmbedding,
  type Prediction,
  type PromptInput,
  type RgbImage,
  type SessionLike,
  type TensorLike,
} from '@tsam/core';
import type { LoadedSam } from '@tsam/node';
import { EmbeddingCache, type CacheStats } from './embedding-cache.js';
import type { ImageStore } from './images.js';
import { JobQueue, type QueueStats } from './queue.js';

export interface ServiceOptions {
  /** Memory bound of the embedding cache, in bytes. */
  cacheBytes: number;
  /** Where evicted embeddings are written (and read back); none: they are dropped. */
  spillDir?: string;
  /** Encoder runs at the same time (default 1). */
  encoderConcurrency?: number;
  /** Decoder runs at the same time (default 2). */
  decoderConcurrency?: number;
  /** Jobs that may wait in each queue before requests get 503 (default 256). */
  maxPending?: number;
}

export interface ServiceStats {
  cache: CacheStats;
  queues: { encoder: QueueStats; decoder: QueueStats; amg: QueueStats };
  /** Encoder runs since start (whole images and AMG crops). */
  encoderRuns: number;
}

export class SamService {
  readonly cache: EmbeddingCache;
  readonly encoderQueue: JobQueue;
  readonly decoderQueue: JobQueue;
  readonly amgQueue: JobQueue;
  private readonly encoder: SessionLike;
  private readonly inflight = new Map<string, Promise<TensorLike>>();
  private batched: Promise<SessionLike> | undefined;
  private encoderRuns = 0;

  constructor(
    readonly sam: LoadedSam,
    private readonly images: ImageStore,
    opts: ServiceOptions,
  ) {
    this.cache = new EmbeddingCache(opts.cacheBytes, opts.spillDir);
    const pending = opts.maxPending ?? 256;
    this.encoderQueue = new JobQueue('encoder', opts.encoderConcurrency ?? 1, pending);
    this.decoderQueue = new JobQueue('decoder', opts.decoderConcurrency ?? 2, pending);
    this.amgQueue = new JobQueue('automatic mask generation', 1, Math.min(pending, 16));
    // Every encoder run, including the AMG's crops, goes through the encoder queue.
    this.encoder = {
      run: (feeds, fetches) =>
        this.encoderQueue.run(() => {
          this.encoderRuns++;
          return sam.encoder.run(feeds, fetches);
        }),
    };
  }

  get modelSize(): number {
    return this.sam.manifest.modelSize;
  }

  /** The 1×256×64×64 embedding of image `id` (404 if unknown): from the cache or one encoder run. */
  async embedding(id: string): Promise<ImageEmbedding> {
    const { width, height } = this.images.get(id);
    let t = this.cache.get(id);
    if (!t) {
      let job = this.inflight.get(id);
      if (!job) {
        job = this.encode(id).finally(() => this.inflight.delete(id));
        this.inflight.set(id, job);
      }
      t = await job;
    }
    return { data: t.data, dims: t.dims, width, height };
  }

  /** Decodes one prompt (image pixels) against image `id`; a bad prompt fails before any model run. */
  async predict(id: string, prompt: PromptInput): Promise<Prediction> {
    const { width, height } = this.images.get(id);
    validatePrompt(prompt, width, height);
    const emb = await this.embedding(id);
    return this.decoderQueue.run(async () => {
      const predictor = new SamPredictor({ encoder: this.encoder, decoder: this.sam.decoder, modelSize: this.modelSize });
      predictor.setEmbedding(emb);
      return predictor.predict(prompt);
    });
  }

  /** Automatic mask generation ("everything") on image `id`; records carry compressed COCO RLE. */
  async generate(id: string, params: Partial<AmgParams>): Promise<AmgRecord[]> {
    this.images.get(id);
    return this.amgQueue.run(async () => {
      const [image, emb, batchedDecoder] = await Promise.all([this.images.decode(id), this.embedding(id), this.batchedDecoder()]);
      const predictor = new ReusingPredictor({ encoder: this.encoder, decoder: this.sam.decoder, modelSize: this.modelSize }, image, emb);
      const generator = new AutomaticMaskGenerator(
        { predictor, batchedDecoder },
        { pointsPerBatch: defaultBatch(image, this.modelSize), ...params, outputMode: 'coco_rle' },
      );
      return generator.generate(image);
    });
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  get stats(): ServiceStats {
    return {
      cache: this.cache.stats,
      queues: { encoder: this.encoderQueue.stats, decoder: this.decoderQueue.stats, amg: this.amgQueue.stats },
      encoderRuns: this.encoderRuns,
    };
  }

  async release(): Promise<void> {
    const sessions = [this.sam.encoder, this.sam.decoder, ...(this.batched ? [await this.batched] : [])];
    await Promise.all(sessions.map((s) => s.release?.()));
  }

  private batchedDecoder(): Promise<SessionLike> {
    this.batched ??= this.sam.openBatchedDecoder();
    return this.batched;
  }

  /** Decode + preprocess + encoder, exactly as SamPredictor.setImage, inside the encoder queue. */
  private async encode(id: string): Promise<TensorLike> {
    const size = this.modelSize;
    const out = await this.encoderQueue.run(async () => {
      const { data, width, height } = await this.images.decode(id);
      const resized = applyImage(data, width, height, size);
      const input = preprocessImage(resized.data, resized.width, resized.height, size);
      this.encoderRuns++;
      return this.sam.encoder.run({ image: { data: input, dims: [1, 3, size, size] } });
    });
    const emb = requireOutput(out, 'image_embeddings');
    const t: TensorLike = { data: emb.data, dims: [...emb.dims] };
    this.cache.set(id, t);
    return t;
  }
}

/**
 * The batched decoder also materialises its upscaled masks (B × 4 × (1024² + H × W) float32) even
 * when only the low-res ones are fetched, so the default batch keeps that near 256 MiB.
 */
function defaultBatch(image: RgbImage, modelSize: number): number {
  const perPrompt = 16 * (modelSize * modelSize + image.width * image.height);
  return Math.max(1, Math.min(64, Math.floor((256 * 1024 * 1024) / perPrompt)));
}

/** A predictor that answers the whole-image crop of AMG with the embedding the server already has. */
class ReusingPredictor extends SamPredictor {
  constructor(
    sessions: ConstructorParameters<typeof SamPredictor>[0],
    private readonly image: RgbImage,
    private readonly emb: ImageEmbedding,
  ) {
    super(sessions);
  }

  override async setImage(image: RgbImage): Promise<ImageEmbedding> {
    const view = (d: Uint8Array): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    const same = image.width === this.image.width && image.height === this.image.height && view(image.data).equals(view(this.image.data));
    if (!same) return super.setImage(image);
    this.setEmbedding(this.emb);
    return this.emb;
  }
}
