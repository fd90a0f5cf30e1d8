/**
 * PyTorch zip checkpoints and the no-execution unpickler, on pickles and zips built here by hand:
 * valid state dicts (dtypes, strides, offsets, 0-d, shared storages, wrappers), refused globals,
 * and broken files. Each failure must be a CheckpointError with a message that says what is wrong.
 */
import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointError, PickleCallable, readCheckpoint, readTorchCheckpoint, unpickle } from '../src/index.js';

const enc = new TextEncoder();

/** A tiny pickle assembler: each method appends one opcode with its argument. */
class Pickle {
  private readonly out: number[] = [];
  raw(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  proto(v = 2): this {
    return this.raw(0x80, v);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...enc.encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = enc.encode(s);
    return this.raw(0x58, ...u32(b.length), ...b);
  }
  shortStr(s: string): this {
    const b = enc.encode(s);
    return this.raw(0x8c, b.length, ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    return this.raw(0x4a, ...u32(n >>> 0));
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  stop(): Uint8Array {
    return new Uint8Array([...this.out, 0x2e]);
  }
  ints(xs: number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').emptyTuple().reduce();
  }
  /** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())` */
  tensor(t: TensorSpec): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', t.type).str(t.key).str('cpu').int(t.numel).tuple().raw(0x51);
    this.int(t.offset ?? 0)
      .ints(t.size)
      .ints(t.stride ?? contiguousStride(t.size));
    return this.raw(0x89).orderedDict().tuple().reduce();
  }
}

interface TensorSpec {
  type: string;
  key: string;
  numel: number;
  size: number[];
  stride?: number[];
  offset?: number;
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function contiguousStride(size: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= size[i]!;
  }
  return s;
}
function f32Bytes(xs: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(xs).buffer);
}

/** A state-dict pickle: OrderedDict with `name → tensor` items, as torch.save writes it. */
function stateDictPickle(tensors: [string, TensorSpec][]): Uint8Array {
  const p = new Pickle().proto().orderedDict().mark();
  for (const [name, t] of tensors) p.str(name).tensor(t);
  return p.setitems().stop();
}

/** A torch-style zip: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`, stored with padding. */
function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, prefix = 'archive', level: 0 | 6 = 0): Uint8Array {
  // Torch pads local headers with an "FB" extra field so data is 64-byte aligned; imitate it.
  const opts = { level, extra: { 0x4246: new Uint8Array(13).fill(0x5a) } } as const;
  const files: Zippable = { [`${prefix}/data.pkl`]: [pkl, opts], [`${prefix}/version`]: [enc.encode('3\n'), opts] };
  for (const [key, bytes] of Object.entries(storages)) files[`${prefix}/data/${key}`] = [bytes, opts];
  return zipSync(files);
}

function expectCheckpointError(fn: () => unknown, message: RegExp): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(message);
  return caught as CheckpointError;
}

