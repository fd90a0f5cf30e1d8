/**
 * A small, strict zip reader for PyTorch checkpoints.
 *
 * Why not fflate's `unzipSync`: it does not bounds-check offsets, so a truncated or corrupt file can
 * yield silently wrong bytes. This reader checks every offset and size against the buffer, verifies
 * each entry's CRC-32, and returns stored entries (all of them, in torch files) without copying.
 * Sizes come from the central directory: torch sets flag bit 3 and leaves the local sizes zero.
 * Local headers carry torch's 64-byte alignment padding in their extra field, which is skipped.
 * Deflated entries (zips re-packed by other tools) are inflated with fflate. Zip64 is supported.
 */
import { inflateSync } from 'fflate';
import { CheckpointError } from './types.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function fail(why: string): never {
  throw new CheckpointError(`not a readable zip checkpoint: ${why} (the file may be truncated or corrupt)`);
}

class Bytes {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      fail(`${what} at offset ${offset} (+${length} bytes) lies outside the ${this.bytes.length}-byte file`);
    }
  }
  u16(o: number): number {
    return this.view.getUint16(o, true);
  }
  u32(o: number): number {
    return this.view.getUint32(o, true);
  }
  u64(o: number, what: string): number {
    const v = Number(this.view.getBigUint64(o, true));
    if (!Number.isSafeInteger(v)) fail(`${what} is too large`);
    return v;
  }
}

/** All entries by name, from the central directory. */
export function listZip(bytes: Uint8Array): Map<string, ZipEntry> {
  const b = new Bytes(bytes);
  if (bytes.length < 22) fail(`only ${bytes.length} bytes`);
  // The end-of-central-directory record sits in the last 22 + 65535 (max comment) bytes.
  let e = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (b.u32(o) === EOCD && o + 22 + b.u16(o + 20) <= bytes.length) {
      e = o;
      break;
    }
  }
  if (e < 0) fail('no end-of-central-directory record');
  let count = b.u16(e + 10);
  let cdOffset = b.u32(e + 16);
  if (e >= 20 && b.u32(e - 20) === ZIP64_LOCATOR) {
    const z = b.u64(e - 12, 'zip64 record offset');
    b.check(z, 56, 'zip64 end record');
    if (b.u32(z) !== ZIP64_EOCD) fail('bad zip64 end record signature');
    count = b.u64(z + 32, 'zip64 entry count');
    cdOffset = b.u64(z + 48, 'zip64 directory offset');
  }
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    b.check(o, 46, 'central directory entry');
    if (b.u32(o) !== CENTRAL) fail(`bad central directory signature at offset ${o}`);
    const flags = b.u16(o + 8);
    const nameLen = b.u16(o + 28);
    const extraLen = b.u16(o + 30);
    const commentLen = b.u16(o + 32);
    b.check(o + 46, nameLen + extraLen + commentLen, 'central directory entry name');
    const name = decoder.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    const entry: ZipEntry = {
      name,
      method: b.u16(o + 10),
      crc32: b.u32(o + 16),
      compressedSize: b.u32(o + 20),
      size: b.u32(o + 24),
      localOffset: b.u32(o + 42),
    };
    readZip64Extra(b, o + 46 + nameLen, extraLen, entry);
    entries.set(name, entry);
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Values saturated at 0xffffffff live, in this order, in the zip64 extra field (id 1). */
function readZip64Extra(b: Bytes, start: number, length: number, entry: ZipEntry): void {
  const big = 0xffffffff;
  if (entry.size !== big && entry.compressedSize !== big && entry.localOffset !== big) return;
  for (let p = start; p + 4 <= start + length; p += 4 + b.u16(p + 2)) {
    if (b.u16(p) !== 1) continue;
    let q = p + 4;
    const end = q + b.u16(p + 2);
    const next = (what: string): number => {
      if (q + 8 > end) fail(`short zip64 field for "${entry.name}"`);
      const v = b.u64(q, what);
      q += 8;
      return v;
    };
    if (entry.size === big) entry.size = next('entry size');
    if (entry.compressedSize === big) entry.compressedSize = next('entry size');
    if (entry.localOffset === big) entry.localOffset = next('entry offset');
    return;
  }
  fail(`entry "${entry.name}" lacks its zip64 field`);
}

/** The uncompressed bytes of one entry (a view into `bytes` when stored), CRC-checked. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const b = new Bytes(bytes);
  const o = entry.localOffset;
  b.check(o, 30, `local header of "${entry.name}"`);
  if (b.u32(o) !== LOCAL) fail(`bad local header signature for "${entry.name}"`);
  const start = o + 30 + b.u16(o + 26) + b.u16(o + 28);
  b.check(start, entry.compressedSize, `data of "${entry.name}"`);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) fail(`stored entry "${entry.name}" has mismatched sizes`);
    data = raw;
  } else if (entry.method === 8) {
    try {
      data = inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch (err) {
      fail(`entry "${entry.name}" does not inflate (${(err as Error).message})`);
    }
    if (data.length !== entry.size) fail(`entry "${entry.name}" inflates to the wrong size`);
  } else {
    throw new CheckpointError(`zip entry "${entry.name}" uses unsupported compression method ${entry.method}`);
  }
  if (crc32(data) !== entry.crc32) fail(`CRC mismatch in "${entry.name}"`);
  return data;
}

let crcTable: Uint32Array | undefined;

/** Standard CRC-32 (IEEE, as in zip). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = (t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) | 0;
  return ~c >>> 0;
}
