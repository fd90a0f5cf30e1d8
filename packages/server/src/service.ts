/**
 * The model side of the server: embeddings (computed once per image, through the encoder queue,
 * kept in the byte-bounded cache), prompt decoding and automatic mask generation. Encoder runs
 * are queued (one at a time by default) and concurrent requests for the same image share one run.
 */
import {
  AutomaticMaskGenerator,
  ImageEncoder,
  SamPredictor,
  type PredictorSessions,
  validatePrompt,
  type AmgRecord,
  type AmgParams,
  type ImageEmbedding,
  type Prediction,
  type PromptInput,
  type SessionLike,
  type TensorLike,
} from '@tsam/core';
import type { LoadedSam } from '@tsam/node';
import { EmbeddingCache, type CacheStats } from './embedding-cache.js';
import { notFound } from './errors.js';
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
  /** Whole images: the one preprocessing path on the model's encoder (run inside the encoder queue). */
  private readonly imageEncoder: ImageEncoder;
  private readonly inflight = new Map<string, Promise<TensorLike>>();
  /** Bumped by `forget`: an encode that started before a DELETE must not store its embedding. */
  private readonly generation = new Map<string, number>();
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
    this.imageEncoder = new ImageEncoder(sam.encoder, sam.manifest.modelSize);
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
        const started = this.encode(id).finally(() => {
          if (this.inflight.get(id) === started) this.inflight.delete(id);
        });
        job = started;
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
      const predictor = new SamPredictor(this.sessions);
      predictor.setEmbedding(emb);
      return predictor.predict(prompt);
    });
  }

  /** Automatic mask generation ("everything") on image `id`; records carry compressed COCO RLE. */
  async generate(id: string, params: Partial<AmgParams>): Promise<AmgRecord[]> {
    this.images.get(id);
    return this.amgQueue.run(async () => {
      const [image, emb, batchedDecoder] = await Promise.all([this.images.decode(id), this.embedding(id), this.batchedDecoder()]);
      const predictor = new SamPredictor(this.sessions);
      // The batched decoder fetches only IoU and low-res masks: core's default batch (64), as `tsam amg`.
      const generator = new AutomaticMaskGenerator({ predictor, batchedDecoder }, { ...params, outputMode: 'coco_rle' });
      // The whole image's embedding is the cached one; the other crops run the (queued) encoder.
      return generator.generate(image, { imageEmbedding: emb });
    });
  }

  /** Drops the embedding of `id` (memory and disk); an encode still running for it will not store one. */
  forget(id: string): void {
    this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    this.inflight.delete(id);
    this.cache.delete(id);
  }

  /** The model's sessions, with the queued encoder: decoder_lowres.onnx when the model has it. */
  private get sessions(): PredictorSessions {
    return { ...this.sam.sessions, encoder: this.encoder };
  }

  get stats(): ServiceStats {
    return {
      cache: this.cache.stats,
      queues: { encoder: this.encoderQueue.stats, decoder: this.decoderQueue.stats, amg: this.amgQueue.stats },
      encoderRuns: this.encoderRuns,
    };
  }

  async release(): Promise<void> {
    const { encoder, decoder, lowResDecoder } = this.sam.sessions;
    const sessions = [encoder, decoder, ...(lowResDecoder ? [lowResDecoder] : []), ...(this.batched ? [await this.batched] : [])];
    await Promise.all(sessions.map((s) => s.release?.()));
  }

  private batchedDecoder(): Promise<SessionLike> {
    this.batched ??= this.sam.openBatchedDecoder();
    return this.batched;
  }

  /** Decode, then the predictor's own ImageEncoder path, inside the encoder queue. */
  private async encode(id: string): Promise<TensorLike> {
    const generation = this.generation.get(id) ?? 0;
    // Deleted while it waited or ran (or deleted and uploaded again): the embedding is not put back.
    const deleted = (): boolean => (this.generation.get(id) ?? 0) !== generation || !this.images.has(id);
    const gone = () => notFound(`image ${JSON.stringify(id)} was deleted while its embedding was being computed`);
    let emb: ImageEmbedding;
    try {
      emb = await this.encoderQueue.run(async () => {
        if (deleted()) throw gone();
        const image = await this.images.decode(id);
        this.encoderRuns++;
        return this.imageEncoder.embed(image);
      });
    } catch (e) {
      throw deleted() ? gone() : e; // e.g. the original was removed while being read
    }
    if (deleted()) throw gone();
    const t: TensorLike = { data: emb.data, dims: [...emb.dims] };
    this.cache.set(id, t);
    return t;
  }
}
