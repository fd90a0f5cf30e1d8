/** A checkpoint with keys the model does not use (SAM-HQ extras) is exported and loaded with a warning on stderr naming them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readCheckpoint, writeTorchCheckpoint } from '@tsam/model';
import { describeFixtures, fixturePath, manifest, readFixture } from '../../../testing/fixtures.js';
import { show, tempDir, tsam } from './helpers.js';

describeFixtures('checkpoint keys the model does not use', () => {
  const work = tempDir('unused-keys');
  const extras = ['mask_decoder.hf_token.weight', 'mask_decoder.hf_mlp.layers.0.weight'];
  const warning = `sam_hq_like.pth: ignored 2 checkpoint keys the model does not use: ${extras.join(', ')}`;
  const checkpoint = () => {
    const ckpt = join(work, 'sam_hq_like.pth');
    const sd = readCheckpoint(readFixture('sam_vit_mini.pth'));
    sd.set(extras[0]!, { shape: [1, 256], data: new Float32Array(256) });
    sd.set(extras[1]!, { shape: [256, 256], data: new Float32Array(256 * 256) });
    writeFileSync(ckpt, writeTorchCheckpoint(sd));
    return ckpt;
  };

  it('tsam export and tsam predict warn, name the keys, and still succeed', async () => {
    const ckpt = checkpoint();
    const exp = await tsam(['export', '--checkpoint', ckpt, '--out', join(work, 'out')]);
    expect(exp.code, show(exp)).toBe(0);
    expect(exp.stderr).toContain(`tsam export: warning: ${warning}`);
    const image = fixturePath(manifest().images.scene_tiny!.file);
    const env = { TSAM_CACHE_DIR: join(work, 'cache') };
    const pred = await tsam(['predict', '--checkpoint', ckpt, '--image', image, '--point', '40,30', '--out', join(work, 'pred')], { env });
    expect(pred.code, show(pred)).toBe(0);
    expect(pred.stderr).toContain(`tsam: warning: ${warning}`);
    expect(pred.stderr.split(warning).length - 1).toBe(1); // once, not once per export and load
  }, 300_000);
});
