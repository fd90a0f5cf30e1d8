/**
 * Checkpoint keys the model does not use: a fixture checkpoint rewritten (torch.save format) with
 * SAM-HQ-style extras is read back, and exactly the extras are reported, by name and count. The
 * fixtures themselves have none (MobileSAM's BatchNorm counters included).
 */
import { expect, it } from 'vitest';
import {
  describeUnusedKeys,
  inferSamConfig,
  readCheckpoint,
  unusedCheckpointKeys,
  writeTorchCheckpoint,
  type StateDict,
  type TensorData,
} from '@tsam/model';
import { describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';

const tensor = (shape: number[]): TensorData => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });

/** SAM-HQ's additions to the mask decoder (a subset of its real key names). */
const HQ_EXTRAS: [string, number[]][] = [
  ['mask_decoder.hf_token.weight', [1, 256]],
  ['mask_decoder.hf_mlp.layers.0.weight', [256, 256]],
  ['mask_decoder.hf_mlp.layers.0.bias', [256]],
  ['mask_decoder.hf_mlp.layers.1.weight', [256, 256]],
  ['mask_decoder.hf_mlp.layers.2.weight', [32, 256]],
  ['mask_decoder.compress_vit_feat.0.weight', [256, 768, 2, 2]],
];

describeFixtures('unused checkpoint keys', () => {
  it('the fixture checkpoints have none', () => {
    for (const m of Object.values(manifest().models)) {
      const sd = readCheckpoint(readFixture(m.checkpoint));
      expect(unusedCheckpointKeys(sd, inferSamConfig(sd)), m.checkpoint).toEqual([]);
    }
  });

  it('a checkpoint rewritten with SAM-HQ extras reports exactly those, and the warning names a few and the count', () => {
    const sd = readCheckpoint(readFixture('sam_vit_mini.pth'));
    const withExtras: StateDict = new Map(sd);
    for (const [k, shape] of HQ_EXTRAS) withExtras.set(k, tensor(shape));
    const back = readCheckpoint(writeTorchCheckpoint(withExtras));
    expect(back.size).toBe(sd.size + HQ_EXTRAS.length);
    const config = inferSamConfig(back);
    expect(config).toEqual(inferSamConfig(sd)); // the extras change nothing else
    const unused = unusedCheckpointKeys(back, config);
    expect(unused).toEqual(HQ_EXTRAS.map(([k]) => k));
    const msg = describeUnusedKeys(unused);
    expect(msg).toBe(
      'ignored 6 checkpoint keys the model does not use: mask_decoder.hf_token.weight, mask_decoder.hf_mlp.layers.0.weight, ' +
        'mask_decoder.hf_mlp.layers.0.bias, mask_decoder.hf_mlp.layers.1.weight, … (2 more)',
    );
    expect(describeUnusedKeys(['a.b'])).toBe('ignored 1 checkpoint key the model does not use: a.b');
  });
});
