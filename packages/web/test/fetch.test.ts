import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchBytes, fetchEmbedding, parseEmbedding } from '../src/fetch.js';
import { rgbaToRgb } from '../src/image.js';

afterEach(() => vi.unstubAllGlobals());

describe('embeddings from the server', () => {
  it('parses raw float32 LE with its shape and image size', async () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 8);
    const body = new Uint8Array(data.buffer);
    vi.stubGlobal('fetch', async () => new Response(body, { headers: { 'x-tsam-shape': '1,2,3,4', 'x-tsam-image-size': '97,61' } }));
    const emb = await fetchEmbedding('/api/images/x/embedding');
    expect(emb.dims).toEqual([1, 2, 3, 4]);
    expect([emb.width, emb.height]).toEqual([97, 61]);
    expect(Array.from(emb.data)).toEqual(Array.from(data));
  });

  it('says what is wrong with a bad response', async () => {
    vi.stubGlobal(
      'fetch',
      async () => new Response(new Uint8Array(8), { headers: { 'x-tsam-shape': '1,256,64,64', 'x-tsam-image-size': '9,9' } }),
    );
    await expect(fetchEmbedding('/e')).rejects.toThrow(/expected 1048576 float32 values/);
    vi.stubGlobal('fetch', async () => new Response(new Uint8Array(8), { headers: { 'x-tsam-shape': 'a,b' } }));
    await expect(fetchEmbedding('/e')).rejects.toThrow(/bad x-tsam-shape header/);
    vi.stubGlobal('fetch', async () => new Response('nope', { status: 404, statusText: 'Not Found' }));
    await expect(fetchEmbedding('/e')).rejects.toThrow('GET /e: 404 Not Found');
  });

  it('copies unaligned bytes', () => {
    const buf = new Uint8Array(9);
    new DataView(buf.buffer).setFloat32(1, 1.5, true);
    const emb = parseEmbedding(buf.subarray(1, 5), [1], 1, 1);
    expect(emb.data[0]).toBe(1.5);
  });
});

describe('fetchBytes', () => {
  it('reports progress as chunks arrive', async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])];
    const stream = new ReadableStream({
      start(c) {
        for (const ch of chunks) c.enqueue(ch);
        c.close();
      },
    });
    vi.stubGlobal('fetch', async () => new Response(stream, { headers: { 'content-length': '3' } }));
    const seen: [number, number][] = [];
    const bytes = await fetchBytes('/m.onnx', (a, b) => seen.push([a, b]));
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
    expect(seen).toEqual([
      [0, 3],
      [2, 3],
      [3, 3],
    ]);
  });
});

describe('rgbaToRgb', () => {
  it('drops alpha', () => {
    const img = rgbaToRgb(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 2, 1);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(() => rgbaToRgb(new Uint8Array(3), 1, 1)).toThrow(RangeError);
  });
});
