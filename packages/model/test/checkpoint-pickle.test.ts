/**
 * The unpickler's value decoding, opcode by opcode, on byte strings written out here
 * (protocol 4 binary opcodes and protocol 0 text opcodes). Refused globals and torch files are
 * tested in checkpoint-torch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError, PickleCallable, unpickle } from '../src/index.js';

const enc = new TextEncoder();
const refuseAll = (): never => {
  throw new CheckpointError('no globals here');
};
const load = (b: Uint8Array): unknown => unpickle(b, { findClass: refuseAll });
const bytes = (...parts: (number | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : [p])));

describe('unpickle values', () => {
  it('decodes scalars, strings, containers and the memo (protocol 4)', () => {
    const list = load(
      bytes(
        0x80,
        4,
        0x95,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0, // PROTO 4, FRAME
        0x5d,
        0x94,
        0x28, // EMPTY_LIST, MEMOIZE (memo 0), MARK
        0x4e,
        0x88,
        0x89, // None, True, False
        0x4a,
        0xf9,
        0xff,
        0xff,
        0xff,
        0x4d,
        0x2c,
        0x01,
        0x4b,
        7, // BININT -7, BININT2 300, BININT1 7
        0x8a,
        0x02,
        0x00,
        0x80, // LONG1 -32768
        0x8a,
        0x09,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x01, // LONG1 2^64 → bigint
        0x47,
        0x40,
        0x09,
        0x21,
        0xfb,
        0x54,
        0x44,
        0x2d,
        0x18, // BINFLOAT pi, big-endian
        0x8c,
        2,
        0xc3,
        0xa9,
        0x8d,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        'z', // SHORT_BINUNICODE 'é', BINUNICODE8 'z'
        0x43,
        2,
        1,
        2, // SHORT_BINBYTES
        0x4b,
        1,
        0x4b,
        2,
        0x86,
        0x68,
        0, // TUPLE2 (1, 2), BINGET 0 (the list itself)
        0x8f,
        0x28,
        0x4b,
        5,
        0x90, // EMPTY_SET, MARK, 5, ADDITEMS
        0x65,
        0x2e, // APPENDS, STOP
      ),
    ) as unknown[];
    expect(list.slice(0, 8)).toEqual([null, true, false, -7, 300, 7, -32768, 2n ** 64n]);
    expect(list[8]).toBe(Math.PI);
    expect(list.slice(9, 12)).toEqual(['é', 'z', new Uint8Array([1, 2])]);
    expect(list[12]).toEqual([1, 2]);
    expect(list[13]).toBe(list);
    expect(list[14]).toEqual(new Set([5]));
  });

  it('decodes protocol-0 text opcodes', () => {
    const text = "(lp0\nI42\naI01\naL-5L\naF0.5\naS'a\\nb'\naVx\\u00e9\nag0\na(dp1\nS'k'\np2\nI1\nsa.";
    const list = load(enc.encode(text)) as unknown[];
    expect(list.slice(0, 6)).toEqual([42, true, -5, 0.5, 'a\nb', 'xé']);
    expect(list[6]).toBe(list);
    expect(list[7]).toEqual(new Map([['k', 1]]));
  });

  it('calls only PickleCallables from findClass, and hands persistent ids to persistentLoad', () => {
    const findClass = (module: string, name: string): unknown =>
      new PickleCallable(`${module}.${name}`, (args) => ({ called: `${module}.${name}`, args }));
    // GLOBAL m.f, (MARK 'x' TUPLE), REDUCE; then BINPERSID of 'pid'; TUPLE2.
    const out = unpickle(bytes(0x80, 2, 'cm\nf\n', 0x28, 0x8c, 1, 'x', 0x74, 0x52, 0x8c, 3, 'pid', 0x51, 0x86, 0x2e), {
      findClass,
      persistentLoad: (pid) => `loaded ${String(pid)}`,
    });
    expect(out).toEqual([{ called: 'm.f', args: ['x'] }, 'loaded pid']);
    expect(() => unpickle(bytes(0x80, 2, 0x8c, 1, 'p', 0x51, 0x2e), { findClass })).toThrow(/persistent id without/);
  });

  it('builds the same array for TUPLE and LIST, and calls the same way for REDUCE and NEWOBJ', () => {
    // MARK 1 2 TUPLE, MARK 1 2 LIST, TUPLE2
    expect(load(bytes(0x80, 2, 0x28, 0x4b, 1, 0x4b, 2, 0x74, 0x28, 0x4b, 1, 0x4b, 2, 0x6c, 0x86, 0x2e))).toEqual([
      [1, 2],
      [1, 2],
    ]);
    const findClass = (module: string, name: string): unknown => new PickleCallable(`${module}.${name}`, (args) => ({ args }));
    for (const [name, op] of [
      ['REDUCE', 0x52],
      ['NEWOBJ', 0x81],
    ] as const) {
      // GLOBAL m.f, (MARK 3 TUPLE), op
      expect(unpickle(bytes(0x80, 2, 'cm\nf\n', 0x28, 0x4b, 3, 0x74, op, 0x2e), { findClass }), name).toEqual({ args: [3] });
      // a string where the callable should be: refused, never called
      expect(() => unpickle(bytes(0x80, 2, 0x8c, 1, 's', 0x29, op, 0x2e), { findClass }), name).toThrow(/not an allowed callable/);
    }
  });

  it.each([
    ['INST', 0x69],
    ['OBJ', 0x6f],
    ['PERSID', 0x50],
    ['EXT1', 0x82],
    ['EXT2', 0x83],
    ['EXT4', 0x84],
    ['NEXT_BUFFER', 0x97],
    ['READONLY_BUFFER', 0x98],
  ])('refuses opcode %s, naming it', (name, op) => {
    expect(() => load(bytes(0x80, 5, op, 0x2e))).toThrow(new RegExp(`opcode ${name} \\(0x${op.toString(16)}\\) is not supported`));
  });

  it('rejects a stack left unbalanced at STOP and protocols above 5', () => {
    expect(() => load(bytes(0x80, 2, 0x4e, 0x4e, 0x2e))).toThrow(/malformed stack at STOP/);
    expect(() => load(bytes(0x80, 6, 0x4e, 0x2e))).toThrow(/protocol newer than 5/);
  });
});
