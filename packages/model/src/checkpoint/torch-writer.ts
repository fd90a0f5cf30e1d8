/**
 * Writes a state dict as a PyTorch zip checkpoint, byte-compatible with `torch.save(state_dict)`:
 * the inverse of `readTorchCheckpoint`, used to make test and benchmark checkpoints without Python.
 *
 * Layout (as torch writes it): `<archive>/data.pkl` (protocol-2 pickle of an OrderedDict whose values
 * are `torch._utils._rebuild_tensor_v2(persistent_load(('storage', torch.<T>Storage, '<i>', 'cpu',
 * numel)), 0, shape, stride, False, OrderedDict())`), `<archive>/byteorder` ("little"),
 * `<archive>/data/<i>` (raw little-endian storage, one per tensor, in sorted key order) and
 * `<archive>/version` ("3\n"). Entries are stored uncompressed and each entry's data starts on a
 * 64-byte boundary, padded through an "FB" extra field exactly as torch does, so a reader may map
 * storages in place. The pickle uses the opcodes and memo numbering CPython's pickler emits.
 *
 * Limits: one zip buffer in memory, without zip64, so the file must stay under 4 GiB (ViT-H in
 * float32 is 2.56 GB).
 */
import { zipSync, type Zippable } from 'fflate';
import { CheckpointError, numelOf, type StateDict, type TensorData } from './types.js';

/** Element types this writer can store. */
export type TorchStoredDType = 'float32' | 'float16' | 'bfloat16' | 'int64';

export interface TorchWriteOptions {
  /** Stored type of floating-point tensors; default float32. Values are rounded to nearest even. */
  dtype?: 'float32' | 'float16' | 'bfloat16';
  /**
   * Per-key stored type, overriding `dtype`. When it returns undefined, keys ending in
   * `num_batches_tracked` are int64 (as BatchNorm stores them) and all others use `dtype`.
   */
  dtypeOf?: (key: string, tensor: TensorData) => TorchStoredDType | undefined;
  /** The zip's top folder; torch uses the file stem. Default `archive`. */
  archiveName?: string;
}

const STORAGE_CLASS: Record<TorchStoredDType, string> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
};

/** torch's zip writer aligns every entry's data to this many bytes. */
const ALIGNMENT = 64;
/** The extra-field id torch uses for that padding ("FB", little-endian). */
const PAD_FIELD_ID = 0x4246;
/** A fixed 1980-01-01 timestamp, so equal state dicts give byte-identical files (and cache keys). */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Returns the bytes of a `torch.save(state_dict)` zip checkpoint holding every tensor of `sd`. */
export function writeTorchCheckpoint(sd: StateDict, opts: TorchWriteOptions = {}): Uint8Array {
  const archive = opts.archiveName ?? 'archive';
  if (!/^[^/\\]+$/.test(archive)) throw new CheckpointError(`archive name "${archive}" must be one path segment`);
  const storages: Uint8Array[] = [];
  const pkl = new PickleWriter();
  pkl.op(0x80, 2); // PROTO 2
  pkl.global('collections', 'OrderedDict');
  pkl.op(0x29, 0x52).memoize(); // EMPTY_TUPLE REDUCE: the root OrderedDict
  // CPython batches dict items by 1000: MARK … SETITEMS, or a bare SETITEM for a batch of one.
  let i = 0;
  for (const [key, t] of sd) {
    const start = i - (i % 1000);
    const end = Math.min(start + 1000, sd.size);
    if (i === start && end - start > 1) pkl.op(0x28); // MARK
    const dtype = opts.dtypeOf?.(key, t) ?? (key.endsWith('num_batches_tracked') ? 'int64' : (opts.dtype ?? 'float32'));
    storages.push(encodeStorage(t, dtype, key));
    pkl.str(key);
    pkl.tensor(String(i), STORAGE_CLASS[dtype], t.shape);
    if (++i === end) pkl.op(end - start > 1 ? 0x75 : 0x73); // SETITEMS / SETITEM
  }
  pkl.op(0x2e); // STOP

  const entries: [string, Uint8Array][] = [[`${archive}/data.pkl`, pkl.bytes()]];
  entries.push([`${archive}/byteorder`, new TextEncoder().encode('little')]);
  // torch writes storages sorted by key as strings ("0", "1", "10", "100", ...).
  const keys = storages.map((_, k) => String(k)).sort();
  for (const k of keys) entries.push([`${archive}/data/${k}`, storages[Number(k)]!]);
  entries.push([`${archive}/version`, new TextEncoder().encode('3\n')]);
  return zipAligned(entries);
}

