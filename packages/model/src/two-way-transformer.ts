/**
 * SAM's two-way transformer: tokens attend to the image and the image attends back to the
 * tokens, then a final token-to-image attention. Queries are [B, T, C]; keys (image) [1|B, HW, C].
 */
import { Weights, nn, ops, type SymTensor } from '@tsam/onnx';

export interface TwoWayConfig {
  depth: number;
  numHeads: number;
}

/** Attention with projections to an internal dim (C / downsample) and `heads` heads. */
export function decoderAttention(w: Weights, q: SymTensor, k: SymTensor, v: SymTensor, p: string, heads: number): SymTensor {
  const g = w.g;
  return g.scope(p, () => {
    const internal = w.raw(`${p}.q_proj.weight`).shape[0] as number;
    const d = internal / heads;
    const split = (t: SymTensor) => ops.transpose(g, ops.reshape(g, t, [0, 0, heads, d]), [0, 2, 1, 3]); // [B, h, n, d]
    const qh = split(nn.linear(w, q, `${p}.q_proj`));
    const kh = split(nn.linear(w, k, `${p}.k_proj`));
    const vh = split(nn.linear(w, v, `${p}.v_proj`));
    const attn = ops.softmax(g, ops.div(g, ops.matmul(g, qh, ops.transpose(g, kh, [0, 1, 3, 2])), Math.sqrt(d)), -1);
    const out = ops.transpose(g, ops.matmul(g, attn, vh), [0, 2, 1, 3]);
    return nn.linear(w, ops.reshape(g, out, [0, 0, internal]), `${p}.out_proj`);
  });
}

/**
 * image [1|B, HW, C], imagePe [1, HW, C], tokens [B, T, C] →
 * { queries [B, T, C], keys [B, HW, C] }.
 */
export function twoWayTransformer(w: Weights, image: SymTensor, imagePe: SymTensor, tokens: SymTensor, cfg: TwoWayConfig): { queries: SymTensor; keys: SymTensor } {
  const g = w.g;
  const P = 'mask_decoder.transformer';
  let queries = tokens;
  let keys = image;
  for (let i = 0; i < cfg.depth; i++) {
    const p = `${P}.layers.${i}`;
    // The first layer's self-attention sees no positional encoding and has no residual.
    if (i === 0) queries = decoderAttention(w, queries, queries, queries, `${p}.self_attn`, cfg.numHeads);
    else {
      const q = ops.add(g, queries, tokens);
      queries = ops.add(g, queries, decoderAttention(w, q, q, queries, `${p}.self_attn`, cfg.numHeads));
    }
    queries = nn.layerNorm(w, queries, `${p}.norm1`);
    let q = ops.add(g, queries, tokens);
    let k = ops.add(g, keys, imagePe);
    queries = nn.layerNorm(w, ops.add(g, queries, decoderAttention(w, q, k, keys, `${p}.cross_attn_token_to_image`, cfg.numHeads)), `${p}.norm2`);
    const mlp = nn.linear(w, ops.relu(g, nn.linear(w, queries, `${p}.mlp.lin1`)), `${p}.mlp.lin2`);
    queries = nn.layerNorm(w, ops.add(g, queries, mlp), `${p}.norm3`);
    q = ops.add(g, queries, tokens);
    k = ops.add(g, keys, imagePe);
    keys = nn.layerNorm(w, ops.add(g, keys, decoderAttention(w, k, q, queries, `${p}.cross_attn_image_to_token`, cfg.numHeads)), `${p}.norm4`);
  }
  const q = ops.add(g, queries, tokens);
  const k = ops.add(g, keys, imagePe);
  queries = ops.add(g, queries, decoderAttention(w, q, k, keys, `${P}.final_attn_token_to_image`, cfg.numHeads));
  return { queries: nn.layerNorm(w, queries, `${P}.norm_final_attn`), keys };
}
