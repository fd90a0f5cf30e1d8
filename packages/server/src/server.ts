/**
 * `createServer`: loads the model once (exporting a checkpoint on first use), wires the image
 * store, the embedding service and the routes into fastify, and listens (127.0.0.1 by default).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import sharp from 'sharp';
import { loadSam, type LoadedSam } from '@tsam/node';
import { installErrorHandling } from './errors.js';
import { ImageStore, type ImageInfo } from './images.js';
import { DEFAULT_APP_DIR, appRoutes, isolationHeaders } from './routes/app.js';
import { JSON_BODY_LIMIT, imageRoutes } from './routes/images.js';
import { modelRoutes } from './routes/model.js';
import { SamService } from './service.js';

const MiB = 1024 * 1024;

export interface ServerOptions {
  /** A checkpoint file or registry name (default: the downloaded mobile_sam). */
  checkpoint?: string;
  /** An exported model directory; wins over `checkpoint`. */
  modelDir?: string;
  /** An already loaded model (its sessions are not released on close). */
  sam?: LoadedSam;
  /** tsam's cache (downloaded models, exported ONNX); default ~/.cache/tsam or $TSAM_CACHE_DIR. */
  modelCacheDir?: string;
  /** ONNX Runtime intra-op threads. */
  threads?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Embedding cache size in MiB (default 512). */
  cacheMb?: number;
  /** Spill evicted embeddings here as .npy (kept across restarts, per model). */
  cacheDir?: string;
  /** The annotator's static build (default apps/annotator/dist of this repository). */
  appDir?: string;
  /** Register the images of this folder at start (encoded on first use). */
  imagesDir?: string;
  /** Largest upload in MiB (default 50). */
  maxUploadMb?: number;
  /** Largest image in pixels, width × height (default 64 M). */
  maxPixels?: number;
  encoderConcurrency?: number;
  decoderConcurrency?: number;
  /** Jobs that may wait per queue before 503 (default 256). */
  maxPending?: number;
  /** fastify's logger (default off). */
  logger?: FastifyServerOptions['logger'];
  /** Export progress, when a checkpoint is exported on first use. */
  onStep?: (step: string, index: number, total: number) => void;
  /** Warnings (files of `imagesDir` that could not be read, checkpoint keys the model does not use). */
  onWarning?: (message: string) => void;
}

export interface TsamServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  service: SamService;
  images: ImageStore;
  /** The images registered from `imagesDir`. */
  preloaded: ImageInfo[];
  /** Every registered route (HEAD aside), e.g. `{method: 'GET', url: '/api/images/:id'}`. */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

export async function createServer(opts: ServerOptions = {}): Promise<TsamServer> {
  if (endianness() !== 'LE') throw new Error('tsam server: embeddings are sent as little-endian float32; this host is big-endian');
  const maxUploadBytes = Math.round((opts.maxUploadMb ?? 50) * MiB);
  const maxPixels = Math.round(opts.maxPixels ?? 64_000_000);
  const cacheBytes = Math.round((opts.cacheMb ?? 512) * MiB);
  sharp.cache(false); // libvips' operation cache would hold decoded images past the request

  const sam =
    opts.sam ??
    (await loadSam({
      ...(opts.checkpoint !== undefined && { checkpoint: opts.checkpoint }),
      ...(opts.modelDir !== undefined && { modelDir: opts.modelDir }),
      ...(opts.modelCacheDir !== undefined && { cacheDir: opts.modelCacheDir }),
      ...(opts.threads !== undefined && { intraOpNumThreads: opts.threads }),
      ...(opts.onStep && { onStep: opts.onStep }),
      ...(opts.onWarning && { onWarning: opts.onWarning }),
    }));

  const uploadDir = mkdtempSync(join(tmpdir(), 'tsam-server-images-'));
  const images = new ImageStore(uploadDir, maxPixels);
  let spillDir: string | undefined;
  if (opts.cacheDir) {
    // Per model and weight precision: an fp16 model's embeddings are not the fp32 model's.
    const model = sam.manifest.checkpoint.sha256.slice(0, 16) || 'model';
    spillDir = join(resolve(opts.cacheDir), 'embeddings', `${model}-${sam.manifest.precision ?? 'fp32'}`);
    mkdirSync(spillDir, { recursive: true });
  }
  const service = new SamService(sam, images, {
    cacheBytes,
    ...(spillDir && { spillDir }),
    ...(opts.encoderConcurrency !== undefined && { encoderConcurrency: opts.encoderConcurrency }),
    ...(opts.decoderConcurrency !== undefined && { decoderConcurrency: opts.decoderConcurrency }),
    ...(opts.maxPending !== undefined && { maxPending: opts.maxPending }),
  });

  let preloaded: ImageInfo[] = [];
  if (opts.imagesDir) {
    const { added, failed } = await images.addDir(opts.imagesDir);
    preloaded = added;
    for (const f of failed) opts.onWarning?.(`--images: skipped ${f.file}: ${f.reason}`);
  }

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: maxUploadBytes, return503OnClosing: true });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  isolationHeaders(app);
  const fallback = await appRoutes(app, resolve(opts.appDir ?? DEFAULT_APP_DIR));
  const bodyLimits = `uploads are limited to ${+(maxUploadBytes / MiB).toFixed(2)} MiB (--max-upload-mb), JSON bodies to ${JSON_BODY_LIMIT / MiB} MiB`;
  installErrorHandling(app, { bodyLimits, notFoundFallback: fallback });
  imageRoutes(app, images, service, maxUploadBytes);
  modelRoutes(app, service, images, { maxUploadBytes, maxPixels, cacheBytes });

  // Uploaded originals live only as long as the server, even if the process exits without close().
  const removeUploads = (): void => rmSync(uploadDir, { recursive: true, force: true });
  process.once('exit', removeUploads);
  const cleanup = async (): Promise<void> => {
    process.off('exit', removeUploads);
    images.clear();
    removeUploads();
    if (!opts.sam) await service.release();
  };
  let address: string;
  try {
    address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  } catch (e) {
    await cleanup();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    url: address,
    service,
    images,
    preloaded,
    routes,
    close: () => (closing ??= app.close().then(cleanup)),
  };
}
