/**
 * /api/model: what the server runs, and the graph files themselves, so the page can run the decoder
 * (or, page-only, the encoder too) in the browser on exactly the server's model. Also /api/status
 * (cache and queue numbers) and /api/openapi.json.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ImageStore } from '../images.js';
import { openApiDocument } from '../openapi.js';
import type { SamService } from '../service.js';

/** The URL names of the model files and the manifest key of each. */
const MODEL_FILES = {
  'encoder.onnx': 'encoder',
  'decoder.onnx': 'decoder',
  'decoder_batched.onnx': 'decoderBatched',
  'decoder_lowres.onnx': 'decoderLowRes', // the page's decoder, when the export has it (format 3)
} as const;

export interface ServerLimits {
  maxUploadBytes: number;
  maxPixels: number;
  cacheBytes: number;
}

/** A display name for the model: the checkpoint's file name without its extension. */
export function modelName(file: string): string {
  return basename(file).replace(/\.(pth?|safetensors|bin)$/i, '');
}

export function modelRoutes(app: FastifyInstance, service: SamService, images: ImageStore, limits: ServerLimits): void {
  const { manifest, dir } = service.sam;
  const files: Record<string, string> = {};
  for (const [url, key] of Object.entries(MODEL_FILES)) {
    const file = manifest.files[key];
    if (!file) continue;
    const path = join(dir, file);
    files[url] = path;
    if (existsSync(`${path}.data`)) files[`${url}.data`] = `${path}.data`; // external weights (> 1.8 GB models)
  }

  app.get('/api/model', async () => ({
    name: modelName(manifest.checkpoint.file),
    family: manifest.family,
    format: manifest.format,
    model_size: manifest.modelSize,
    checkpoint: manifest.checkpoint,
    config: manifest.config,
    created_by: manifest.createdBy,
    files: Object.fromEntries(Object.entries(files).map(([url, path]) => [url, { url: `/api/model/${url}`, bytes: statSync(path).size }])),
  }));

  for (const [url, path] of Object.entries(files)) {
    app.get(`/api/model/${url}`, async (_req, reply) =>
      reply
        .type('application/octet-stream')
        .header('content-length', statSync(path).size)
        .header('cache-control', 'public, max-age=3600')
        .header('etag', `"${manifest.checkpoint.sha256.slice(0, 16)}-${url}"`)
        .send(createReadStream(path)),
    );
  }

  app.get('/api/status', async () => ({
    images: images.list().length,
    limits: { max_upload_bytes: limits.maxUploadBytes, max_pixels: limits.maxPixels, cache_bytes: limits.cacheBytes },
    ...service.stats,
    rss_bytes: process.memoryUsage().rss,
  }));

  app.get('/api/openapi.json', async () => openApiDocument(Object.keys(files)));
}
