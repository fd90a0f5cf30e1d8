import { describe, expect, it } from 'vitest';
import { expectSameArray } from './helpers.js';
import { NpyError, parseNpy, writeNpy } from '../src/index.js';
import { describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

// Files written by NumPy 2.x (np.save / numpy.lib.format.write_array).
const NPY = {
  f8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALAAAAAsI7wG0KamZmZmZm5PwAAAAAAAACAAAAAAAAAHEA=',
  u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAf+A',
  b1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAB',
  f4v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=',
  f4v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoNCwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAKC/AACAvgAAQD8AAOA/',
  bef4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/wAAAwEAAAA==',
  fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDUsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADB/3sBAFQ1',
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr9/////////wAAAAAAAQAA',
  scalar:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAOhA',
};

describe('parseNpy', () => {
  it('reads <f8 (converted to float32)', () => {
    const a = parseNpy(b64(NPY.f8));
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('<f8');
    expect(Array.from(a.data)).toEqual(Array.from(Float32Array.of(1.5, -2.25, 3e10, 0.1, -0, 7)));
  });
  it('reads |u1 and |b1', () => {
    expect(Array.from(parseNpy(b64(NPY.u1)).data)).toEqual([0, 1, 255, 128]);
    const b = parseNpy(b64(NPY.b1));
    expect(b.shape).toEqual([2, 2]);
    expect(Array.from(b.data)).toEqual([1, 0, 0, 1]);
  });
  it('reads v2 and v3 headers', () => {
    const v2 = parseNpy(b64(NPY.f4v2));
    expect(v2.shape).toEqual([2, 3]);
    expect(Array.from(v2.data)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(Array.from(parseNpy(b64(NPY.f4v3)).data)).toEqual([-1.25, -0.25, 0.75, 1.75]);
  });
  it('reads big-endian, float16, int64 and 0-d arrays', () => {
    expect(Array.from(parseNpy(b64(NPY.bef4)).data)).toEqual([1.5, -3]);
    expect(Array.from(parseNpy(b64(NPY.f2)).data)).toEqual(Array.from(Float32Array.of(1, -2.5, 65504, 5.960464477539063e-8, 0.3330078125)));
    expect(Array.from(parseNpy(b64(NPY.i8)).data)).toEqual([-3, 2 ** 40]);
    const s = parseNpy(b64(NPY.scalar));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([7.25]);
  });
  it('works on an unaligned view', () => {
    const bytes = b64(NPY.f4v2);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseNpy(shifted.subarray(1)).data)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
  });
  it('rejects fortran order, bad magic, truncation and unknown dtypes', () => {
    expect(() => parseNpy(b64(NPY.fortran))).toThrow(/fortran_order=True/);
    expect(() => parseNpy(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))).toThrow(/bad magic/);
    const full = b64(NPY.f8);
    expect(() => parseNpy(full.subarray(0, full.length - 3))).toThrow(/truncated data/);
    expect(() => parseNpy(full.subarray(0, 40))).toThrow(/truncated header/);
    const c8 = b64(NPY.f8);
    c8.set(
      [...'<c8'].map((c) => c.charCodeAt(0)),
      c8.indexOf(0x3c),
    ); // '<f8' → '<c8'
    expect(() => parseNpy(c8)).toThrow(NpyError);
    expect(() => parseNpy(c8)).toThrow(/unsupported dtype "<c8"/);
  });
});

describe('writeNpy', () => {
  it('writes exactly what np.save writes', () => {
    // np.save(f, np.arange(4, dtype=np.float32) - 1.25) and of (np.arange(6) * 0.5).reshape(2, 3).
    const v1a =
      'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAKC/AACAvgAAQD8AAOA/';
    const v1b =
      'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=';
    expect(writeNpy(Float32Array.of(-1.25, -0.25, 0.75, 1.75), [4])).toEqual(b64(v1a));
    expect(writeNpy(Float32Array.of(0, 0.5, 1, 1.5, 2, 2.5), [2, 3])).toEqual(b64(v1b));
    expect(writeNpy(Float32Array.of(7.25), [])).toEqual(b64(NPY.scalar));
  });
  it('round-trips random arrays with 64-byte aligned data', () => {
    for (const shape of [[3], [2, 3, 4], [1, 256, 64, 64], [0, 5], [7, 1]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
      const bytes = writeNpy(data, shape);
      expect((bytes.length - data.byteLength) % 64).toBe(0);
      expect(bytes[bytes.length - data.byteLength - 1]).toBe(0x0a);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(shape);
      expectSameArray(back.data, data, 'data');
    }
  });
  it('rejects a shape that does not match the data', () => {
    expect(() => writeNpy(new Float32Array(5), [2, 3])).toThrow(/holds 6 values but data has 5/);
  });
});

describeFixtures('parseNpy on reference fixtures', () => {
  const m = manifest();
  const embeddings = [...new Set(m.cases.map((c) => `${c.model}/${c.image}/embedding.npy`))];
  it.each(embeddings)('%s is 1×256×64×64 float32 and re-writes byte for byte', (rel) => {
    const bytes = readFixture(rel);
    const a = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    expect(a.shape).toEqual([1, 256, 64, 64]);
    expect(a.dtype).toBe('<f4');
    expect(a.data.length).toBe(256 * 64 * 64);
    expect(a.data.every(Number.isFinite)).toBe(true);
    expect(Buffer.from(writeNpy(a.data, a.shape)).equals(bytes)).toBe(true);
  });
  it('reads sam_vit_mini/scene_tiny/embedding.npy values', () => {
    const bytes = readFixture('sam_vit_mini/scene_tiny/embedding.npy');
    const a = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    // Checked with numpy: a.flat[0], a.flat[-1], a[0, 5, 10, 20].
    expect(a.data[0]).toBe(Math.fround(-1.3286103));
    expect(a.data[a.data.length - 1]).toBe(Math.fround(0.32121536));
    expect(a.data[5 * 4096 + 10 * 64 + 20]).toBe(Math.fround(-1.6255448));
  });
  it('reads the low-res logits of every prompt case (C×256×256)', () => {
    for (const c of m.cases) {
      const rel = c.onnx_contract ? c.expected.low_res_masks : c.expected.low_res_logits;
      const bytes = readFixture(rel);
      const a = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      expect(a.shape.slice(-2)).toEqual([256, 256]);
      expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
    }
  });
});
