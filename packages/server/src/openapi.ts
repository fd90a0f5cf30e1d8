/**
 * The OpenAPI 3.1 description of the API, written by hand next to the routes (a test checks that
 * every registered /api route is described here and nothing else is).
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const binary = (type: string, description: string): Json => ({
  description,
  content: { [type]: { schema: { type: 'string', format: 'binary' } } },
});
const idParam = { name: 'id', in: 'path', required: true, description: 'image id (content hash)', schema: { type: 'string' } };

function errors(...codes: number[]): Record<string, Json> {
  const text: Record<number, string> = {
    400: 'malformed request (bad JSON, bad prompt or parameters)',
    404: 'unknown image id',
    413: 'body or image too large',
    415: 'unsupported Content-Type',
    422: 'the image cannot be decoded',
    503: 'too many jobs waiting; retry',
  };
  return Object.fromEntries(codes.map((c) => [String(c), { description: text[c] ?? 'error', ...json(ref('Error')) }]));
}

const schemas: Json = {
  Error: {
    type: 'object',
    required: ['error', 'message', 'statusCode'],
    properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' } },
  },
  Image: {
    type: 'object',
    required: ['id', 'width', 'height', 'name'],
    properties: { id: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' }, name: { type: 'string' } },
  },
  CocoRle: {
    type: 'object',
    description: 'compressed COCO RLE (pycocotools string counts), column-major',
    properties: { size: { type: 'array', items: { type: 'integer' }, description: '[height, width]' }, counts: { type: 'string' } },
  },
  Prompt: {
    type: 'object',
    description: 'a prompt in image pixels; at least one of points, box or mask_input',
    properties: {
      points: {
        type: 'array',
        items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
        description: '[[x, y], ...]',
      },
      labels: { type: 'array', items: { type: 'integer', enum: [0, 1] }, description: '1 = foreground, 0 = background; one per point' },
      box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4, description: '[x0, y0, x1, y1]' },
      mask_input: { type: 'string', format: 'byte', description: 'base64 of 256×256 float32 LE logits (one plane of low_res_logits)' },
      multimask: { type: 'boolean', default: true, description: '3 masks instead of 1' },
    },
  },
  Prediction: {
    type: 'object',
    properties: {
      iou_predictions: { type: 'array', items: { type: 'number' } },
      masks: { type: 'array', items: ref('CocoRle') },
      low_res_logits: { type: 'string', format: 'byte', description: 'base64 float32 LE, C×256×256' },
      low_res_shape: { type: 'array', items: { type: 'integer' } },
    },
  },
  AmgRecord: {
    type: 'object',
    properties: {
      segmentation: ref('CocoRle'),
      area: { type: 'integer' },
      bbox: { type: 'array', items: { type: 'number' }, description: 'XYWH' },
      predicted_iou: { type: 'number' },
      point_coords: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      stability_score: { type: 'number' },
      crop_box: { type: 'array', items: { type: 'number' }, description: 'XYWH' },
    },
  },
};

/** The document; `modelFiles` are the names served under /api/model/. */
export function openApiDocument(modelFiles: readonly string[]): Json {
  const paths: Record<string, Json> = {
    '/api/images': {
      get: { summary: 'list the images', responses: { 200: { description: 'images', ...json({ type: 'array', items: ref('Image') }) } } },
      post: {
        summary: 'upload an image and compute its embedding (same bytes → same id, no recompute)',
        parameters: [{ name: 'name', in: 'query', required: false, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: {
            'image/*': { schema: { type: 'string', format: 'binary' } },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          201: { description: 'created', ...json(ref('Image')) },
          200: { description: 'already known', ...json(ref('Image')) },
          ...errors(400, 413, 415, 422, 503),
        },
      },
    },
    '/api/images/{id}': {
      get: {
        summary: 'the original image bytes',
        parameters: [idParam],
        responses: { 200: binary('image/*', 'the uploaded file'), ...errors(404) },
      },
      delete: {
        summary: 'forget an image and its embedding',
        parameters: [idParam],
        responses: { 204: { description: 'deleted' }, ...errors(404) },
      },
    },
    '/api/images/{id}/embedding': {
      get: {
        summary: 'the 1×256×64×64 image embedding (raw float32 LE, or .npy); headers x-tsam-shape and x-tsam-image-size (W,H)',
        parameters: [idParam, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['raw', 'npy'] } }],
        responses: { 200: binary('application/octet-stream', 'float32 little-endian'), ...errors(400, 404, 422, 503) },
      },
    },
    '/api/images/{id}/predict': {
      post: {
        summary: 'decode a prompt: masks as compressed COCO RLE, predicted IoU, low-res logits',
        parameters: [idParam],
        requestBody: { required: true, ...json(ref('Prompt')) },
        responses: { 200: { description: 'prediction', ...json(ref('Prediction')) }, ...errors(400, 404, 413, 503) },
      },
    },
    '/api/images/{id}/amg': {
      post: {
        summary: 'automatic mask generation ("everything"); params in snake_case (points_per_side, ...) or camelCase',
        parameters: [idParam],
        requestBody: { required: false, ...json({ type: 'object', properties: { params: { type: 'object' } } }) },
        responses: {
          200: { description: 'records', ...json({ type: 'object', properties: { records: { type: 'array', items: ref('AmgRecord') } } }) },
          ...errors(400, 404, 503),
        },
      },
    },
    '/api/model': {
      get: {
        summary: 'model.json of the served model, plus its name and file URLs',
        responses: { 200: { description: 'model', ...json({ type: 'object' }) } },
      },
    },
    '/api/status': {
      get: { summary: 'cache, queue and memory numbers', responses: { 200: { description: 'status', ...json({ type: 'object' }) } } },
    },
    '/api/openapi.json': {
      get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', ...json({ type: 'object' }) } } },
    },
  };
  for (const f of modelFiles) {
    paths[`/api/model/${f}`] = {
      get: {
        summary: `the model's ${f} (official SAM ONNX signature for decoder.onnx)`,
        responses: { 200: binary('application/octet-stream', f) },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsam server',
      version: '0.1.0',
      description: 'Segment Anything over HTTP: embeddings, prompts and automatic masks. Coordinates are image pixels.',
    },
    paths,
    components: { schemas },
  };
}
