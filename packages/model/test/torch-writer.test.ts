/**
 * writeTorchCheckpoint (the `torch.save(state_dict)` writer) and randomSamStateDict: round trips
 * through our reader, float16/bfloat16 rounding, torch's zip layout, byte-identity with a file torch
 * wrote, and that generated state dicts have the official layout and infer the intended config.
 */
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  RANDOM_SAM_ENCODERS,
  floatToBFloat16Bits,
  floatToHalfBits,
  halfToFloat,
  inferSamConfig,
  randomSamStateDict,
  readCheckpoint,
  readTorchCheckpoint,
  samStateDictShapes,
  writeTorchCheckpoint,
  type RandomSamVariant,
  type StateDict,
} from '../src/index.js';
import { listZip, readZipEntry } from '../src/checkpoint/zip.js';
import { describeFixtures, readFixture } from '../../../testing/fixtures.js';

const t = (shape: number[], values: number[]) => ({ shape, data: new Float32Array(values) });
const f32 = (v: number) => new Float32Array([v])[0]!;
const bf16ToFloat = (bits: number) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;

function sample(): StateDict {
  return new Map([
    ['w', t([2, 3], [1, -2, 3.5, 1e-8, 65504, -0])],
    ['scalar', t([], [0.1])],
    ['empty', t([0, 4], [])],
    ['conv', t([1, 2, 1, 2], [0.25, 0.5, 0.75, 1])],
    ['bn.num_batches_tracked', t([], [12345])],
  ]);
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Same keys in the same order, same shapes, bit-identical values. */
function expectSameTensors(a: StateDict, b: StateDict): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, x] of a) {
    expect(b.get(k)!.shape, k).toEqual(x.shape);
    expect(bytesOf(b.get(k)!.data).equals(bytesOf(x.data)), k).toBe(true);
  }
}

