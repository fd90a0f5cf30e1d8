/**
 * Bounds-checked reading of pickle opcode arguments. Every read past the end, malformed text
 * argument or unsupported opcode becomes a CheckpointError naming the offset.
 */
import { Op, UNSUPPORTED_OPS, type OpName } from './pickle-opcodes.js';
import { CheckpointError } from './types.js';

/** Names of the refused opcodes, by byte. */
const UNSUPPORTED = new Map<number, OpName>(UNSUPPORTED_OPS.map((name) => [Op[name], name]));

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

export class PickleReader {
  private pos = 0;
  private opStart = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  fail(why: string): never {
    throw new CheckpointError(`corrupt pickle (data.pkl) at offset ${this.opStart}: ${why}`);
  }

  unsupported(op: number): never {
    const hex = `0x${op.toString(16).padStart(2, '0')}`;
    const known = UNSUPPORTED.get(op);
    if (known) this.fail(`pickle opcode ${known} (${hex}) is not supported`);
    this.fail(`unknown pickle opcode ${hex}`);
  }

  /** The next opcode byte; running off the end means the pickle never reached STOP. */
  opcode(): number {
    this.opStart = this.pos;
    if (this.pos >= this.data.length) this.fail('truncated: no STOP opcode');
    return this.data[this.pos++] ?? 0;
  }

  private need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.data.length) {
      this.fail(`truncated: needs ${n} more bytes, ${this.data.length - this.pos} left`);
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }

  skip(n: number): void {
    this.need(n);
  }
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64(): number {
    const v = Number(this.view.getBigUint64(this.need(8), true));
    if (!Number.isSafeInteger(v)) this.fail('length too large');
    return v;
  }
  /** BINFLOAT is big-endian. */
  f64(): number {
    return this.view.getFloat64(this.need(8), false);
  }
  bytes(n: number): Uint8Array {
    const p = this.need(n);
    return this.data.subarray(p, p + n);
  }
  utf8(n: number): string {
    try {
      return utf8.decode(this.bytes(n));
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      this.fail('invalid UTF-8 in string');
    }
  }
  latin1(n: number): string {
    return latin1.decode(this.bytes(n));
  }

  /** LONG1/LONG4: little-endian two's complement; a number when it fits exactly, else a bigint. */
  long(n: number): number | bigint {
    if (n > 64) this.fail(`${n}-byte integer is implausibly long`);
    const b = this.bytes(n);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    if (n > 0 && (b[n - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * n);
    return toNumber(v);
  }

  /** A protocol-0 text argument: bytes up to the next newline. */
  line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('truncated: unterminated text argument');
    return this.latin1(end - this.pos + 1).slice(0, -1);
  }
  decimalLine(): number {
    const s = this.line();
    if (!/^\d+$/.test(s)) this.fail(`bad memo index "${s}"`);
    return Number(s);
  }
  textInt(): number | bigint | boolean {
    const s = this.line();
    if (s === '00') return false;
    if (s === '01') return true;
    if (!/^[-+]?\d+$/.test(s)) this.fail(`bad INT "${s}"`);
    return toNumber(BigInt(s));
  }
  textLong(): number | bigint {
    const s = this.line().replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(s)) this.fail(`bad LONG "${s}"`);
    return toNumber(BigInt(s));
  }
  textFloat(): number {
    const s = this.line().trim();
    const v = Number(s);
    if (s === '' || (Number.isNaN(v) && s.toLowerCase() !== 'nan')) this.fail(`bad FLOAT "${s}"`);
    return v;
  }
  /** UNICODE: raw-unicode-escape, i.e. latin-1 with \uXXXX and \UXXXXXXXX escapes. */
  rawUnicodeLine(): string {
    return this.line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) =>
      String.fromCodePoint(parseInt(a ?? b ?? '0', 16)),
    );
  }
  /** STRING: a Python repr in quotes; only the simple escapes are decoded. */
  quotedStringLine(): string {
    const s = this.line();
    const q = s[0];
    if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) this.fail('bad STRING argument');
    const esc: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' };
    return s
      .slice(1, -1)
      .replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (m, hex?: string, c?: string) =>
        hex ? String.fromCharCode(parseInt(hex, 16)) : (esc[c ?? ''] ?? m),
      );
  }
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
