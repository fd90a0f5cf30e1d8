/**
 * SAM's prompt encoder: random-Fourier positional encoding of points and box corners, learned
 * point/corner/not-a-point embeddings, and the conv stack that downscales a 256x256 mask prompt.
 * Coordinates enter in the 1024 model space, as in the official ONNX decoder.
 */
import { Weights, nn, ops, type SymTensor, type TensorData } from '@tsam/onnx';

const P = 'prompt_encoder';
export const NUM_POINT_EMBEDDINGS = 4; // fg, bg, box top-left, box bottom-right

/** Random Fourier features of coords already in [0, 1]: [..., 2] → [..., 2·F]. */
function fourier(w: Weights, unit: SymTensor): SymTensor {
  const g = w.g;
  const gauss = w.tensor(`${P}.pe_layer.positional_encoding_gaussian_matrix`, [2, -1]);
  const c = ops.sub(g, ops.mul(g, unit, 2), 1);
  const proj = ops.mul(g, ops.matmul(g, c, gauss), 2 * Math.PI);
  return ops.concat(g, [ops.sin(g, proj), ops.cos(g, proj)], -1);
}

/**
 * Sparse embeddings for points in 1024 space. coords [B, N, 2] (x, y), labels [B, N] as float:
 * 1 fg, 0 bg, 2/3 box corners, −1 padding (encoding zeroed, not-a-point embedding added).
 * Returns [B, N, 256].
 */
export function embedPoints(w: Weights, coords: SymTensor, labels: SymTensor, inputSize = 1024): SymTensor {
  const g = w.g;
  return g.scope('embed_points', () => {
    const unit = ops.div(g, ops.add(g, coords, 0.5), inputSize); // pixel centres
    let emb = fourier(w, unit);
    const lab = ops.unsqueeze(g, labels, [-1]);
    const isPad = ops.cast(g, ops.equal(g, lab, -1), 'float32');
    emb = ops.mul(g, emb, ops.sub(g, 1, isPad));
    emb = ops.add(g, emb, ops.mul(g, isPad, w.tensor(`${P}.not_a_point_embed.weight`, [1, -1])));
    for (let i = 0; i < NUM_POINT_EMBEDDINGS; i++) {
      const isI = ops.cast(g, ops.equal(g, lab, i), 'float32');
      emb = ops.add(g, emb, ops.mul(g, isI, w.tensor(`${P}.point_embeddings.${i}.weight`, [1, -1])));
    }
    return emb;
  });
}

/**
 * Dense embedding: downscaled mask where hasMask = 1, else the no-mask embedding.
 * mask [B, 1, 256, 256] logits, hasMask [1] → [B, 256, 64, 64].
 */
export function embedMask(w: Weights, mask: SymTensor, hasMask: SymTensor): SymTensor {
  const g = w.g;
  return g.scope('embed_mask', () => {
    const m = `${P}.mask_downscaling`;
    let h = nn.gelu(g, nn.layerNorm2d(w, nn.conv2d(w, mask, `${m}.0`, { stride: 2 }), `${m}.1`));
    h = nn.gelu(g, nn.layerNorm2d(w, nn.conv2d(w, h, `${m}.3`, { stride: 2 }), `${m}.4`));
    h = nn.conv2d(w, h, `${m}.6`);
    const has = ops.reshape(g, hasMask, [1, 1, 1, 1]);
    return ops.add(g, ops.mul(g, h, has), ops.mul(g, noMaskEmbedding(w), ops.sub(g, 1, has)));
  });
}

/** The no-mask dense embedding, [1, 256, 1, 1] (broadcasts over the 64x64 grid). */
export function noMaskEmbedding(w: Weights): SymTensor {
  const key = `${P}.no_mask_embed.weight`;
  const c = w.raw(key, [1, -1]).shape[1] as number;
  return w.view(
    key,
    `${key}_c11`,
    (t) => ({ data: t.data, shape: [1, c, 1, 1] }),
    (p) => ops.reshape(w.g, p, [1, c, 1, 1]),
    [1, -1],
  );
}

/**
 * The dense positional encoding of the embedding grid, computed once at build time in float32
 * steps like the reference: [1, 2·F, h, w] with cell centres ((i + 0.5) / h).
 */
export function imagePositionalEncoding(gaussian: TensorData, h: number, w: number): { data: Float32Array; shape: number[] } {
  const f = gaussian.shape[1] as number;
  const out = new Float32Array(2 * f * h * w);
  const r = Math.fround;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = r(r(2 * r(r(x + 0.5) / w)) - 1);
      const cy = r(r(2 * r(r(y + 0.5) / h)) - 1);
      for (let k = 0; k < f; k++) {
        const v = r(2 * Math.PI * r(r(cx * (gaussian.data[k] as number)) + r(cy * (gaussian.data[f + k] as number))));
        out[(k * h + y) * w + x] = Math.sin(v);
        out[((f + k) * h + y) * w + x] = Math.cos(v);
      }
    }
  }
  return { data: out, shape: [1, 2 * f, h, w] };
}
