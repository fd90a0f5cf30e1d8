/**
 * COCO run-length encoding (the format of SAM's `output_mode="uncompressed_rle"` / pycocotools).
 *
 * Masks here are `Uint8Array`s of `h × w`, row-major (index `y * w + x`), nonzero = in mask.
 * An RLE walks the mask in column-major (Fortran) order, i.e. down each column, left to right,
 * and stores alternating run lengths starting with a run of 0s (so `counts[0]` is 0 when the
 * first pixel is set). `size` is `[h, w]`.
 *
 * The compressed string form is pycocotools' `rleToString`: each count (from the 4th on, minus the
 * count two places before it) is written as a signed little-endian base-32 varint, 5 bits per
 * character, `0x20` = "more follows", `0x10` of the last group = sign, each char offset by 48 ('0').
 */

/** Uncompressed COCO RLE. */
export interface Rle {
  size: [h: number, w: number];
  counts: number[];
}

/** Compressed COCO RLE (pycocotools string counts). */
export interface CompressedRle {
  size: [h: number, w: number];
  counts: string;
}

function checkSize(len: number, h: number, w: number, what: string): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) {
    throw new RangeError(`${what}: size must be non-negative integers, got ${h}×${w} (H×W)`);
  }
  if (len !== h * w) throw new RangeError(`${what}: expected ${h}×${w} = ${h * w} values, got ${len}`);
}

/** Encode a row-major binary mask (`h × w`, nonzero = set) as uncompressed column-major RLE. */
export function maskToRle(mask: ArrayLike<number>, h: number, w: number): Rle {
  checkSize(mask.length, h, w, 'maskToRle');
  const counts: number[] = [];
  let current = 0; // value of the current run (runs start with 0s)
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let i = x; i < h * w; i += w) {
      const v = mask[i] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/**
 * Threshold mask logits (`> threshold`, SAM's `mask_threshold` is 0) and encode directly as
 * uncompressed RLE, without materialising the mask. `logits` is `h × w` row-major.
 */
export function logitsToRle(logits: ArrayLike<number>, h: number, w: number, threshold = 0): Rle {
  checkSize(logits.length, h, w, 'logitsToRle');
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let i = x; i < h * w; i += w) {
      const v = (logits[i] ?? 0) > threshold;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/** Binary mask (`1` where `logits > threshold`, else `0`), same length and layout as `logits`. */
export function logitsToMask(logits: ArrayLike<number>, threshold = 0): Uint8Array {
  const out = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = (logits[i] ?? 0) > threshold ? 1 : 0;
  return out;
}

/** Decode uncompressed RLE to a row-major `h × w` mask of 0/1. Throws if the counts don't cover `h·w`. */
export function rleToMask(rle: Rle): Uint8Array {
  const [h, w] = rle.size;
  const n = h * w;
  const out = new Uint8Array(n);
  let idx = 0; // column-major position
  let value = 0;
  for (const count of rle.counts) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`rleToMask: invalid count ${count}`);
    if (idx + count > n) throw new RangeError(`rleToMask: counts sum past ${h}×${w} = ${n} pixels`);
    if (value && count > 0) {
      // column-major index idx → (y = idx mod h, x = idx div h)
      let x = Math.floor(idx / h);
      let y = idx - x * h;
      for (let k = 0; k < count; k++) {
        out[y * w + x] = 1;
        if (++y === h) {
          y = 0;
          x++;
        }
      }
    }
    idx += count;
    value ^= 1;
  }
  if (idx !== n) throw new RangeError(`rleToMask: counts sum to ${idx}, expected ${h}×${w} = ${n}`);
  return out;
}

/** Number of set pixels (sum of the odd-indexed counts). */
export function rleArea(rle: Rle | { counts: readonly number[] }): number {
  let area = 0;
  const c = rle.counts;
  for (let i = 1; i < c.length; i += 2) area += c[i] ?? 0;
  return area;
}

/** Encode counts as a pycocotools compressed RLE string. */
export function rleToString(counts: readonly number[]): string {
  const chars: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] ?? 0;
    if (i > 2) x -= counts[i - 2] ?? 0;
    let more = true;
    while (more) {
      // Arithmetic shift by 5 on a signed integer, valid beyond 32 bits.
      const q = Math.floor(x / 32);
      let c = x - q * 32;
      x = q;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
    }
  }
  let s = '';
  for (let i = 0; i < chars.length; i += 4096) s += String.fromCharCode(...chars.slice(i, i + 4096));
  return s;
}

/** Decode a pycocotools compressed RLE string to counts. Throws on characters outside the alphabet. */
export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RangeError(`rleFromString: string ends inside a count at position ${p}`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RangeError(`rleFromString: invalid character ${JSON.stringify(s[p])} at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend
    }
    if (counts.length > 2) x += counts[counts.length - 2] ?? 0;
    counts.push(x);
  }
  return counts;
}

/** Uncompressed → compressed RLE (pycocotools `frPyObjects` string form). */
export function compressRle(rle: Rle): CompressedRle {
  return { size: [rle.size[0], rle.size[1]], counts: rleToString(rle.counts) };
}

/** Compressed → uncompressed RLE. */
export function decompressRle(rle: CompressedRle): Rle {
  return { size: [rle.size[0], rle.size[1]], counts: rleFromString(rle.counts) };
}

/**
 * Bounding box of an RLE mask with pycocotools `toBbox` semantics: XYWH `[x, y, w, h]` where
 * `w`/`h` count pixels (a one-pixel mask gives `[x, y, 1, 1]`), `[0, 0, 0, 0]` for an RLE with
 * fewer than two counts. Like pycocotools it ignores a trailing unpaired (zero-run) count and
 * works in 32-bit unsigned arithmetic. Note SAM's record `bbox` differs (`w = x1 − x0`, no +1).
 */
export function rleToBbox(
  rle: Rle | { size: readonly [number, number] | readonly number[]; counts: readonly number[] },
): [x: number, y: number, w: number, h: number] {
  const h = (rle.size[0] ?? 0) >>> 0;
  const w = (rle.size[1] ?? 0) >>> 0;
  const m = Math.floor(rle.counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc = (cc + (rle.counts[j] ?? 0)) >>> 0;
    const t = (cc - (j % 2)) >>> 0;
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // a run that wraps to the next column covers the full height
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}
