/**
 * Reduced-precision weights as graph rewrites, applied to a built Graph before serialisation.
 *
 * - `storeWeightsFloat16`: large float32 initializers are stored as float16 and cast back to
 *   float32 by a Cast node at load time (ONNX Runtime folds the casts into float32 constants when
 *   the session opens). Halves the file; the arithmetic stays float32, the only loss is the
 *   rounding of the weights to 11 significant bits.
 * - `quantizeMatMulsInt8`: every MatMul by a constant 2-D weight [K, N] becomes ONNX Runtime's
 *   com.microsoft DynamicQuantizeMatMul: the weight is int8 with one symmetric scale per output
 *   column (max |w| / 127), the activation is quantised to uint8 per tensor at run time, and an
 *   Add of a constant [N] bias right after it is folded into the op. Integer GEMMs (VNNI where
 *   the CPU has it) instead of float32 ones; ONNX Runtime only.
 */
import type { Graph, Initializer, NodeDef } from './graph.js';
import { MS_DOMAIN } from './ops.js';

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** IEEE 754 half bits of a float32 value (round to nearest even; overflow → ±inf). */
export function float32ToFloat16Bits(v: number): number {
  F32[0] = v;
  const x = U32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mant |= 0x800000; // subnormal half: shift in the implicit bit
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // round to nearest even; a carry into the exponent is the correct result (up to inf)
  return sign | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half);
}

/** Float32 value of half bits (exact). */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export interface PrecisionOptions {
  /** Initializers with fewer elements stay float32 (shape constants, norms, biases). Default 4096. */
  minElements?: number;
}

/** Names of initializers used as the given input slot of nodes of the given ops. */
function consumers(g: Graph): Map<string, NodeDef[]> {
  const m = new Map<string, NodeDef[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) (m.get(i) ?? m.set(i, []).get(i)!).push(n);
  for (const o of g.outputs) if (!m.has(o.name)) m.set(o.name, []);
  return m;
}

/** Stores large float32 initializers as float16 + Cast; returns how many were converted. */
export function storeWeightsFloat16(g: Graph, opts: PrecisionOptions = {}): number {
  const min = opts.minElements ?? 4096;
  const casts: NodeDef[] = [];
  let n = 0;
  g.initializers.forEach((t, idx) => {
    if (t.dtype !== 'float32' || t.data.length < min) return;
    const src = t.data as Float32Array;
    const bits = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) bits[i] = float32ToFloat16Bits(src[i] as number);
    const name = g.uniqueName(`${t.name}_fp16`);
    g.initializers[idx] = { name, dtype: 'float16', shape: t.shape, data: bits };
    casts.push({ op: 'Cast', name: g.uniqueName(`${t.name}_cast`), inputs: [name], outputs: [t.name], attrs: { to: 1 } });
    n++;
  });
  g.nodes.unshift(...casts);
  return n;
}

/**
 * Quantises MatMul(A, W) with a constant float32 W [K, N] (≥ minElements) to DynamicQuantizeMatMul
 * with int8 W and per-column scales; folds a following Add of a constant [N] bias. Returns how
 * many MatMuls were converted.
 */
export function quantizeMatMulsInt8(g: Graph, opts: PrecisionOptions = {}): number {
  const min = opts.minElements ?? 4096;
  const inits = new Map<string, Initializer>(g.initializers.map((t) => [t.name, t]));
  const uses = consumers(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const removed = new Set<NodeDef>();
  const quantized = new Map<string, { q: string; scale: string }>();
  let n = 0;
  for (const node of g.nodes) {
    if (node.op !== 'MatMul' || node.domain) continue;
    const w = inits.get(node.inputs[1] ?? '');
    if (!w || w.dtype !== 'float32' || w.shape.length !== 2 || w.data.length < min) continue;
    const [k, cols] = w.shape as [number, number];
    let q = quantized.get(w.name);
    if (!q) {
      const data = w.data as Float32Array;
      const scales = new Float32Array(cols);
      const qw = new Int8Array(k * cols);
      for (let c = 0; c < cols; c++) {
        let m = 0;
        for (let r = 0; r < k; r++) m = Math.max(m, Math.abs(data[r * cols + c] as number));
        const s = m > 0 ? m / 127 : 1;
        scales[c] = s;
        for (let r = 0; r < k; r++) qw[r * cols + c] = Math.max(-127, Math.min(127, Math.round((data[r * cols + c] as number) / s)));
      }
      q = { q: g.uniqueName(`${w.name}_int8`), scale: g.uniqueName(`${w.name}_scale`) };
      g.initializers.push({ name: q.q, dtype: 'int8', shape: [k, cols], data: qw });
      g.initializers.push({ name: q.scale, dtype: 'float32', shape: [cols], data: scales });
      quantized.set(w.name, q);
    }
    // Fold `Add(out, bias[N])` when the MatMul feeds only that Add.
    const out = node.outputs[0] as string;
    const next = uses.get(out) ?? [];
    let bias = '';
    let finalOut = out;
    const add = next.length === 1 && !graphOutputs.has(out) ? next[0] : undefined;
    if (add && add.op === 'Add' && !add.domain) {
      const other = add.inputs[0] === out ? add.inputs[1] : add.inputs[0];
      const b = inits.get(other ?? '');
      if (b && b.dtype === 'float32' && b.shape.length === 1 && b.shape[0] === cols) {
        bias = b.name;
        finalOut = add.outputs[0] as string;
        removed.add(add);
      }
    }
    node.op = 'DynamicQuantizeMatMul';
    node.domain = MS_DOMAIN;
    node.inputs = [node.inputs[0] as string, q.q, q.scale, '', bias];
    node.outputs = [finalOut];
    n++;
  }
  if (removed.size > 0) {
    const kept = g.nodes.filter((x) => !removed.has(x));
    g.nodes.length = 0;
    g.nodes.push(...kept);
  }
  // Drop float32 weights no node reads any more.
  const used = new Set(g.nodes.flatMap((x) => x.inputs));
  const keep = g.initializers.filter((t) => used.has(t.name) || graphOutputs.has(t.name));
  g.initializers.length = 0;
  g.initializers.push(...keep);
  return n;
}