describe('readTorchCheckpoint on hand-built zips', () => {
  it('reads float32 tensors in order, with offsets, strides, shared storage and 0-d tensors', () => {
    const pkl = stateDictPickle([
      ['a.weight', { type: 'FloatStorage', key: '0', numel: 8, size: [2, 3] }],
      // Transposed view of the same storage: shape [3, 2], strides [1, 3].
      ['a.weight_t', { type: 'FloatStorage', key: '0', numel: 8, size: [3, 2], stride: [1, 3] }],
      ['a.bias', { type: 'FloatStorage', key: '0', numel: 8, size: [2], offset: 6 }],
      ['scalar', { type: 'FloatStorage', key: '1', numel: 1, size: [] }],
      ['empty', { type: 'FloatStorage', key: '2', numel: 0, size: [0, 4] }],
    ]);
    const zip = torchZip(pkl, { '0': f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]), '1': f32Bytes([-2.5]), '2': new Uint8Array(0) });
    const sd = readTorchCheckpoint(zip);
    expect([...sd.keys()]).toEqual(['a.weight', 'a.weight_t', 'a.bias', 'scalar', 'empty']);
    expect(sd.get('a.weight')).toEqual({ shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(sd.get('a.weight_t')).toEqual({ shape: [3, 2], data: new Float32Array([1, 4, 2, 5, 3, 6]) });
    expect(sd.get('a.bias')).toEqual({ shape: [2], data: new Float32Array([7, 8]) });
    expect(sd.get('scalar')).toEqual({ shape: [], data: new Float32Array([-2.5]) });
    expect(sd.get('empty')).toEqual({ shape: [0, 4], data: new Float32Array(0) });
    // Tensors sharing a storage are independent copies.
    sd.get('a.weight')!.data[0] = 99;
    expect(sd.get('a.weight_t')!.data[0]).toBe(1);
  });

  it('converts float16, bfloat16 and int64 storages to float32 exactly', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc0a0, 0x3eab]).buffer);
    const long = new Uint8Array(new BigInt64Array([12345n]).buffer);
    const pkl = stateDictPickle([
      ['h', { type: 'HalfStorage', key: '0', numel: 5, size: [5] }],
      ['b', { type: 'BFloat16Storage', key: '1', numel: 3, size: [3] }],
      ['bn.num_batches_tracked', { type: 'LongStorage', key: '2', numel: 1, size: [] }],
    ]);
    const sd = readTorchCheckpoint(torchZip(pkl, { '0': half, '1': bf16, '2': long }));
    expect([...sd.get('h')!.data]).toEqual([1, -2, 2 ** -24, Infinity, 0.333251953125]);
    expect([...sd.get('b')!.data]).toEqual([1, -5, 0.333984375]);
    expect(sd.get('bn.num_batches_tracked')).toEqual({ shape: [], data: new Float32Array([12345]) });
  });

  it('finds data.pkl under any archive folder, reads deflated entries, unwraps {"model": sd}', () => {
    // {'epoch': 3, 'model': {'w': tensor}}
    const p = new Pickle().proto().emptyDict().str('epoch').int(3).setitem().str('model').emptyDict();
    const pkl = p
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', numel: 2, size: [2] })
      .setitem()
      .setitem()
      .stop();
    for (const level of [0, 6] as const) {
      const sd = readCheckpoint(torchZip(pkl, { '0': f32Bytes([4, 5]) }, 'sam_vit_b_01ec64', level));
      expect(sd).toEqual(new Map([['w', { shape: [2], data: new Float32Array([4, 5]) }]]));
    }
  });

  it('unwraps {"state_dict": sd} and nn.Parameter (_rebuild_parameter)', () => {
    const p = new Pickle().proto().emptyDict().str('state_dict').orderedDict().str('p');
    p.global('torch._utils', '_rebuild_parameter').mark();
    p.tensor({ type: 'FloatStorage', key: '0', numel: 1, size: [1] })
      .raw(0x88)
      .orderedDict()
      .tuple()
      .reduce();
    const pkl = p.setitem().setitem().stop();
    const sd = readTorchCheckpoint(torchZip(pkl, { '0': f32Bytes([7]) }));
    expect(sd.get('p')).toEqual({ shape: [1], data: new Float32Array([7]) });
  });
});

describe('refused pickle globals', () => {
  const evil: [string, string][] = [
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch._utils', '_rebuild_tensor'],
  ];
  it.each(evil)('GLOBAL %s.%s + REDUCE is refused, naming the global', (module, name) => {
    const pkl = new Pickle().proto().global(module, name).mark().str('touch /tmp/pwned').tuple().reduce().stop();
    for (const read of [readTorchCheckpoint, readCheckpoint]) {
      const err = expectCheckpointError(() => read(torchZip(pkl, {})), /refusing pickle global/);
      expect(err.message).toBe(`refusing pickle global "${module}.${name}": only state-dict globals are allowed`);
    }
  });

  it('STACK_GLOBAL (protocol 4) os.system + REDUCE is refused', () => {
    const pkl = new Pickle().proto(4).shortStr('os').shortStr('system').raw(0x93, 0x94).shortStr('id').raw(0x85).reduce().stop();
    expectCheckpointError(() => readTorchCheckpoint(torchZip(pkl, {})), /refusing pickle global "os\.system"/);
  });

  it('a refused global hidden inside a valid state dict is still refused', () => {
    const p = new Pickle().proto().orderedDict().mark();
    p.str('w').tensor({ type: 'FloatStorage', key: '0', numel: 1, size: [1] });
    p.str('x').global('builtins', 'eval').mark().str('1+1').tuple().reduce();
    const pkl = p.setitems().stop();
    expectCheckpointError(() => readTorchCheckpoint(torchZip(pkl, { '0': f32Bytes([1]) })), /"builtins\.eval"/);
  });

  it('the unpickler resolves names only via findClass and never calls what it refuses', () => {
    const calls: string[] = [];
    const findClass = (module: string, name: string): unknown => {
      calls.push(`find ${module}.${name}`);
      if (module === 'safe') return new PickleCallable('safe.f', () => calls.push('safe.f called'));
      throw new CheckpointError(`refused ${module}.${name}`);
    };
    const pkl = new Pickle().proto().global('safe', 'f').emptyTuple().reduce().raw(0x30);
    const bytes = pkl.global('os', 'system').mark().str('rm -rf /').tuple().reduce().stop();
    expectCheckpointError(() => unpickle(bytes, { findClass }), /refused os\.system/);
    expect(calls).toEqual(['find safe.f', 'safe.f called', 'find os.system']);
    // REDUCE on something that findClass did not hand out (here a string) is refused too.
    const notCallable = new Pickle().proto().str('os.system').emptyTuple().reduce().stop();
    expectCheckpointError(() => unpickle(notCallable, { findClass }), /not an allowed callable/);
  });
});

