/**
 * The tensor-by-tensor builder of random state dicts (`randomSamStateDict`): each family's
 * `randomStateDict` and the shared prompt encoder / mask decoder append to one in the official
 * key order.
 *
 * Values: weights and biases ~ U(-1/√fan_in, 1/√fan_in) (PyTorch's default Linear/Conv range),
 * norm weights ~ 1 ± 0.1, norm biases ~ ±0.1, embeddings ~ U(-1, 1), position tables ~ ±0.02,
 * BatchNorm running_var in [0.5, 1.5]. Each tensor has its own stream seeded by (seed, key), so a
 * tensor's values do not depend on the rest of the model (e.g. `tiny` and `vit_b` share decoders).
 */
import type { StateDict } from './checkpoint/index.js';

/** Appends tensors in order, each filled from a mulberry32 stream seeded by hash(seed, key). */
export class StateDictBuilder {
  readonly sd: StateDict = new Map();
  /** `fill` false records shapes only (every `data` is empty). */
  constructor(
    private readonly seed: number,
    private readonly fill: boolean,
  ) {}

  /** Values uniform in [center − scale, center + scale). */
  uniform(key: string, shape: number[], scale: number, center = 0): void {
    let n = 1;
    for (const d of shape) n *= d;
    if (!this.fill) n = 0;
    const data = new Float32Array(n);
    let s = hashKey(this.seed, key);
    for (let i = 0; i < n; i++) {
      // mulberry32
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      data[i] = center + scale * (((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1);
    }
    this.sd.set(key, { shape, data });
  }
  /** Linear `[out, in]` + bias `[out]`. */
  linear(p: string, out: number, inF: number): void {
    this.uniform(`${p}.weight`, [out, inF], 1 / Math.sqrt(inF));
    this.uniform(`${p}.bias`, [out], 1 / Math.sqrt(inF));
  }
  /** Conv2d `[out, in, k, k]` (+ bias `[out]`); PyTorch's fan_in is in·k². */
  conv(p: string, out: number, inC: number, k: number, bias = true): void {
    const bound = 1 / Math.sqrt(inC * k * k);
    this.uniform(`${p}.weight`, [out, inC, k, k], bound);
    if (bias) this.uniform(`${p}.bias`, [out], bound);
  }
  /** ConvTranspose2d `[in, out, k, k]` + bias `[out]`; PyTorch's fan_in is dim 1 × k², i.e. out·k². */
  convTranspose(p: string, inC: number, out: number, k: number): void {
    const bound = 1 / Math.sqrt(out * k * k);
    this.uniform(`${p}.weight`, [inC, out, k, k], bound);
    this.uniform(`${p}.bias`, [out], bound);
  }
  /** LayerNorm / LayerNorm2d `weight`, `bias` `[c]`. */
  norm(p: string, c: number): void {
    this.uniform(`${p}.weight`, [c], 0.1, 1);
    this.uniform(`${p}.bias`, [c], 0.1);
  }
  /** TinyViT's Conv2d_BN: `c.weight [out, in, k, k]` (no bias) and BatchNorm2d `bn.*` with running stats. */
  convBn(p: string, out: number, inC: number, k: number): void {
    this.conv(`${p}.c`, out, inC, k, false);
    this.norm(`${p}.bn`, out);
    this.uniform(`${p}.bn.running_mean`, [out], 0.1);
    this.uniform(`${p}.bn.running_var`, [out], 0.5, 1); // positive: it is divided by (via its sqrt)
    this.sd.set(`${p}.bn.num_batches_tracked`, { shape: [], data: new Float32Array(this.fill ? [1000] : []) });
  }
  /** SAM's image-encoder neck: Conv 1x1 → LayerNorm2d → Conv 3x3 → LayerNorm2d, convs without bias. */
  neck(p: string, inChans: number, out: number): void {
    this.conv(`${p}.neck.0`, out, inChans, 1, false);
    this.norm(`${p}.neck.1`, out);
    this.conv(`${p}.neck.2`, out, out, 3, false);
    this.norm(`${p}.neck.3`, out);
  }
}

/** FNV-1a of the key, mixed with the seed: an independent 32-bit stream start per tensor. */
function hashKey(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
