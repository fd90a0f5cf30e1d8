/**
 * Stored element types and their exact conversion to float32.
 *
 * float16 and bfloat16 are subsets of float32, so they convert exactly (NaN, ±Inf and subnormals
 * included). Integer and bool buffers (e.g. BatchNorm `num_batches_tracked`, int64) are converted to
 * float32 too, so a state dict is uniformly float32; integers above 2^24 would round, which no
 * SAM buffer reaches. float64 rounds to nearest float32.
 */
import { CheckpointError } from './types.js';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const ITEM_SIZE: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Bytes per element. */
export function itemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | undefined;

/** float16 bit pattern → float32 value, via a 64 Ki-entry table built on first use. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v: number;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp === 31) v = mant ? NaN : Infinity;
    else v = (1 + mant / 1024) * 2 ** (exp - 15);
    t[h] = sign * v;
  }
  halfTable = t;
  return t;
}

/** Exact float16 → float32 of one bit pattern. */
export function halfToFloat(bits: number): number {
  return halfToFloatTable()[bits & 0xffff] ?? NaN;
}

/**
 * The first `count` elements of `bytes`, stored as `dtype`, as a new Float32Array. The caller has
 * checked that `bytes` holds at least `count` elements.
 */
export function decodeElements(bytes: Uint8Array, dtype: DType, count: number, littleEndian = true): Float32Array {
  const need = count * ITEM_SIZE[dtype];
  if (bytes.length < need) {
    throw new CheckpointError(`tensor data is ${bytes.length} bytes but ${count} ${dtype} elements need ${need}`);
  }
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const le = littleEndian;
  switch (dtype) {
    case 'float32':
      if (le === HOST_LITTLE_ENDIAN) {
        // Bytes may be unaligned inside the file, so copy them instead of viewing.
        new Uint8Array(out.buffer).set(bytes.subarray(0, need));
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, le);
      }
      break;
    case 'float16': {
      const table = halfToFloatTable();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, le)] ?? NaN;
      break;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: shift the bits into place (same host order as `out`).
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, le) << 16;
      break;
    }
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, le);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, le));
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, le);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, le);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}
