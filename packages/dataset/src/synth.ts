/**
 * Synthetic SA-1B datasets with statistics known in closed form, for tests and for the
 * 10k-image / 1M-mask benchmark. Every mask is an axis-aligned square of even side `s` or an
 * L-shape (that square minus its top-right `s/2 × s/2` quadrant), placed inside the image:
 *
 * - square: area `s²`, concavity exactly 0 (corner hull = the square);
 * - L: area `3s²/4`, corner hull area `s² − (s/2)²/2 = 7s²/8`, concavity exactly `1/7`.
 *
 * Masks per image come in pairs `mean + d`, `mean − d` so the total is exactly `images × mean`
 * (for an even number of images). RLE is built straight from the shapes' column runs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rleToString } from '@tsam/core';
import { loadSharp } from './lazy-sharp.js';
import { ShardWriter } from './shard.js';
import type { ProgressFn, Sa1bAnnotation, Sa1bRecord } from './types.js';

export interface SynthOptions {
  images: number;
  /** Mean masks per image (default 100); per-image counts spread up to ±`spread` (default 95% of it). */
  masksPerImage?: number;
  spread?: number;
  seed?: number;
  /** Image sizes `[width, height]` to pick from (default four SA-1B-like aspect ratios, small). */
  sizes?: [number, number][];
  /** Also write a JPEG per image (default true). */
  writeImages?: boolean;
  /** `sa1b` folder (default) or a `shard` (`out` is then the .tar path). */
  format?: 'sa1b' | 'shard';
  onProgress?: ProgressFn;
}

/** What the statistics of the generated dataset must be. */
export interface SynthExpected {
  images: number;
  masks: number;
  squares: number;
  lShapes: number;
  /** `"n": images with n masks`. */
  masksPerImage: Record<string, number>;
  relativeSizeMean: number;
  /** Exactly `lShapes / 7 / masks`. */
  concavityMean: number;
}

/** Column-major RLE counts of an `s × s` square at (x0, y0), minus the top-right quadrant if `l`. */
export function shapeCounts(H: number, x0: number, y0: number, s: number, l: boolean, W: number): number[] {
  const counts: number[] = [];
  let pos = 0;
  const k = s / 2;
  for (let x = x0; x < x0 + s; x++) {
    const a = l && x >= x0 + s - k ? y0 + k : y0;
    const zeros = x * H + a - pos;
    // Touching runs (a full-height column after another) merge, so the RLE is canonical.
    if (zeros === 0 && counts.length > 0) counts[counts.length - 1]! += y0 + s - a;
    else counts.push(zeros, y0 + s - a);
    pos = x * H + y0 + s;
  }
  counts.push(H * W - pos);
  return counts;
}

/** Generates one image's record. */
function makeRecord(id: number, W: number, H: number, n: number, rand: () => number, nextId: () => number, acc: SynthExpected): Sa1bRecord {
  const annotations: Sa1bAnnotation[] = [];
  const maxHalf = Math.max(1, Math.floor(Math.min(W, H) / 4));
  for (let m = 0; m < n; m++) {
    const s = 2 * randInt(rand, 1, maxHalf); // even side, at most half the shorter image side
    const l = rand() < 0.5;
    const x0 = randInt(rand, 0, W - s);
    const y0 = randInt(rand, 0, H - s);
    const area = l ? (3 * s * s) / 4 : s * s;
    if (l) acc.lShapes++;
    else acc.squares++;
    acc.relativeSizeMean += Math.sqrt(area / (W * H));
    annotations.push({
      id: nextId(),
      segmentation: { size: [H, W], counts: rleToString(shapeCounts(H, x0, y0, s, l, W)) },
      bbox: [x0, y0, s - 1, s - 1], // SAM's convention: w = x1 − x0
      area,
      predicted_iou: 0.88 + 0.12 * rand(),
      point_coords: [[x0 + s / 4, y0 + (3 * s) / 4]],
      stability_score: 0.92 + 0.08 * rand(),
      crop_box: [0, 0, W, H],
    });
  }
  return { image: { image_id: id, width: W, height: H, file_name: `sa_${id}.jpg` }, annotations };
}

/** A plain JPEG of the given size (a soft gradient), encoded once per size. */
async function placeholderJpeg(W: number, H: number): Promise<Buffer> {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) px.fill(90 + Math.round((80 * (x + y)) / (W + H)), 3 * (y * W + x), 3 * (y * W + x) + 3);
  const sharp = await loadSharp();
  return sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Writes a synthetic dataset to `out` and returns the statistics it must have. */
export async function generateSynthetic(out: string, opts: SynthOptions): Promise<SynthExpected> {
  const rand = mulberry32(opts.seed ?? 1);
  const mean = opts.masksPerImage ?? 100;
  const spread = Math.min(mean, opts.spread ?? Math.floor(mean * 0.95));
  const sizes = opts.sizes ?? [
    [320, 240],
    [240, 320],
    [300, 300],
    [400, 224],
  ];
  const acc: SynthExpected = { images: 0, masks: 0, squares: 0, lShapes: 0, masksPerImage: {}, relativeSizeMean: 0, concavityMean: 0 };
  const jpegs = new Map<string, Buffer>();
  let annId = 0;
  const shard = opts.format === 'shard' ? await ShardWriter.open(out) : undefined;
  if (!shard) await mkdir(out, { recursive: true });
  let d = 0;
  try {
    for (let i = 0; i < opts.images; i++) {
      if (i % 2 === 0) d = randInt(rand, 0, spread);
      const n = opts.images % 2 === 1 && i === opts.images - 1 ? mean : i % 2 === 0 ? mean + d : mean - d;
      const [W, H] = sizes[randInt(rand, 0, sizes.length - 1)]!;
      const rec = makeRecord(i + 1, W, H, n, rand, () => ++annId, acc);
      acc.images++;
      acc.masks += n;
      acc.masksPerImage[n] = (acc.masksPerImage[n] ?? 0) + 1;
      const json = Buffer.from(JSON.stringify(rec));
      let jpeg: Buffer | undefined;
      if (opts.writeImages ?? true) {
        const key = `${W}x${H}`;
        jpeg = jpegs.get(key) ?? (await placeholderJpeg(W, H));
        jpegs.set(key, jpeg);
      }
      if (shard) {
        if (jpeg) await shard.add(`sa_${i + 1}.jpg`, jpeg);
        await shard.add(`sa_${i + 1}.json`, json);
      } else {
        if (jpeg) await writeFile(join(out, `sa_${i + 1}.jpg`), jpeg);
        await writeFile(join(out, `sa_${i + 1}.json`), json);
      }
      opts.onProgress?.(i + 1, opts.images);
    }
    await shard?.close();
  } catch (e) {
    await shard?.abort();
    throw e;
  }
  acc.relativeSizeMean /= acc.masks || 1;
  acc.concavityMean = acc.masks ? acc.lShapes / 7 / acc.masks : 0;
  return acc;
}

/** mulberry32: a tiny seeded PRNG, so synthetic datasets and overlay colours are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in `[lo, hi]` (inclusive). */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
