/**
 * The shared fixture checkpoints, as written by real `torch.save` (stored entries, flag bit 3 with
 * zero local sizes, "FB" alignment padding): float32, bfloat16 and float16 files all load to float32.
 */
import { expect, it } from 'vitest';
import { describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';
import { expectShape, readCheckpoint, readSafetensors, readTorchCheckpoint, writeSafetensors, type StateDict } from '../src/index.js';

const cache = new Map<string, StateDict>();
function load(model: string): StateDict {
  let sd = cache.get(model);
  if (!sd) {
    const entry = manifest().models[model];
    if (!entry) throw new Error(`no model ${model} in manifest`);
    sd = readCheckpoint(new Uint8Array(readFixture(entry.checkpoint)));
    cache.set(model, sd);
  }
  return sd;
}

/** Same keys in the same order, same shapes, bit-identical data (fast; vitest's deep equal is slow here). */
function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    const bits = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    expect(Buffer.compare(bits(t.data), bits(u.data)), k).toBe(0);
  }
}

function allFinite(sd: StateDict): boolean {
  for (const t of sd.values()) for (const v of t.data) if (!Number.isFinite(v)) return false;
  return true;
}

describeFixtures('fixture checkpoints', () => {
  it('sam_vit_mini (float32) loads with the SAM ViT layout the manifest describes', () => {
    const sd = load('sam_vit_mini');
    const m = manifest().models.sam_vit_mini!;
    const embed = m.embed_dim!;
    expect(sd.size).toBe(202);
    expectShape(sd, 'image_encoder.patch_embed.proj.weight', [128, 3, 16, 16]);
    expectShape(sd, 'image_encoder.pos_embed', [1, 64, 64, embed]);
    for (let i = 0; i < m.depth!; i++) {
      // Global blocks span the 64×64 grid (2·64−1 rows), windowed ones a 14×14 window (2·14−1).
      const rows = m.global_attn_indexes!.includes(i) ? 127 : 27;
      expectShape(sd, `image_encoder.blocks.${i}.attn.rel_pos_h`, [rows, embed / m.num_heads!]);
      expectShape(sd, `image_encoder.blocks.${i}.attn.qkv.weight`, [3 * embed, embed]);
    }
    expect(sd.has(`image_encoder.blocks.${m.depth}.norm1.weight`)).toBe(false);
    expectShape(sd, 'image_encoder.neck.0.weight', [256, embed, 1, 1]);
    expectShape(sd, 'mask_decoder.mask_tokens.weight', [4, 256]);
    expectShape(sd, 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix', [2, 128]);
    expect(allFinite(sd)).toBe(true);
    // Randomised weights: not all zero.
    expect(sd.get('image_encoder.patch_embed.proj.weight')!.data.some((v) => v !== 0)).toBe(true);
  });

  it('sam_vit_mini_trained (bfloat16) loads as float32 holding exactly bfloat16 values', () => {
    const sd = load('sam_vit_mini_trained');
    expect(manifest().models.sam_vit_mini_trained!.stored_dtype).toBe('bfloat16');
    expect([...sd.keys()]).toEqual([...load('sam_vit_mini').keys()]);
    expect(allFinite(sd)).toBe(true);
    for (const t of sd.values()) {
      expect(t.data).toBeInstanceOf(Float32Array);
      const low = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      expect(low.every((bits) => (bits & 0xffff) === 0)).toBe(true);
    }
  });

  it('mobile_sam_random (float16) loads TinyViT keys as float32', () => {
    const sd = load('mobile_sam_random');
    expect(sd.size).toBe(439);
    expect(allFinite(sd)).toBe(true);
    expectShape(sd, 'image_encoder.patch_embed.seq.0.c.weight', [32, 3, 3, 3]);
    expectShape(sd, 'image_encoder.layers.0.blocks.0.conv1.c.weight', [256, 64, 1, 1]);
    expectShape(sd, 'image_encoder.layers.2.blocks.5.attn.attention_biases', [5, 196]);
    expectShape(sd, 'image_encoder.layers.3.blocks.1.attn.qkv.weight', [960, 320]);
    expectShape(sd, 'image_encoder.neck.0.weight', [256, 320, 1, 1]);
    // int64 BatchNorm counters load as float32 0-d tensors.
    expectShape(sd, 'image_encoder.patch_embed.seq.0.bn.num_batches_tracked', []);
    expect(sd.has('image_encoder.blocks.0.norm1.weight')).toBe(false);
    // float16 values: the low 13 significand bits of their float32 form are zero (normal range).
    for (const t of sd.values()) {
      const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      for (let i = 0; i < bits.length; i++) {
        const v = Math.abs(t.data[i]!);
        if (v >= 2 ** -14 && ((bits[i]! & 0x1fff) !== 0 || v > 65504)) throw new Error(`${v} is not a float16 value`);
      }
    }
  });

  it('readCheckpoint = readTorchCheckpoint, and a safetensors round trip keeps every value', () => {
    const bytes = new Uint8Array(readFixture(manifest().models.sam_vit_mini!.checkpoint));
    const sd = readTorchCheckpoint(bytes);
    expectSameStateDict(sd, load('sam_vit_mini'));
    expectSameStateDict(readSafetensors(writeSafetensors(sd)), sd);
  });
});
