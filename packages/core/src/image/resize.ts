/**
 * Bilinear image resize that reproduces Pillow's `Image.resize(size, Image.BILINEAR)` bit for bit
 * on 8-bit images (SAM resizes with `torchvision...resize(to_pil_image(img), target_size)`, i.e. Pillow).
 *
 * Pillow's algorithm (libImaging/Resample.c), as implemented here:
 * - Separable convolution: a horizontal pass (only if the width changes) into an 8-bit temporary
 *   image, then a vertical pass (only if the height changes). Values are rounded and clipped to
 *   uint8 after each pass.
 * - Triangle filter `max(0, 1 - |x|)` with support 1. When reducing, the filter is stretched by the
 *   scale `in / out` (support and argument), which makes the resize antialiased; when enlarging
 *   the scale is clamped to 1 (plain bilinear interpolation).
 * - For output index `i`: `center = (i + 0.5) * scale`; taps `x` from `trunc(center - support + 0.5)`
 *   (≥ 0) to `trunc(center + support + 0.5)` (≤ inSize, exclusive), weight
 *   `filter((x - center + 0.5) / filterScale)`, normalised to sum 1 in float64.
 * - Weights become fixed point with 22 fractional bits (`PRECISION_BITS = 32 - 8 - 2`),
 *   `trunc(0.5 + w * 2^22)`; each output is `(2^21 + Σ pixel·weight) >> 22`, clipped to [0, 255].
 *
 * Images are interleaved row-major (HWC) `Uint8Array`s.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point resampling kernel along one axis. */
interface AxisKernel {
  /** Taps per output sample (stride of `weights`). */
  ksize: number;
  /** First input index used by output `i`. */
  start: Int32Array;
  /** Number of input samples used by output `i`. */
  count: Int32Array;
  /** `outSize × ksize` fixed-point weights (22 fractional bits). */
  weights: Int32Array;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter over the full extent. */
function axisKernel(inSize: number, outSize: number): AxisKernel {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const inv = 1.0 / filterScale;
  const w = new Float64Array(ksize);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = hi - lo;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const v = triangle((k + lo - center + 0.5) * inv);
      w[k] = v;
      sum += v;
    }
    for (let k = 0; k < n; k++) {
      const v = sum !== 0 ? (w[k] ?? 0) / sum : (w[k] ?? 0);
      // C's (int) truncates toward zero; bilinear weights are never negative, but keep Pillow's rule.
      weights[i * ksize + k] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[i] = lo;
    count[i] = n;
  }
  return { ksize, start, count, weights };
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over rows `[row0, row0 + rows)` of `src` (width `w`) into `rows × outW`. */
function horizontalPass(
  src: Uint8Array,
  w: number,
  channels: number,
  row0: number,
  rows: number,
  outW: number,
  kern: AxisKernel,
): Uint8Array {
  const out = new Uint8Array(rows * outW * channels);
  const { ksize, start, count, weights } = kern;
  for (let y = 0; y < rows; y++) {
    const srcRow = (y + row0) * w * channels;
    const dstRow = y * outW * channels;
    for (let x = 0; x < outW; x++) {
      const lo = start[x] ?? 0;
      const n = count[x] ?? 0;
      const kOff = x * ksize;
      for (let c = 0; c < channels; c++) {
        let acc = HALF;
        let p = srcRow + lo * channels + c;
        for (let k = 0; k < n; k++, p += channels) acc += (src[p] ?? 0) * (weights[kOff + k] ?? 0);
        out[dstRow + x * channels + c] = clip8(acc);
      }
    }
  }
  return out;
}

/** Vertical pass of `src` (`w` wide, rows offset so that kernel row `r` is `src` row `r - row0`). */
function verticalPass(src: Uint8Array, w: number, channels: number, row0: number, outH: number, kern: AxisKernel): Uint8Array {
  const stride = w * channels;
  const out = new Uint8Array(outH * stride);
  const { ksize, start, count, weights } = kern;
  for (let y = 0; y < outH; y++) {
    const lo = (start[y] ?? 0) - row0;
    const n = count[y] ?? 0;
    const kOff = y * ksize;
    const dstRow = y * stride;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      let p = lo * stride + i;
      for (let k = 0; k < n; k++, p += stride) acc += (src[p] ?? 0) * (weights[kOff + k] ?? 0);
      out[dstRow + i] = clip8(acc);
    }
  }
  return out;
}

/**
 * Resize an interleaved 8-bit image (`h × w × channels`, row-major) to `outH × outW × channels`
 * exactly like Pillow's BILINEAR resize. Channels are filtered independently (no alpha
 * premultiplication, unlike Pillow's RGBA path).
 */
export function resizeU8(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number): Uint8Array {
  for (const [name, v] of [
    ['w', w],
    ['h', h],
    ['channels', channels],
    ['outW', outW],
    ['outH', outH],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`resize: ${name} must be a positive integer, got ${v}`);
  }
  if (src.length !== w * h * channels) {
    throw new RangeError(`resize: expected ${w}×${h}×${channels} = ${w * h * channels} bytes, got ${src.length}`);
  }
  const needH = outW !== w;
  const needV = outH !== h;
  if (!needH && !needV) return src.slice();
  const vKern = needV ? axisKernel(h, outH) : undefined;
  let img = src;
  let row0 = 0;
  if (needH) {
    // Like Pillow, only the rows the vertical pass will read are resampled horizontally.
    let rows = h;
    if (vKern) {
      row0 = vKern.start[0] ?? 0;
      const last = outH - 1;
      rows = (vKern.start[last] ?? 0) + (vKern.count[last] ?? 0) - row0;
    }
    img = horizontalPass(src, w, channels, row0, rows, outW, axisKernel(w, outW));
  }
  if (vKern) img = verticalPass(img, outW, channels, row0, outH, vKern);
  return img;
}

/** Resize an RGB image (`h × w × 3`, HWC) to `outW × outH` like Pillow's `Image.resize(.., BILINEAR)`. */
export function resizeRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  return resizeU8(src, w, h, 3, outW, outH);
}
