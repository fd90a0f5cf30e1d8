/**
 * The HTTP wire format of `tsam serve`, environment-free so the server (Node) and `@tsam/web`
 * (the browser) share one codec:
 *
 * - `GET /api/images/:id/embedding`: raw float32 little-endian bytes, shape in `x-tsam-shape`
 *   (`1,256,64,64`), image size in `x-tsam-image-size` (`W,H`), dtype in `x-tsam-dtype`.
 * - `mask_input` (request) and `low_res_logits` (response): base64 of float32 little-endian
 *   low-res logits, 256 × 256 per plane (`LowResPx`).
 *
 * Bad input throws `WireFormatError` naming the field or header; the server answers it with 400.
 */
import type { ImageEmbedding } from './predictor.js';
import { LOW_RES_SIZE } from './coords.js';

/** Header names of the embedding response. */
export const WIRE_HEADERS = { shape: 'x-tsam-shape', imageSize: 'x-tsam-image-size', dtype: 'x-tsam-dtype' } as const;
/** The only dtype on the wire. */
export const WIRE_DTYPE = 'float32-le';

/** A wire value that cannot be decoded; the message names the field or header and what it should be. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

/** Float32 values are sent in the platform's order: every runtime tsam targets is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const MASK_BYTES = LOW_RES_SIZE * LOW_RES_SIZE * 4;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new WireFormatError('the tsam wire format is float32 little-endian; this platform is big-endian');
}

/** The headers that describe an embedding response (its body is `embedding.data`'s bytes). */
export function embeddingHeaders(embedding: Pick<ImageEmbedding, 'dims' | 'width' | 'height'>): Record<string, string> {
  return {
    [WIRE_HEADERS.shape]: embedding.dims.join(','),
    [WIRE_HEADERS.imageSize]: `${embedding.width},${embedding.height}`,
    [WIRE_HEADERS.dtype]: WIRE_DTYPE,
  };
}

/** Parses `"1,256,64,64"`-style header values (positive integers). */
function parseInts(v: string | null | undefined, header: string): number[] {
  const xs = (v ?? '').split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new WireFormatError(`bad ${header} header: ${JSON.stringify(v)}`);
  return xs;
}

/** `x-tsam-shape` and `x-tsam-image-size` from a response's headers → dims and image size. */
export function parseEmbeddingHeaders(get: (name: string) => string | null | undefined): { dims: number[]; width: number; height: number } {
  const dims = parseInts(get(WIRE_HEADERS.shape), WIRE_HEADERS.shape);
  const size = parseInts(get(WIRE_HEADERS.imageSize), WIRE_HEADERS.imageSize);
  if (size.length !== 2) throw new WireFormatError(`bad ${WIRE_HEADERS.imageSize} header: ${get(WIRE_HEADERS.imageSize)}`);
  return { dims, width: size[0]!, height: size[1]! };
}

/**
 * Raw float32 little-endian embedding bytes + shape + image size → an `ImageEmbedding` for
 * `SamPredictor.setEmbedding`. Copies when the bytes are not 4-aligned.
 */
export function parseEmbedding(bytes: Uint8Array, dims: readonly number[], width: number, height: number): ImageEmbedding {
  requireLittleEndian();
  const n = dims.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * 4)
    throw new WireFormatError(`embedding: expected ${n} float32 values for [${dims.join(', ')}], got ${bytes.byteLength} bytes`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const data = new Float32Array(aligned.buffer, aligned.byteOffset, n);
  return { data, dims: [...dims], width, height };
}

const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 61; // '='

/**
 * Float32 values → base64 of their little-endian bytes (`low_res_logits`, `mask_input`). Written
 * out through a table rather than `btoa`: a response's 3 planes took 1.8 ms instead of 38 ms.
 */
export function encodeFloat32Base64(values: Float32Array): string {
  requireLittleEndian();
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const n = bytes.length;
  const out = new Uint8Array(4 * Math.ceil(n / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = ALPHABET[(v >>> 6) & 63]!;
    out[o++] = ALPHABET[v & 63]!;
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = i + 1 < n ? ALPHABET[(v >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return new TextDecoder().decode(out);
}

/** base64 → its bytes, or undefined when `value` is not base64. */
function base64Bytes(value: string): Uint8Array | undefined {
  if (!BASE64_RE.test(value)) return undefined;
  let binary: string;
  try {
    binary = atob(value);
  } catch {
    return undefined; // e.g. a length of 4k + 1
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A request's `mask_input`: base64 of 256×256 float32 little-endian logits → one `LowResPx` plane. */
export function decodeMaskInput(value: unknown): Float32Array {
  requireLittleEndian();
  const bytes = typeof value === 'string' ? base64Bytes(value) : undefined;
  if (!bytes) {
    throw new WireFormatError(
      'mask_input must be a base64 string of 256×256 float32 little-endian values (e.g. one plane of low_res_logits)',
    );
  }
  if (bytes.length !== MASK_BYTES) {
    throw new WireFormatError(`mask_input must decode to ${MASK_BYTES} bytes (256×256 float32), got ${bytes.length} bytes`);
  }
  return new Float32Array(bytes.buffer);
}
