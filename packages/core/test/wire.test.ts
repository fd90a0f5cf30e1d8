import { describe, expect, it } from 'vitest';
import {
  WIRE_HEADERS,
  WireFormatError,
  decodeMaskInput,
  embeddingHeaders,
  encodeFloat32Base64,
  parseEmbedding,
  parseEmbeddingHeaders,
} from '../src/wire.js';
import { expectSameArray } from './helpers.js';

/** Logits with every awkward float32: signed zeros, subnormals, the extremes, and a ramp. */
function awkwardPlane(): Float32Array {
  const a = new Float32Array(256 * 256).map((_, i) => (i - 30000) / 7);
  a.set([0, -0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38], 0);
  return a;
}

describe('wire format: mask_input / low_res_logits base64', () => {
  it('round-trips a 256×256 plane bit for bit', () => {
    const plane = awkwardPlane();
    const b64 = encodeFloat32Base64(plane);
    expect(b64.length).toBe(4 * Math.ceil((256 * 256 * 4) / 3)); // padded base64 of 262144 bytes
    expectSameArray(decodeMaskInput(b64), plane, 'decoded plane');
  });

  it('encodes the bytes Node’s Buffer encodes (what clients of the server already send)', () => {
    const plane = awkwardPlane();
    const stack = new Float32Array(3 * plane.length);
    stack.set(plane, plane.length); // a view with a byte offset, as a low_res_logits plane is
    const view = stack.subarray(plane.length, 2 * plane.length);
    expect(encodeFloat32Base64(view)).toBe(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64'));
    expect(encodeFloat32Base64(stack)).toBe(Buffer.from(stack.buffer).toString('base64'));
    // 4, 8 and 12 bytes: both padded endings and none.
    for (const n of [0, 1, 2, 3, 4]) {
      const a = Float32Array.from({ length: n }, (_, i) => -1.5e-7 * (i + 1) ** 9);
      expect(encodeFloat32Base64(a), `${n} values`).toBe(Buffer.from(a.buffer).toString('base64'));
    }
  });

  it('refuses what is not one plane, naming mask_input and the expected size', () => {
    expect(() => decodeMaskInput('%%%')).toThrow(WireFormatError);
    expect(() => decodeMaskInput('%%%')).toThrow(/^mask_input must be a base64 string/);
    expect(() => decodeMaskInput(42)).toThrow(/^mask_input must be a base64 string/);
    expect(() => decodeMaskInput('AAAAA')).toThrow(/^mask_input must be a base64 string/); // 4k + 1 characters
    expect(() => decodeMaskInput('AAAA')).toThrow('mask_input must decode to 262144 bytes (256×256 float32), got 3 bytes');
    expect(() => decodeMaskInput(encodeFloat32Base64(new Float32Array(2 * 256 * 256)))).toThrow(/got 524288 bytes/);
  });
});

describe('wire format: embeddings', () => {
  it('headers round-trip the shape and the image size', () => {
    const h = embeddingHeaders({ dims: [1, 256, 64, 64], width: 480, height: 800 });
    expect(h).toEqual({ 'x-tsam-shape': '1,256,64,64', 'x-tsam-image-size': '480,800', 'x-tsam-dtype': 'float32-le' });
    expect(parseEmbeddingHeaders((name) => h[name])).toEqual({ dims: [1, 256, 64, 64], width: 480, height: 800 });
  });

  it('names the bad header', () => {
    const get = (over: Record<string, string>) => (name: string) =>
      ({ [WIRE_HEADERS.shape]: '1,2', [WIRE_HEADERS.imageSize]: '3,4', ...over })[name];
    expect(() => parseEmbeddingHeaders(get({ [WIRE_HEADERS.shape]: 'a,b' }))).toThrow('bad x-tsam-shape header: "a,b"');
    expect(() => parseEmbeddingHeaders(get({ [WIRE_HEADERS.shape]: '1,0' }))).toThrow(/bad x-tsam-shape header/);
    expect(() => parseEmbeddingHeaders(get({ [WIRE_HEADERS.imageSize]: '3' }))).toThrow(/bad x-tsam-image-size header: 3/);
    expect(() => parseEmbeddingHeaders(() => null)).toThrow(/bad x-tsam-shape header: null/);
  });

  it('parses raw bytes into the same values, copying only unaligned bytes', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => (i - 12) / 3);
    const bytes = new Uint8Array(data.buffer);
    const emb = parseEmbedding(bytes, [1, 2, 3, 4], 9, 7);
    expect(emb.data.buffer).toBe(data.buffer); // aligned: a view, no copy
    expectSameArray(emb.data, data, 'embedding');
    expect(emb).toMatchObject({ dims: [1, 2, 3, 4], width: 9, height: 7 });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expectSameArray(parseEmbedding(shifted.subarray(1), [1, 2, 3, 4], 9, 7).data, data, 'unaligned embedding');
    expect(() => parseEmbedding(bytes.subarray(4), [1, 2, 3, 4], 9, 7)).toThrow(
      'embedding: expected 24 float32 values for [1, 2, 3, 4], got 92 bytes',
    );
  });
});