/** Stored entries whose data starts 64-byte aligned: fflate lays out local headers predictably. */
function zipAligned(entries: [string, Uint8Array][]): Uint8Array {
  const files: Zippable = {};
  let offset = 0;
  for (const [name, data] of entries) {
    const header = 30 + new TextEncoder().encode(name).length + 4; // local header + name + extra-field header
    const pad = (ALIGNMENT - ((offset + header) % ALIGNMENT)) % ALIGNMENT;
    files[name] = [data, { level: 0, mtime: ZIP_MTIME, extra: { [PAD_FIELD_ID]: new Uint8Array(pad).fill(0x5a) } }];
    offset += header + pad + data.length;
  }
  if (offset > 0xffffffff) throw new CheckpointError(`checkpoint would be ${offset} bytes: over the 4 GiB this writer supports`);
  return zipSync(files, { level: 0, mtime: ZIP_MTIME });
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The raw little-endian storage bytes of one tensor. */
function encodeStorage(t: TensorData, dtype: TorchStoredDType, key: string): Uint8Array {
  const src = t.data;
  const n = src.length;
  if (n !== numelOf(t.shape)) throw new CheckpointError(`tensor "${key}" has ${n} values but shape [${t.shape.join(', ')}]`);
  switch (dtype) {
    case 'float32': {
      if (HOST_LITTLE_ENDIAN) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
      const out = new Uint8Array(n * 4);
      const v = new DataView(out.buffer);
      for (let j = 0; j < n; j++) v.setFloat32(j * 4, src[j]!, true);
      return out;
    }
    case 'float16':
    case 'bfloat16': {
      const bits = new Int32Array(src.buffer, src.byteOffset, n); // signed: stays a small integer in V8
      const conv = dtype === 'float16' ? float32BitsToHalf : float32BitsToBFloat16;
      const out = new Uint16Array(n);
      for (let j = 0; j < n; j++) out[j] = conv(bits[j]!);
      if (!HOST_LITTLE_ENDIAN) for (let j = 0; j < n; j++) out[j] = ((out[j]! & 0xff) << 8) | (out[j]! >>> 8);
      return new Uint8Array(out.buffer);
    }
    case 'int64': {
      const out = new Uint8Array(n * 8);
      const v = new DataView(out.buffer);
      for (let j = 0; j < n; j++) {
        const x = src[j]!;
        if (!Number.isInteger(x)) throw new CheckpointError(`tensor "${key}" holds ${x}, which cannot be stored as int64`);
        v.setBigInt64(j * 8, BigInt(x), true);
      }
      return out;
    }
  }
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** float32 value → float16 bit pattern, rounded to nearest even (overflow → ±Inf, NaN kept). */
export function floatToHalfBits(value: number): number {
  f32[0] = value;
  return float32BitsToHalf(i32[0]!);
}

/** float32 value → bfloat16 bit pattern, rounded to nearest even (NaN kept). */
export function floatToBFloat16Bits(value: number): number {
  f32[0] = value;
  return float32BitsToBFloat16(i32[0]!);
}

function float32BitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00); // NaN (quiet) / Inf
  const exp = abs >>> 23; // biased float32 exponent
  const mant = abs & 0x7fffff;
  if (exp >= 113) {
    // Normal half (exp - 127 >= -14): drop 13 mantissa bits; a carry correctly bumps the exponent,
    // up to 0x7c00 (Inf) for values that round past 65504.
    if (exp > 142) return sign | 0x7c00;
    const h = ((exp - 112) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && h & 1) ? h + 1 : h);
  }
  // Subnormal half: value / 2^-24, with the implicit bit made explicit.
  const shift = 126 - exp;
  if (shift > 24) return sign; // below half the smallest subnormal (float32 subnormals included)
  const m = mant | 0x800000;
  const h = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rest > half || (rest === half && h & 1) ? h + 1 : h);
}

