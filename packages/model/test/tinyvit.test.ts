import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, GraphError, Weights, serializeModel, type TensorData } from '@tsam/onnx';
import { parseNpy } from '@tsam/core';
import { describeFixtures, fixturePath, manifest, readFixture } from '../../../testing/fixtures.js';
import { readTorchCheckpoint } from '../src/checkpoint/torch.js';
import {
  MOBILE_SAM_TINYVIT,
  buildTinyVitEncoder,
  inferTinyVitConfig,
  type TinyVitConfig,
} from '../src/families/mobile-sam/image-encoder.js';
import { attentionBiasIndices } from '../src/families/mobile-sam/tinyvit-blocks.js';
import { PARITY_RTOL, relDiff } from '../../../testing/compare.js';

const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

/** HWC RGB bytes -> normalised 1x3x1024x1024 CHW, zero-padded bottom/right after normalising. */
function preprocess(rgb: Uint8Array, width: number, height: number, size = 1024): Float32Array {
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    const m = MEAN[c]!;
    const s = STD[c]!;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[c * size * size + y * size + x] = (rgb[(y * width + x) * 3 + c]! - m) / s;
    }
  }
  return out;
}

function buildGraph(source: (k: string) => TensorData | undefined, cfg: TinyVitConfig): Graph {
  const g = new Graph('tinyvit');
  const w = new Weights(g, source);
  const x = g.input('image', 'float32', [1, 3, cfg.imgSize, cfg.imgSize]);
  g.output(buildTinyVitEncoder(w, x, cfg), 'image_embeddings');
  return g;
}

describe('TinyViT attention bias indices', () => {
  it('match the reference offset enumeration (|dy|, |dx| in first-seen order)', () => {
    const { idxs, offsets } = attentionBiasIndices(3);
    expect(offsets).toBe(9);
    // p1 = (0,0): offsets (0,0) (0,1) (0,2) (1,0) ... get 0..8; p1 = (1,1), p2 = (0,0) -> (1,1) = 4
    expect(Array.from(idxs.slice(0, 9))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(idxs[4 * 9 + 0]).toBe(4);
    expect(idxs[8 * 9 + 3]).toBe(5); // (2,2) vs (1,0): (1, 2)
  });
});

describeFixtures('MobileSAM TinyViT encoder against the reference (mobile_sam_random)', () => {
  let sd: Map<string, TensorData>;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    sd = readTorchCheckpoint(readFixture(manifest().models.mobile_sam_random!.checkpoint));
    const model = serializeModel(
      buildGraph(
        (k) => sd.get(k),
        inferTinyVitConfig((k) => sd.get(k)),
      ),
    ).model;
    session = await ort.InferenceSession.create(model);
  });

  it('infers build_sam_vit_t from the state dict alone', () => {
    expect(inferTinyVitConfig((k) => sd.get(k))).toEqual(MOBILE_SAM_TINYVIT);
  });

  for (const scene of ['scene_tiny', 'scene_portrait']) {
    it(`matches the reference embedding on ${scene}`, async () => {
      const { data, info } = await sharp(fixturePath(`mobile_sam_random/${scene}/resized.png`))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(Math.max(info.width, info.height)).toBe(1024);
      const input = preprocess(new Uint8Array(data), info.width, info.height);
      const out = await session.run({ image: new ort.Tensor('float32', input, [1, 3, 1024, 1024]) });
      const got = out.image_embeddings!;
      expect(got.dims).toEqual([1, 256, 64, 64]);
      // Copy into a plain Uint8Array: parseNpy's fast path reads `.slice().buffer`, which is a view for Buffers.
      const ref = parseNpy(new Uint8Array(readFixture(`mobile_sam_random/${scene}/embedding.npy`)));
      expect(ref.shape).toEqual([1, 256, 64, 64]);
      const y = got.data as Float32Array;
      const ratio = relDiff(y, ref.data);
      console.log(`tinyvit ${scene}: max|diff|/max|ref| = ${ratio.toExponential(3)}`);
      expect(ratio).toBeLessThanOrEqual(PARITY_RTOL);
    });
  }

  it('names the key of a wrong-shaped weight', () => {
    const cfg = inferTinyVitConfig((k) => sd.get(k));
    const corrupt = (bad: string, shape: number[]) => () =>
      buildGraph((k) => (k === bad ? { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) } : sd.get(k)), cfg);
    const bias = 'image_encoder.layers.2.blocks.3.attn.attention_biases';
    expect(corrupt(bias, [5, 197])).toThrow(GraphError);
    expect(corrupt(bias, [5, 197])).toThrow(/layers\.2\.blocks\.3\.attn\.attention_biases.*\[5, 197\].*\[5, 196\]/);
    expect(corrupt('image_encoder.layers.1.blocks.0.attn.qkv.weight', [384, 127])).toThrow(
      /"image_encoder\.layers\.1\.blocks\.0\.attn\.qkv\.weight" has shape \[384, 127\]/,
    );
    expect(corrupt('image_encoder.layers.0.downsample.conv2.bn.running_var', [127])).toThrow(
      /"image_encoder\.layers\.0\.downsample\.conv2\.bn\.running_var" has shape \[127\]/,
    );
    expect(corrupt('image_encoder.neck.1.weight', [255])).toThrow(/"image_encoder\.neck\.1\.weight" has shape \[255\]/);
  });
});
