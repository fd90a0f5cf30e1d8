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
import { Op } from './pickle-opcodes.js';
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
      case Op.PROTO:
        if (r.u8() > 5) r.fail('pickle protocol newer than 5');
        break;
      case Op.FRAME: // a length hint only
        r.skip(8);
        break;
      case Op.STOP:
        if (stack.length !== 1 || marks.length) r.fail('malformed stack at STOP');
        return stack[0];
      // --- constants
      case Op.NONE:
        stack.push(null);
        break;
      case Op.NEWTRUE:
        stack.push(true);
        break;
      case Op.NEWFALSE:
        stack.push(false);
        break;
      case Op.BININT1:
        stack.push(r.u8());
        break;
      case Op.BININT2:
        stack.push(r.u16());
        break;
      case Op.BININT:
        stack.push(r.i32());
        break;
      case Op.LONG1:
        stack.push(r.long(r.u8()));
        break;
      case Op.LONG4:
        stack.push(r.long(r.u32()));
        break;
      case Op.BINFLOAT:
        stack.push(r.f64());
        break;
      case Op.INT:
        stack.push(r.textInt());
        break;
      case Op.LONG:
        stack.push(r.textLong());
        break;
      case Op.FLOAT:
        stack.push(r.textFloat());
        break;
      case Op.BINUNICODE:
        stack.push(r.utf8(r.u32()));
        break;
      case Op.SHORT_BINUNICODE:
        stack.push(r.utf8(r.u8()));
        break;
      case Op.BINUNICODE8:
        stack.push(r.utf8(r.u64()));
        break;
      case Op.UNICODE:
        stack.push(r.rawUnicodeLine());
        break;
      case Op.SHORT_BINSTRING:
        stack.push(r.latin1(r.u8()));
        break;
      case Op.BINSTRING:
        stack.push(r.latin1(r.i32()));
        break;
      case Op.STRING:
        stack.push(r.quotedStringLine());
        break;
      case Op.SHORT_BINBYTES:
        stack.push(r.bytes(r.u8()).slice());
        break;
      case Op.BINBYTES:
        stack.push(r.bytes(r.u32()).slice());
        break;
      case Op.BINBYTES8:
      case Op.BYTEARRAY8:
        stack.push(r.bytes(r.u64()).slice());
        break;
      // --- containers (tuples and lists are both arrays)
      case Op.MARK:
        marks.push(stack);
        stack = [];
        break;
      case Op.EMPTY_TUPLE:
      case Op.EMPTY_LIST:
        stack.push([]);
        break;
      case Op.EMPTY_DICT:
        stack.push(new Map());
        break;
      case Op.EMPTY_SET:
        stack.push(new Set());
        break;
      case Op.TUPLE:
      case Op.LIST: {
        const items = popMark(); // popMark replaces `stack`, so it must run before `stack.push` is looked up
        stack.push(items);
        break;
      }
      case Op.TUPLE1:
        stack.push([pop()]);
        break;
      case Op.TUPLE2: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case Op.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case Op.DICT: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case Op.FROZENSET: {
        const s = new Set(popMark());
        stack.push(s);
        break;
      }
      case Op.APPEND: {
        const v = pop();
        listAt(top()).push(v);
        break;
      }
      case Op.APPENDS: {
        const items = popMark();
        const l = listAt(top());
        for (const v of items) l.push(v);
        break;
      }
      case Op.SETITEM: {
        const v = pop();
        const k = pop();
        dictAt(top()).set(k, v);
        break;
      }
      case Op.SETITEMS: {
        const items = popMark();
        setItems(dictAt(top()), items);
        break;
      }
      case Op.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) r.fail('ADDITEMS target is not a set');
        for (const v of items) s.add(v);
        break;
      }
      // --- stack and memo
      case Op.POP:
        pop();
        break;
      case Op.POP_MARK:
        popMark();
        break;
      case Op.DUP:
        stack.push(top());
        break;
      case Op.BINPUT:
        memo.set(r.u8(), top());
        break;
      case Op.LONG_BINPUT:
        memo.set(r.u32(), top());
        break;
      case Op.PUT:
        memo.set(r.decimalLine(), top());
        break;
      case Op.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case Op.BINGET:
        stack.push(getMemo(r.u8()));
        break;
      case Op.LONG_BINGET:
        stack.push(getMemo(r.u32()));
        break;
      case Op.GET:
        stack.push(getMemo(r.decimalLine()));
        break;
      // --- names and calls: only what findClass allows
      case Op.GLOBAL: {
        const module = r.line();
        stack.push(options.findClass(module, r.line()));
        break;
      }
      case Op.STACK_GLOBAL: {
        const name = str(pop(), 'STACK_GLOBAL name');
        stack.push(options.findClass(str(pop(), 'STACK_GLOBAL module'), name));
        break;
      }
      case Op.REDUCE:
      case Op.NEWOBJ: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case Op.NEWOBJ_EX: {
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size) r.fail('NEWOBJ_EX with keyword arguments');
        stack.push(call(pop(), args));
        break;
      }
      case Op.BUILD: {
        // only dict state on a dict (OrderedDict `_metadata`), which is dropped
        pop();
        if (!(top() instanceof Map)) r.fail('BUILD on an object other than a dict');
        break;
      }
      case Op.BINPERSID: {
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