describe('broken and unsupported files', () => {
  const good = torchZip(stateDictPickle([['w', { type: 'FloatStorage', key: '0', numel: 4, size: [4] }]]), {
    '0': f32Bytes([1, 2, 3, 4]),
  });

  it('the good zip reads', () => {
    expect(readTorchCheckpoint(good).get('w')?.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it.each([10, 30, 100, Math.floor(good.length / 2), good.length - 4])('a zip truncated by %d bytes is a clear error', (cut) => {
    expectCheckpointError(() => readCheckpoint(good.subarray(0, good.length - cut)), /truncated or corrupt/);
  });

  it('flipped bytes in a stored entry fail the CRC check', () => {
    const bad = good.slice();
    const at = Buffer.from(bad).indexOf('OrderedDict'); // inside data.pkl
    bad[at] = bad[at]! ^ 0x20;
    expectCheckpointError(() => readTorchCheckpoint(bad), /CRC mismatch in "archive\/data\.pkl"/);
  });

  it('a corrupt data.pkl names the problem', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0x80, 0x02, 0xff, 0x2e]), /unknown pickle opcode 0xff/],
      [new Uint8Array([0x80, 0x02, 0x69]), /opcode INST \(0x69\) is not supported/],
      [new Uint8Array([0x80, 0x02, 0x7d]), /no STOP opcode/],
      [new Uint8Array([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f]), /truncated/],
      [new Uint8Array([0x80, 0x02, 0x68, 0x05, 0x2e]), /memo key 5 not found/],
      [new Uint8Array([0x80, 0x02, 0x74, 0x2e]), /no MARK/],
      [new Uint8Array([0x80, 0x02, 0x4b, 0x01, 0x2e]), /does not hold a dict of tensors/],
    ];
    for (const [pkl, message] of cases) {
      expectCheckpointError(() => readTorchCheckpoint(torchZip(pkl, {})), message);
    }
  });

  it('a storage shorter than its tensor needs names the tensor', () => {
    const pkl = stateDictPickle([['blocks.0.w', { type: 'FloatStorage', key: '0', numel: 6, size: [2, 3] }]]);
    expectCheckpointError(
      () => readTorchCheckpoint(torchZip(pkl, { '0': f32Bytes([1, 2, 3]) })),
      /storage data\/0 of tensor "blocks\.0\.w" has 12 bytes, but its 6 float32 elements need 24/,
    );
    const view = stateDictPickle([['v', { type: 'FloatStorage', key: '0', numel: 3, size: [2, 2] }]]);
    expectCheckpointError(() => readTorchCheckpoint(torchZip(view, { '0': f32Bytes([1, 2, 3]) })), /tensor "v" .* reaches element 3/);
    const huge = stateDictPickle([['e', { type: 'FloatStorage', key: '0', numel: 1, size: [100000, 100000], stride: [0, 0] }]]);
    expectCheckpointError(() => readTorchCheckpoint(torchZip(huge, { '0': f32Bytes([1]) })), /"e" has 10000000000 elements/);
    const missing = stateDictPickle([['m', { type: 'FloatStorage', key: '9', numel: 1, size: [1] }]]);
    expectCheckpointError(() => readTorchCheckpoint(torchZip(missing, {})), /storage data\/9 of tensor "m" is missing/);
  });

  it('the legacy (pre-1.6) pickle format is refused with how to convert', () => {
    // torch legacy files start with a pickled magic number: PROTO 2, LONG1 0x1950a86a20f9469cfc6c.
    const legacy = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    for (const read of [readTorchCheckpoint, readCheckpoint]) {
      expectCheckpointError(() => read(legacy), /legacy \(non-zip, pre-1\.6\).*torch>=1\.6.*torch\.save/);
    }
  });

  it('zips that are not torch.save state dicts, and unknown formats', () => {
    expectCheckpointError(() => readCheckpoint(zipSync({ 'a.txt': enc.encode('hi') })), /no <archive>\/data\.pkl/);
    const script = zipSync({ 'm/data.pkl': new Pickle().proto().emptyDict().stop(), 'm/constants.pkl': new Uint8Array(1) });
    expectCheckpointError(() => readCheckpoint(script), /TorchScript/);
    expectCheckpointError(() => readCheckpoint(new Uint8Array(0)), /empty/);
    expectCheckpointError(() => readCheckpoint(enc.encode('version https://git-lfs.github.com/spec/v1\n')), /Git LFS/);
    expectCheckpointError(() => readCheckpoint(enc.encode('<html>not a model</html>')), /unrecognised checkpoint format/);
  });
});