describe('writeTorchCheckpoint', () => {
  it('round-trips float32 exactly, in order, with 0-d and empty tensors', () => {
    const sd = sample();
    expectSameTensors(sd, readCheckpoint(writeTorchCheckpoint(sd)));
  });

  it('stores float16 / bfloat16 rounded to nearest even, and num_batches_tracked as int64', () => {
    const sd = sample();
    const keepInt = (k: string, v: number) => (k.endsWith('tracked') ? v : NaN);
    for (const [dtype, decode] of [
      ['float16', (v: number) => halfToFloat(floatToHalfBits(v))],
      ['bfloat16', (v: number) => bf16ToFloat(floatToBFloat16Bits(v))],
    ] as const) {
      const back = readTorchCheckpoint(writeTorchCheckpoint(sd, { dtype }));
      for (const [k, x] of sd) {
        const want = Array.from(x.data, (v) => (Number.isNaN(keepInt(k, v)) ? decode(v) : v));
        expect(Array.from(back.get(k)!.data), `${dtype} ${k}`).toEqual(want);
      }
    }
    const bytes = writeTorchCheckpoint(sd, { dtype: 'bfloat16' });
    const pkl = new TextDecoder().decode(readZipEntry(bytes, listZip(bytes).get('archive/data.pkl')!));
    expect(pkl).toContain('torch\nLongStorage\n');
    expect(pkl).toContain('torch\nBFloat16Storage\n');
  });

  it('honours dtypeOf per key and refuses non-integers as int64', () => {
    const sd = sample();
    const back = readCheckpoint(writeTorchCheckpoint(sd, { dtypeOf: (k) => (k === 'w' ? 'float16' : undefined) }));
    expect(back.get('w')!.data[3]).toBe(halfToFloat(floatToHalfBits(1e-8)));
    expect(back.get('scalar')!.data[0]).toBe(f32(0.1));
    expect(() => writeTorchCheckpoint(sd, { dtypeOf: (k) => (k === 'w' ? 'int64' : undefined) })).toThrow(/"w" holds -?\d/);
  });

  it('rejects a tensor whose data does not match its shape, naming it', () => {
    const sd: StateDict = new Map([['bad.weight', t([2, 2], [1, 2, 3])]]);
    expect(() => writeTorchCheckpoint(sd)).toThrow(CheckpointError);
    expect(() => writeTorchCheckpoint(sd)).toThrow(/"bad\.weight" has 3 values but shape \[2, 2\]/);
  });

  it('lays out the zip as torch does: archive/, stored, 64-byte aligned, version 3, deterministic', () => {
    const bytes = writeTorchCheckpoint(sample(), { archiveName: 'my_model' });
    const entries = listZip(bytes);
    expect([...entries.keys()]).toEqual([
      'my_model/data.pkl',
      'my_model/byteorder',
      ...['0', '1', '2', '3', '4'].map((k) => `my_model/data/${k}`),
      'my_model/version',
    ]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (const e of entries.values()) {
      expect(e.method).toBe(0);
      const dataStart = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
      expect(dataStart % 64, e.name).toBe(0);
    }
    expect(new TextDecoder().decode(readZipEntry(bytes, entries.get('my_model/version')!))).toBe('3\n');
    expect(Buffer.from(writeTorchCheckpoint(sample(), { archiveName: 'my_model' })).equals(Buffer.from(bytes))).toBe(true);
  });

  it('batches SETITEMS by 1000 like CPython (1001 keys: last batch is a bare SETITEM)', () => {
    const sd: StateDict = new Map(Array.from({ length: 1001 }, (_, i) => [`k${i}`, t([1], [i])] as const));
    const bytes = writeTorchCheckpoint(sd);
    expectSameTensors(sd, readCheckpoint(bytes));
    const pkl = readZipEntry(bytes, listZip(bytes).get('archive/data.pkl')!);
    expect(pkl.at(-2)).toBe(0x73); // SETITEM, then STOP
  });
});

describe('float16 / bfloat16 rounding', () => {
  it('float16: every finite half round-trips; ties go to even; overflow and NaN', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (floatToHalfBits(halfToFloat(h)) !== h) throw new Error(`half 0x${h.toString(16)} does not round-trip`);
    }
    // 1 + 2^-11 is halfway between 1 (even mantissa) and 1 + 2^-10: ties to 1.
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway to the odd neighbour: up to even
    expect(floatToHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway: up
    expect(floatToHalfBits(2 ** -25)).toBe(0); // half the smallest subnormal: ties to 0
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(2); // 1.5 subnormal units: to even (2)
    expect(floatToHalfBits(65519)).toBe(0x7bff); // below the overflow midpoint: max half 65504
    expect(floatToHalfBits(65520)).toBe(0x7c00); // the midpoint rounds to even: Inf
    expect(floatToHalfBits(-1e10)).toBe(0xfc00);
    expect(floatToHalfBits(-0)).toBe(0x8000);
    expect(floatToHalfBits(1e-45)).toBe(0); // float32 subnormal
    expect(Number.isNaN(halfToFloat(floatToHalfBits(NaN)))).toBe(true);
  });

  it('bfloat16: the top 16 bits, rounded to nearest even', () => {
    expect(floatToBFloat16Bits(1)).toBe(0x3f80);
    expect(floatToBFloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBFloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(floatToBFloat16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToBFloat16Bits(3.4e38)).toBe(0x7f80); // rounds past the largest bfloat16: Inf
    expect(floatToBFloat16Bits(-Infinity)).toBe(0xff80);
    expect(Number.isNaN(bf16ToFloat(floatToBFloat16Bits(NaN)))).toBe(true);
  });
});

describe('randomSamStateDict', () => {
  const vitCases: [RandomSamVariant, number, number, number, number[]][] = [
    ['tiny', 32, 2, 2, [1]],
    ['vit_b', 768, 12, 12, [2, 5, 8, 11]],
    ['vit_l', 1024, 24, 16, [5, 11, 17, 23]],
    ['vit_h', 1280, 32, 16, [7, 15, 23, 31]],
  ];
  it.each(vitCases)('%s: inferSamConfig finds embed %i, depth %i, heads %i, global %j', (variant, embedDim, depth, numHeads, globals) => {
    // Shapes only (ViT-H's values would be 2.6 GB): the config is inferred from shapes alone.
    const shapes: StateDict = new Map([...samStateDictShapes(variant)].map(([k, s]) => [k, { shape: s, data: new Float32Array(0) }]));
    const cfg = inferSamConfig(shapes);
    expect(cfg.encoder).toEqual(RANDOM_SAM_ENCODERS[variant]);
    expect(cfg.encoder).toMatchObject({ embedDim, depth, numHeads, globalAttnIndexes: globals, windowSize: 14, imgSize: 1024 });
    expect(cfg.decoder).toEqual({ depth: 2, numHeads: 8, numMaskTokens: 4 });
  });

  it('vit_b: values match the shapes, are finite and in range; ViT-B parameter count', () => {
    const sd = randomSamStateDict('vit_b', { seed: 3 });
    expect([...sd].map(([k, x]) => [k, x.shape])).toEqual([...samStateDictShapes('vit_b')]);
    let params = 0;
    for (const [k, x] of sd) {
      params += x.data.length;
      expect(x.data.length, k).toBe(x.shape.reduce((a, d) => a * d, 1));
      expect(x.data.every((v) => Number.isFinite(v) && Math.abs(v) <= 1.1)).toBe(true);
    }
    expect(params).toBe(93_735_728); // SAM ViT-B's parameter count
    expect(inferSamConfig(sd).encoder).toEqual(RANDOM_SAM_ENCODERS.vit_b);
  });

  it('is deterministic, seed-dependent, and per-tensor (decoders equal across encoder sizes)', () => {
    const a = randomSamStateDict('tiny', { seed: 7 });
    expectSameTensors(a, randomSamStateDict('tiny', { seed: 7 }));
    const k = 'mask_decoder.iou_token.weight';
    expect(randomSamStateDict('tiny', { seed: 8 }).get(k)!.data).not.toEqual(a.get(k)!.data);
    expect(randomSamStateDict('mobile_sam', { seed: 7 }).get(k)!.data).toEqual(a.get(k)!.data);
  });

  it('round-trips through writeTorchCheckpoint / readCheckpoint (tiny, mobile_sam in float16)', () => {
    const tiny = randomSamStateDict('tiny');
    expectSameTensors(tiny, readCheckpoint(writeTorchCheckpoint(tiny)));
    const ms = randomSamStateDict('mobile_sam');
    const back = readCheckpoint(writeTorchCheckpoint(ms, { dtype: 'float16' }));
    expect(back.get('image_encoder.layers.0.blocks.0.conv1.bn.num_batches_tracked')!.data[0]).toBe(1000);
    expect(inferSamConfig(back).encoder).toEqual(RANDOM_SAM_ENCODERS.mobile_sam);
  });
});

describeFixtures('against files written by torch', () => {
  it('mobile_sam: same keys, shapes and order as mobile_sam_random.pth', () => {
    const ref = readCheckpoint(readFixture('mobile_sam_random.pth'));
    expect([...randomSamStateDict('mobile_sam')].map(([k, x]) => [k, x.shape])).toEqual([...ref].map(([k, x]) => [k, x.shape]));
  });

  it('custom ViT: same layout as sam_vit_mini.pth', () => {
    const ref = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const tiny = RANDOM_SAM_ENCODERS.tiny;
    if (tiny.family !== 'sam_vit') throw new Error('tiny is a ViT');
    const mini = { ...tiny, embedDim: 128, depth: 4, numHeads: 4, globalAttnIndexes: [1, 3] };
    expect([...samStateDictShapes(mini)]).toEqual([...ref].map(([k, x]) => [k, x.shape]));
  });

  it('re-writing mobile_sam_random.pth (float16) reproduces torch’s data.pkl and storages byte for byte', () => {
    const src = new Uint8Array(readFixture('mobile_sam_random.pth'));
    const out = writeTorchCheckpoint(readCheckpoint(src), { dtype: 'float16', archiveName: 'mobile_sam_random' });
    const a = listZip(src);
    const b = listZip(out);
    for (const [name, e] of a) {
      const mine = b.get(name);
      expect(mine, name).toBeDefined();
      expect(Buffer.from(readZipEntry(out, mine!)).equals(Buffer.from(readZipEntry(src, e))), name).toBe(true);
    }
  });
});
