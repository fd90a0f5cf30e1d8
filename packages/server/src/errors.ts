/**
 * Every error leaves the server as JSON `{error, message, statusCode}` with a fitting status:
 * our own HttpError, prompt/parameter errors (400), images that cannot be decoded (422), fastify's
 * own errors (malformed JSON 400, body too large 413, unsupported media type 415, ...), and 500 for
 * anything unexpected (logged, message hidden).
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NpyError, PromptError, WireFormatError } from '@tsam/core';
import { ImageError } from '@tsam/node';

/** An error with the HTTP status it should be answered with. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);

/** The JSON body of an error response. */
export interface ErrorBody {
  error: string;
  message: string;
  statusCode: number;
}

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message, statusCode };
}

/** Maps a thrown value to a status code and a message that is safe to show. */
export function classify(err: unknown, bodyLimits = ''): { statusCode: number; message: string; internal: boolean } {
  if (err instanceof HttpError) return { statusCode: err.statusCode, message: err.message, internal: false };
  // Core names the library's fields; the wire spells two of them differently.
  if (err instanceof PromptError)
    return {
      statusCode: 400,
      message: err.message.replace(/\bmaskInput\b/g, 'mask_input').replace(/\bmultimaskOutput\b/g, 'multimask'),
      internal: false,
    };
  if (err instanceof NpyError || err instanceof WireFormatError) return { statusCode: 400, message: err.message, internal: false };
  if (err instanceof ImageError) return { statusCode: 422, message: err.message, internal: false };
  const fe = err as Partial<FastifyError> | undefined;
  const status = fe?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    let message = fe?.message ?? 'bad request';
    if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body too large${bodyLimits ? `: ${bodyLimits}` : ''}`;
    return { statusCode: status, message, internal: false };
  }
  return { statusCode: 500, message: 'internal server error', internal: true };
}

/** Installs the JSON error handler and the JSON 404 for /api routes. */
export function installErrorHandling(
  app: FastifyInstance,
  opts: { bodyLimits?: string; notFoundFallback?: (req: FastifyRequest, reply: FastifyReply) => unknown } = {},
): void {
  const { bodyLimits, notFoundFallback } = opts;
  app.setErrorHandler((err, req, reply) => {
    const { statusCode, message, internal } = classify(err, bodyLimits);
    if (internal) req.log.error({ err }, 'request failed');
    if (statusCode === 503) void reply.header('retry-after', '1');
    return reply.code(statusCode).type('application/json').send(errorBody(statusCode, message));
  });
  app.setNotFoundHandler((req, reply) => {
    if (notFoundFallback && !req.url.startsWith('/api/') && (req.method === 'GET' || req.method === 'HEAD')) {
      return notFoundFallback(req, reply);
    }
    return reply.code(404).send(errorBody(404, `no route for ${req.method} ${req.url.split('?')[0]}`));
  });
}
