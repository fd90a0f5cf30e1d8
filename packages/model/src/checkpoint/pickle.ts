/**
 * A Python pickle reader that executes nothing.
 *
 * A pickle is a program for a stack machine; Python's `pickle.load` imports and calls whatever the
 * file names, which is why untrusted `.pth` files are dangerous. Here every GLOBAL/STACK_GLOBAL goes
 * through the caller's `findClass`, which returns a value for the few names it allows and throws for
 * all others, so no name outside the allowlist is ever resolved. REDUCE/NEWOBJ may only call a
 * `PickleCallable` that `findClass` returned.
 *
 * Values: None → null, bool, int → number (bigint beyond 2^53), float → number, str → string,
 * bytes → Uint8Array, list and tuple → array, dict → Map, set → Set.
 * Opcodes: protocols 0–5, except INST/OBJ/PERSID/EXT*, and out-of-band buffers.
 */
import { PickleReader } from './pickle-reader.js';
import { CheckpointError } from './types.js';

/** A function the allowlist exposes to REDUCE/NEWOBJ. */
export class PickleCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

export interface UnpickleOptions {
  /** Resolves `module.name`; must throw a CheckpointError for any name not allowed. */
  findClass(module: string, name: string): unknown;
  /** Turns a persistent id (BINPERSID) into a value, e.g. a torch storage reference. */
  persistentLoad?(pid: unknown): unknown;
}

/** Runs the pickle in `bytes` and returns the value it STOPs with. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const r: PickleReader = new PickleReader(bytes);
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const pop = (): unknown => {
    if (stack.length === 0) r.fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) r.fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) r.fail('no MARK on the stack');
    stack = prev;
    return items;
  };
  const getMemo = (i: number): unknown => {
    if (!memo.has(i)) r.fail(`memo key ${i} not found`);
    return memo.get(i);
  };
  const str = (v: unknown, what: string): string => {
    if (typeof v !== 'string') r.fail(`${what} is not a string`);
    return v;
  };
  const dictAt = (v: unknown): Map<unknown, unknown> => {
    if (!(v instanceof Map)) r.fail('SETITEM(S) target is not a dict');
    return v;
  };
  const listAt = (v: unknown): unknown[] => {
    if (!Array.isArray(v)) r.fail('APPEND(S) target is not a list');
    return v;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PickleCallable)) r.fail('REDUCE/NEWOBJ target is not an allowed callable');
    if (!Array.isArray(args)) r.fail(`arguments of ${fn.name} are not a tuple`);
    return fn.call(args);
  };
  const setItems = (d: Map<unknown, unknown>, items: unknown[]): void => {
    if (items.length % 2) r.fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };

  for (;;) {
    const op = r.opcode();
    switch (op) {
      case 0x80: // PROTO
        if (r.u8() > 5) r.fail('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: a length hint only
        r.skip(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) r.fail('malformed stack at STOP');
        return stack[0];
      // --- constants
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(r.u8());
        break; // BININT1
      case 0x4d:
        stack.push(r.u16());
        break; // BININT2
      case 0x4a:
        stack.push(r.i32());
        break; // BININT
      case 0x8a:
        stack.push(r.long(r.u8()));
        break; // LONG1
      case 0x8b:
        stack.push(r.long(r.u32()));
        break; // LONG4
      case 0x47:
        stack.push(r.f64());
        break; // BINFLOAT
      case 0x49:
        stack.push(r.textInt());
        break; // INT
      case 0x4c:
        stack.push(r.textLong());
        break; // LONG
      case 0x46:
        stack.push(r.textFloat());
        break; // FLOAT
      case 0x58:
        stack.push(r.utf8(r.u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(r.utf8(r.u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(r.utf8(r.u64()));
        break; // BINUNICODE8
      case 0x56:
        stack.push(r.rawUnicodeLine());
        break; // UNICODE
      case 0x55:
        stack.push(r.latin1(r.u8()));
        break; // SHORT_BINSTRING
      case 0x54:
        stack.push(r.latin1(r.i32()));
        break; // BINSTRING
      case 0x53:
        stack.push(r.quotedStringLine());
        break; // STRING
      case 0x43:
        stack.push(r.bytes(r.u8()).slice());
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(r.bytes(r.u32()).slice());
        break; // BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(r.bytes(r.u64()).slice());
        break;
      // --- containers
      case 0x28:
        marks.push(stack);
        stack = [];
        break; // MARK
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x8f:
        stack.push(new Set());
        break; // EMPTY_SET
      // (popMark replaces `stack`, so it must run before `stack.push` is looked up.)
      case 0x74: {
        const items = popMark();
        stack.push(items);
        break;
      } // TUPLE
      case 0x6c: {
        const items = popMark();
        stack.push(items);
        break;
      } // LIST
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x64: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x91: {
        const s = new Set(popMark());
        stack.push(s);
        break;
      } // FROZENSET
      case 0x61: {
        const v = pop();
        listAt(top()).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = listAt(top());
        for (const v of items) l.push(v);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        dictAt(top()).set(k, v);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(dictAt(top()), items);
        break;
      } // SETITEMS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) r.fail('ADDITEMS target is not a set');
        for (const v of items) s.add(v);
        break;
      }
      // --- stack and memo
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x71:
        memo.set(r.u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(r.u32(), top());
        break; // LONG_BINPUT
      case 0x70:
        memo.set(r.decimalLine(), top());
        break; // PUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(getMemo(r.u8()));
        break; // BINGET
      case 0x6a:
        stack.push(getMemo(r.u32()));
        break; // LONG_BINGET
      case 0x67:
        stack.push(getMemo(r.decimalLine()));
        break; // GET
      // --- names and calls: only what findClass allows
      case 0x63: {
        // GLOBAL
        const module = r.line();
        stack.push(options.findClass(module, r.line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = str(pop(), 'STACK_GLOBAL name');
        stack.push(options.findClass(str(pop(), 'STACK_GLOBAL module'), name));
        break;
      }
      case 0x52: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size) r.fail('NEWOBJ_EX with keyword arguments');
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: only dict state on a dict (OrderedDict `_metadata`), which is dropped
        pop();
        if (!(top() instanceof Map)) r.fail('BUILD on an object other than a dict');
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) r.fail('persistent id without a persistent loader');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        r.unsupported(op);
    }
  }
}

/** The CheckpointError for a refused global, naming it. */
export function refusedGlobal(module: string, name: string): CheckpointError {
  return new CheckpointError(`refusing pickle global "${module}.${name}": only state-dict globals are allowed`);
}
