/**
 * NumPy `.npy` reading and writing (format versions 1.0, 2.0 and 3.0), environment-free.
 *
 * Layout: magic `\x93NUMPY`, major/minor version bytes, header length (uint16 LE for v1, uint32 LE
 * for v2/v3), an ASCII (v3: UTF-8) Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 256, 64, 64), }` padded with spaces and
 * ending in `\n` so the data starts on a 64-byte boundary, then the raw data in C (row-major) order.
 *
 * `parseNpy` accepts numeric dtypes (`f2 f4 f8 i1 u1 b1 i2 u2 i4 u4 i8 u8`, either byte order) and
 * returns the values converted to a `Float32Array`; Fortran-ordered and structured arrays are rejected.
 */

/** A parsed `.npy` array: C-order values as float32 and the original dtype string. */
export interface NpyArray {
  shape: number[];
  data: Float32Array;
  /** The dtype descriptor from the header, e.g. `'<f4'`. */
  dtype: string;
  fortranOrder: false;
}

/** Thrown for malformed or unsupported `.npy` data. */
export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

function decodeAscii(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

type Reader = (view: DataView, offset: number, little: boolean) => number;

const READERS: Record<string, { size: number; read: Reader }> = {
  f2: { size: 2, read: (v, o, le) => halfToFloat(v.getUint16(o, le)) },
  f4: { size: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, read: (v, o, le) => v.getFloat64(o, le) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  b1: { size: 1, read: (v, o) => (v.getUint8(o) ? 1 : 0) },
  i2: { size: 2, read: (v, o, le) => v.getInt16(o, le) },
  u2: { size: 2, read: (v, o, le) => v.getUint16(o, le) },
  i4: { size: 4, read: (v, o, le) => v.getInt32(o, le) },
  u4: { size: 4, read: (v, o, le) => v.getUint32(o, le) },
  i8: { size: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { size: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`npy: cannot parse header ${JSON.stringify(header.trim())} (structured dtypes are not supported)`);
  }
  const shape = shapeText
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => {
      const n = Number(t.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new NpyError(`npy: bad dimension ${JSON.stringify(t)} in shape (${shapeText})`);
      return n;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Parse a `.npy` file. Throws `NpyError` on bad magic, truncation, Fortran order or unsupported dtypes. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new NpyError('npy: bad magic (expected \\x93NUMPY); not a .npy file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] ?? 0;
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('npy: truncated header length');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`npy: unsupported format version ${major}.${bytes[7] ?? 0}`);
  }
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) {
    throw new NpyError(`npy: truncated header (needs ${dataStart} bytes, file has ${bytes.length})`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  // v3 allows UTF-8, but only structured-dtype field names can be non-ASCII, and those are rejected.
  const header = decodeAscii(headerBytes);
  const { descr, fortranOrder, shape } = parseHeader(header);
  if (fortranOrder) {
    throw new NpyError('npy: fortran_order=True arrays are not supported; save a C-contiguous array (np.ascontiguousarray)');
  }
  const order = descr[0];
  const kind = descr.slice(1);
  const reader = READERS[kind];
  if (!reader || (order !== '<' && order !== '>' && order !== '|' && order !== '=')) {
    throw new NpyError(`npy: unsupported dtype ${JSON.stringify(descr)}`);
  }
  const little = order !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const nbytes = count * reader.size;
  const available = bytes.length - dataStart;
  if (available < nbytes) {
    throw new NpyError(`npy: truncated data: shape (${shape.join(', ')}) ${descr} needs ${nbytes} bytes, file has ${available}`);
  }
  if (available > nbytes) throw new NpyError(`npy: ${available - nbytes} unexpected trailing bytes after the data`);
  let data: Float32Array;
  if (kind === 'f4' && little && isLittleEndianHost()) {
    // Fast path: copy the bytes (the source may not be 4-byte aligned). Uint8Array's own slice,
    // because a Node Buffer's slice is a view into a shared pool.
    data = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + nbytes).buffer);
  } else {
    data = new Float32Array(count);
    for (let i = 0, o = dataStart; i < count; i++, o += reader.size) data[i] = reader.read(view, o, little);
  }
  return { shape, data, dtype: descr, fortranOrder: false };
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Write a float32 array of the given C-order `shape` as a version 1.0 `.npy` file (`<f4`,
 * header padded with spaces so the data starts at a multiple of 64 bytes, ending in `\n`).
 * The bytes are identical to NumPy's `np.save` of a float32 C-contiguous array.
 */
export function writeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new NpyError(`writeNpy: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new NpyError(`writeNpy: shape [${shape.join(', ')}] holds ${count} values but data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Like np.save (NumPy >= 1.24): spare room to grow the first axis in place, then pad to 64.
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  header += ' '.repeat(ALIGN - ((10 + header.length + 1) % ALIGN)) + '\n';
  if (header.length > 0xffff) throw new NpyError('writeNpy: header too long for format 1.0');
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  if (isLittleEndianHost()) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), base);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(base + i * 4, data[i] ?? 0, true);
  }
  return out;
}
