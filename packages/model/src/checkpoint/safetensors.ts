/**
 * safetensors: `u64 LE header length N`, then N bytes of JSON
 * `{"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
 * then the raw little-endian tensor bytes; offsets are relative to the end of the header.
 *
 * It holds no code, so nothing needs an allowlist, but offsets are checked (inside the buffer,
 * matching the shape, not overlapping) so a bad file errors instead of aliasing or reading garbage.
 * F32/F16/BF16 (and F64/integer/bool buffers) load as float32; we write F32.
 */
import { decodeElements, itemSize, type DType } from './dtype.js';
import { CheckpointError, numelOf, type StateDict, type TensorData } from './types.js';

const DTYPES: Record<string, DType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** Same cap as the reference implementation: a larger header is a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100_000_000;

function fail(why: string): never {
  throw new CheckpointError(`invalid safetensors file: ${why}`);
}

interface Header {
  tensors: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string>;
  dataStart: number;
}

function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length < 8) fail(`only ${bytes.length} bytes`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > bytes.length) {
    fail(`header length ${n} does not fit the ${bytes.length}-byte file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    fail('header is not valid UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header is not a JSON object');
  const dataLength = bytes.length - 8 - n;
  const tensors: Header['tensors'] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Object.values(info).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (info ?? {}) as Record<string, unknown>;
    const dt = typeof dtype === 'string' ? DTYPES[dtype] : undefined;
    if (!dt) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!isCountArray(shape)) fail(`tensor "${name}" has a bad shape`);
    if (!isCountArray(offsets) || offsets.length !== 2) fail(`tensor "${name}" has bad data_offsets`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      fail(`tensor "${name}" data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
    }
    const need = numelOf(shape) * itemSize(dt);
    if (end - begin !== need) fail(`tensor "${name}" spans ${end - begin} bytes but shape [${shape.join(', ')}] needs ${need}`);
    tensors.push({ name, dtype: dt, shape, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1]!;
    const cur = tensors[i]!;
    if (cur.begin < prev.end) fail(`tensors "${prev.name}" and "${cur.name}" overlap`);
  }
  return { tensors, metadata, dataStart: 8 + n };
}

function isCountArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Reads every tensor as float32, in data order. */
export function readSafetensors(bytes: Uint8Array): StateDict {
  const { tensors, dataStart } = parseHeader(bytes);
  const sd: StateDict = new Map();
  for (const t of tensors) {
    const raw = bytes.subarray(dataStart + t.begin, dataStart + t.end);
    sd.set(t.name, { shape: t.shape, data: decodeElements(raw, t.dtype, numelOf(t.shape)) });
  }
  return sd;
}

/** The `__metadata__` string map ({} when absent). */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return parseHeader(bytes).metadata;
}

/** Serialises a state dict as F32 safetensors, in map order; the header is space-padded to 8 bytes. */
export function writeSafetensors(sd: StateDict, metadata?: Record<string, string>): Uint8Array {
  // Null prototype, so a tensor named "__proto__" becomes a key rather than the prototype.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: [number, TensorData][] = [];
  for (const [name, t] of sd) {
    if (name === '__metadata__') throw new CheckpointError('a tensor cannot be named "__metadata__"');
    if (t.data.length !== numelOf(t.shape)) {
      throw new CheckpointError(`tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    parts.push([offset, t]);
    offset += t.data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const [at, t] of parts) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(base + at + i * 4, t.data[i]!, true);
  }
  return out;
}
