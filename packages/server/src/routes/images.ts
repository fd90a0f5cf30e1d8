/**
 * /api/images: upload (raw image bytes), list, originals, embeddings, prompts and automatic masks.
 * Request bodies are checked here; prompt semantics are checked by @tsam/core's validatePrompt.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { compressRle, embeddingHeaders, encodeFloat32Base64, maskToRle, writeNpy, type PromptInput } from '@tsam/core';
import { HttpError, badRequest } from '../errors.js';
import type { ImageStore } from '../images.js';
import { parseAmgParams, parsePrompt } from '../parse.js';
import type { SamService } from '../service.js';

/** JSON bodies (prompts with a mask_input are ~350 kB) get a tighter limit than uploads. */
export const JSON_BODY_LIMIT = 4 * 1024 * 1024;

interface IdParams {
  id: string;
}

const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export function imageRoutes(app: FastifyInstance, images: ImageStore, service: SamService, maxUploadBytes: number): void {
  // Uploads arrive as the raw encoded file; fastify answers 413 past the limit, 415 for other types.
  for (const type of [/^image\/[\w.+-]+$/, 'application/octet-stream']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_req, body, done) => done(null, body));
  }

  app.post<{ Querystring: { name?: string } }>('/api/images', { bodyLimit: maxUploadBytes }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) {
      const type = req.headers['content-type'] ?? 'none';
      throw new HttpError(
        415,
        `Content-Type ${type} is not accepted: send the image bytes with Content-Type image/* or application/octet-stream`,
      );
    }
    const { image, created } = await images.add(req.body, req.query.name);
    try {
      await service.embedding(image.id);
    } catch (e) {
      if (created && images.has(image.id)) {
        images.remove(image.id);
        service.forget(image.id);
      }
      throw e;
    }
    return reply.code(created ? 201 : 200).send(image);
  });

  app.get('/api/images', async () => images.list());

  app.get<{ Params: IdParams }>('/api/images/:id', async (req, reply) => {
    const rec = images.get(req.params.id);
    return reply
      .type(rec.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable') // named by its content hash
      .send(createReadStream(rec.path));
  });

  app.delete<{ Params: IdParams }>('/api/images/:id', async (req, reply) => {
    images.remove(req.params.id);
    service.forget(req.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: IdParams; Querystring: { format?: string } }>('/api/images/:id/embedding', async (req, reply) => {
    const format = req.query.format ?? 'raw';
    if (format !== 'raw' && format !== 'npy') throw badRequest(`format must be "raw" or "npy", got ${JSON.stringify(format)}`);
    const emb = await service.embedding(req.params.id);
    void reply.type('application/octet-stream').headers(embeddingHeaders(emb));
    if (format === 'npy') {
      void reply.header('content-disposition', `attachment; filename="${req.params.id}.npy"`);
      return reply.send(Buffer.from(writeNpy(emb.data, emb.dims)));
    }
    return reply.send(bytesOf(emb.data));
  });

  app.post<{ Params: IdParams }>('/api/images/:id/predict', { bodyLimit: JSON_BODY_LIMIT }, async (req) => {
    const prompt: PromptInput = parsePrompt(req.body);
    const pred = await service.predict(req.params.id, prompt);
    const { width: w, height: h } = pred;
    return {
      iou_predictions: pred.iouPredictions,
      masks: pred.masks.map((m) => compressRle(maskToRle(m, h, w))),
      low_res_logits: encodeFloat32Base64(pred.lowResLogits),
      low_res_shape: [pred.masks.length, 256, 256],
    };
  });

  app.post<{ Params: IdParams }>('/api/images/:id/amg', { bodyLimit: JSON_BODY_LIMIT }, async (req) => {
    images.get(req.params.id); // 404 before parsing the parameters
    const params = parseAmgParams(req.body);
    const records = await service.generate(req.params.id, params);
    return { records };
  });
}
