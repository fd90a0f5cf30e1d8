/**
 * safetensors round trip and header validation, the shape/key checks used by the model builder,
 * and format sniffing.
 */
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  expectShape,
  halfToFloat,
  readCheckpoint,
  readSafetensors,
  readSafetensorsMetadata,
  requireTensor,
  sniffCheckpointFormat,
  writeSafetensors,
  type StateDict,
} from '../src/index.js';

/** A safetensors file from a header object and raw data bytes. */
function build(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectError(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(CheckpointError);
  expect(fn).toThrow(message);
}

const sample: StateDict = new Map([
  ['a.weight', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, Infinity, -0, 1e-40]) }],
  ['scalar', { shape: [], data: new Float32Array([42]) }],
  ['empty', { shape: [0, 5], data: new Float32Array(0) }],
  ['b', { shape: [1], data: new Float32Array([NaN]) }],
]);

describe('safetensors', () => {
  it('round-trips F32 tensors, 0-d and empty ones, and metadata', () => {
    const bytes = writeSafetensors(sample, { format: 'pt', source: 'tsam' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect([...back.keys()].sort()).toEqual([...sample.keys()].sort());
    for (const [k, t] of sample) expect(back.get(k)).toEqual(t);
    expect(readSafetensorsMetadata(bytes)).toEqual({ format: 'pt', source: 'tsam' });
    expect(readCheckpoint(bytes)).toEqual(back);
    expect(sniffCheckpointFormat(bytes)).toBe('safetensors');
  });

  it('reads F16 and BF16 as exact float32', () => {
    const data = new Uint8Array(new Uint16Array([0x3c00, 0x8001, 0xfc00, 0x3f80, 0x4049]).buffer);
    const bytes = build(
      {
        h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
      },
      data,
    );
    const sd = readSafetensors(bytes);
    expect([...sd.get('h')!.data]).toEqual([1, -(2 ** -24), -Infinity]);
    expect([...sd.get('b')!.data]).toEqual([1, 3.140625]);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('rejects bad offsets, sizes, dtypes and headers with clear errors', () => {
    const t = (dtype: string, shape: number[], offsets: number[]): unknown => ({ dtype, shape, data_offsets: offsets });
    const data = new Uint8Array(16);
    expectError(
      () => readSafetensors(build({ x: t('F32', [4], [8, 24]) }, data)),
      /"x" data_offsets \[8, 24\] lie outside the 16 data bytes/,
    );
    expectError(() => readSafetensors(build({ x: t('F32', [3], [0, 16]) }, data)), /"x" spans 16 bytes but shape \[3\] needs 12/);
    expectError(() => readSafetensors(build({ x: t('F32', [2], [0, 8]), y: t('F32', [2], [4, 12]) }, data)), /tensors "x" and "y" overlap/);
    expectError(() => readSafetensors(build({ x: t('F32', [1], [8, 4]) }, data)), /lie outside/);
    expectError(() => readSafetensors(build({ x: t('F32', [1], [-4, 0]) }, data)), /bad data_offsets/);
    expectError(() => readSafetensors(build({ x: t('F32', [1.5], [0, 4]) }, data)), /bad shape/);
    expectError(() => readSafetensors(build({ x: t('F8_E4M3', [1], [0, 1]) }, data)), /unsupported dtype "F8_E4M3"/);
    expectError(() => readSafetensors(build({ __metadata__: { a: 1 } }, data)), /__metadata__/);
    expectError(() => readSafetensors(build(null, data, '{"x": ')), /not valid UTF-8 JSON/);
    expectError(() => readSafetensors(build(null, data, '[1, 2]')), /not a JSON object/);
    // Header length larger than the file, and absurdly large.
    const huge = build({}, data);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expectError(() => readSafetensors(huge), /header length 1099511627776 does not fit/);
    expectError(() => readSafetensors(new Uint8Array(4)), /only 4 bytes/);
  });

  it('keeps odd tensor names such as "__proto__"', () => {
    const sd: StateDict = new Map([['__proto__', { shape: [1], data: new Float32Array([3]) }]]);
    expect(readSafetensors(writeSafetensors(sd))).toEqual(sd);
  });

  it('refuses to write inconsistent tensors', () => {
    expectError(() => writeSafetensors(new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]])), /"x" has 3 values/);
  });
});

describe('requireTensor / expectShape', () => {
  it('return the tensor when present with the expected shape', () => {
    expect(requireTensor(sample, 'scalar').data[0]).toBe(42);
    expect(expectShape(sample, 'a.weight', [2, 3]).shape).toEqual([2, 3]);
    expect(expectShape(sample, 'scalar', []).shape).toEqual([]);
  });

  it('name the missing key, or the key with expected and actual shapes', () => {
    expectError(() => requireTensor(sample, 'a.bias'), /checkpoint is missing tensor "a\.bias" \(found e\.g\. "a\.weight"\)/);
    expectError(() => requireTensor(new Map(), 'x'), /missing tensor "x" \(the checkpoint holds no tensors\)/);
    expectError(() => expectShape(sample, 'a.weight', [3, 2]), /checkpoint tensor "a\.weight" has shape \[2, 3\], expected \[3, 2\]/);
    expectError(() => expectShape(sample, 'a.weight', [2, 3, 1]), /expected \[2, 3, 1\]/);
  });
});