function float32BitsToBFloat16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff; // quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // overflow rounds to ±Inf as it should
}

/** Emits CPython protocol-2 pickle opcodes, memoizing as its Pickler does (BINPUT after each object). */
class PickleWriter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private memoCount = 0;
  /** Objects CPython would find in its memo: globals and the interned strings 'storage' and 'cpu'. */
  private readonly memo = new Map<string, number>();

  op(...bytes: number[]): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }
  private raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  private u32le(v: number): number[] {
    return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  }
  /** BINPUT / LONG_BINPUT the object on top of the stack; returns its memo index. */
  memoize(): number {
    const idx = this.memoCount++;
    if (idx < 256) this.op(0x71, idx);
    else this.op(0x72, ...this.u32le(idx));
    return idx;
  }
  /** Pushes a memoized object again (BINGET / LONG_BINGET), or creates it and memoizes it. */
  private cached(id: string, create: () => void): void {
    const idx = this.memo.get(id);
    if (idx !== undefined) {
      if (idx < 256) this.op(0x68, idx);
      else this.op(0x6a, ...this.u32le(idx));
      return;
    }
    create();
    this.memo.set(id, this.memoize());
  }
  global(module: string, name: string): void {
    this.cached(`g:${module}.${name}`, () => {
      this.op(0x63); // GLOBAL
      this.raw(new TextEncoder().encode(`${module}\n${name}\n`));
    });
  }
  /** BINUNICODE; 'storage' and 'cpu' are the same interned object each time in CPython, so reused. */
  str(s: string): void {
    const emit = () => {
      const b = new TextEncoder().encode(s);
      this.op(0x58, ...this.u32le(b.length));
      this.raw(b);
    };
    if (s === 'storage' || s === 'cpu') this.cached(`s:${s}`, emit);
    else {
      emit();
      this.memoize();
    }
  }
  /** BININT1 / BININT2 / BININT / LONG1, as CPython picks them. */
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new CheckpointError(`cannot pickle ${v} as an integer`);
    if (v >= 0 && v <= 0xff) this.op(0x4b, v);
    else if (v >= 0 && v <= 0xffff) this.op(0x4d, v & 0xff, v >> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) this.op(0x4a, ...this.u32le(v));
    else {
      const bytes: number[] = [];
      let b = BigInt(v);
      do {
        bytes.push(Number(b & 0xffn));
        b >>= 8n;
      } while (!(b === 0n && (bytes.at(-1)! & 0x80) === 0) && !(b === -1n && (bytes.at(-1)! & 0x80) !== 0));
      this.op(0x8a, bytes.length, ...bytes); // LONG1: little-endian two's complement
    }
  }
  /** A tuple of ints: EMPTY_TUPLE, TUPLE1..3, or MARK … TUPLE; non-empty ones are memoized. */
  intTuple(xs: readonly number[]): void {
    if (xs.length === 0) return void this.op(0x29);
    if (xs.length > 3) this.op(0x28);
    for (const x of xs) this.int(x);
    this.op(xs.length > 3 ? 0x74 : 0x84 + xs.length);
    this.memoize();
  }
  /** `_rebuild_tensor_v2(storage '<key>' of numel(shape) elements, 0, shape, contiguous stride, False, OrderedDict())`. */
  tensor(storageKey: string, storageClass: string, shape: readonly number[]): void {
    const stride = new Array<number>(shape.length);
    let numel = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      stride[d] = numel;
      numel *= shape[d]!;
    }
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.op(0x28); // MARK: the 6-tuple of arguments
    this.op(0x28); // MARK: the persistent id ('storage', type, key, location, numel)
    this.str('storage');
    this.global('torch', storageClass);
    this.str(storageKey);
    this.str('cpu');
    this.int(numel);
    this.op(0x74).memoize(); // TUPLE
    this.op(0x51); // BINPERSID
    this.int(0); // storage offset
    this.intTuple(shape);
    this.intTuple(stride);
    this.op(0x89); // NEWFALSE: requires_grad
    this.global('collections', 'OrderedDict');
    this.op(0x29, 0x52).memoize(); // EMPTY_TUPLE REDUCE: backward_hooks
    this.op(0x74).memoize(); // TUPLE (the arguments)
    this.op(0x52).memoize(); // REDUCE: the tensor
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
