/**
 * CLI error paths and help, through the real binary. Needs no fixtures: the image is generated,
 * the bad checkpoints are hand-assembled, and the cache is an empty temp dir.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeNpy } from '@tsam/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';
import { EMPTY_DICT_PICKLE, STACK_LINE, callPickle, show, tempDir, torchZip, tsam } from './helpers.js';

const cache = tempDir('errors-cache');
const work = tempDir('errors-work');
const env = { TSAM_CACHE_DIR: cache };
const image = join(work, 'tiny.png');
const out = join(work, 'out');

beforeAll(async () => {
  writeFileSync(
    image,
    await sharp({ create: { width: 12, height: 8, channels: 3, background: '#7f3f1f' } })
      .png()
      .toBuffer(),
  );
});

/** Runs tsam expecting exit 1, a `tsam: error:`/commander `error:` line, and no stack trace. */
async function fails(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await tsam(args, { env: { ...env, ...extraEnv } });
  expect(r.code, show(r)).toBe(1);
  expect(r.stderr, show(r)).toMatch(/^(tsam: )?error: /m);
  expect(r.stderr, show(r)).not.toMatch(STACK_LINE);
  expect(r.stdout, show(r)).toBe('');
  return r.stderr;
}

describe('tsam help and version', () => {
  it('tsam --help lists the commands', async () => {
    const r = await tsam(['--help'], { env });
    expect(r.code, show(r)).toBe(0);
    for (const c of ['predict', 'embed', 'export', 'models']) expect(r.stdout).toContain(c);
  });

  it('tsam predict --help lists every option', async () => {
    const r = await tsam(['predict', '--help'], { env });
    expect(r.code, show(r)).toBe(0);
    for (const o of [
      '--image',
      '--point',
      '--box',
      '--mask-input',
      '--multimask',
      '--save-embedding',
      '--out',
      '--checkpoint',
      '--model-dir',
      '--threads',
    ]) {
      expect(r.stdout).toContain(o);
    }
  });

  it('tsam embed/export/models --help exit 0', async () => {
    for (const args of [
      ['embed', '--help'],
      ['export', '--help'],
      ['models', '--help'],
      ['models', 'pull', '--help'],
    ]) {
      const r = await tsam(args, { env });
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain('Usage: tsam');
    }
  });

  it('tsam --version prints the version', async () => {
    const r = await tsam(['--version'], { env });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command fails', async () => {
    const r = await tsam(['frobnicate'], { env });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('tsam predict: argument errors', () => {
  it('no --checkpoint and an empty cache names the pull command', async () => {
    const err = await fails(['predict', '--image', image, '--point', '3,4,1', '--out', out]);
    expect(err).toContain('npx tsam models pull mobile_sam');
    expect(existsSync(out)).toBe(false);
  });

  it('a registry name that is not downloaded names the pull command', async () => {
    const err = await fails(['predict', '--checkpoint', 'vit_b', '--image', image, '--point', '3,4,1', '--out', out]);
    expect(err).toContain('npx tsam models pull vit_b');
  });

  it('a missing checkpoint file is named', async () => {
    const missing = join(work, 'nope.pth');
    const err = await fails(['predict', '--checkpoint', missing, '--image', image, '--point', '3,4,1', '--out', out]);
    expect(err).toContain(`Checkpoint file not found: ${missing}`);
  });

  it('a NaN point coordinate', async () => {
    const err = await fails(['predict', '--image', image, '--point', 'nan,3,1', '--out', out]);
    expect(err).toContain('nan,3,1');
    expect(err).toContain('X,Y,LABEL');
  });

  it('a point label other than 0/1', async () => {
    const err = await fails(['predict', '--image', image, '--point', '1,2,5', '--out', out]);
    expect(err).toContain('label must be 1 (foreground) or 0 (background), got 5');
  });

  it('a point with the wrong number of values, and a malformed box', async () => {
    expect(await fails(['predict', '--image', image, '--point', '1', '--out', out])).toContain('X,Y or X,Y,LABEL');
    expect(await fails(['predict', '--image', image, '--point', '1,2,1,0', '--out', out])).toContain('X,Y or X,Y,LABEL');
    expect(await fails(['predict', '--image', image, '--point', '1,,2', '--out', out])).toContain('X,Y or X,Y,LABEL');
    expect(await fails(['predict', '--image', image, '--box', '1,2,3', '--out', out])).toContain('X0,Y0,X1,Y1');
    expect(await fails(['predict', '--image', image, '--box', '1,2,3,Infinity', '--out', out])).toContain('X0,Y0,X1,Y1');
  });

  it('a bad --threads value', async () => {
    for (const t of ['-1', 'abc', '1.5']) {
      expect(await fails(['predict', '--image', image, '--point', '1,2,1', '--threads', t, '--out', out])).toContain('positive integer');
    }
  });

  it('--checkpoint and --model-dir together', async () => {
    const err = await fails(['predict', '--image', image, '--point', '1,2,1', '--checkpoint', 'x.pth', '--model-dir', work, '--out', out]);
    expect(err).toMatch(/--model-dir.*cannot be used with.*--checkpoint/);
  });

  it('missing required options', async () => {
    expect(await fails(['predict', '--point', '1,2,1', '--out', out])).toContain("required option '--image <path>'");
    expect(await fails(['predict', '--image', image, '--point', '1,2,1'])).toContain("required option '--out <dir>'");
  });

  it('a missing image file', async () => {
    const missing = join(work, 'missing.png');
    const err = await fails(['predict', '--image', missing, '--point', '1,2,1', '--out', out]);
    expect(err).toContain(`cannot read image ${missing}`);
    expect(err).toContain('ENOENT');
  });

  it('a file that is not an image', async () => {
    const notImage = join(work, 'not-image.png');
    writeFileSync(notImage, 'hello, not a png');
    expect(await fails(['predict', '--image', notImage, '--point', '1,2,1', '--out', out])).toContain(`cannot decode image ${notImage}`);
  });

  it('a missing or malformed --mask-input file is named', async () => {
    const missing = join(work, 'missing.npy');
    expect(await fails(['predict', '--image', image, '--mask-input', missing, '--out', out])).toContain(
      `cannot read --mask-input ${missing}`,
    );
    const bad = join(work, 'bad.npy');
    writeFileSync(bad, 'not an npy');
    const err = await fails(['predict', '--image', image, '--mask-input', bad, '--out', out]);
    expect(err).toContain(`cannot read --mask-input ${bad}`);
    expect(err).toContain('not a .npy file');
  });

  it('a --mask-input of the wrong shape is refused before the model loads', async () => {
    for (const shape of [
      [2, 3, 256, 256],
      [128, 128],
      [256, 256, 1],
    ]) {
      const bad = join(work, `mask.${shape.join('x')}.npy`);
      writeFileSync(bad, writeNpy(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
      // No checkpoint and an empty cache: the shape error must come first.
      const err = await fails(['predict', '--image', image, '--mask-input', bad, '--out', out]);
      expect(err).toContain(`--mask-input ${bad} must hold 256×256 low-res logits`);
      expect(err).toContain(`got shape [${shape.join(', ')}]`);
    }
  });

  it('TSAM_DEBUG adds the stack trace', async () => {
    const r = await tsam(['predict', '--image', join(work, 'missing.png'), '--point', '1,2,1', '--out', out], {
      env: { ...env, TSAM_DEBUG: '1' },
    });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('tsam: error: cannot read image');
    expect(r.stderr).toMatch(STACK_LINE);
  });
});

describe('untrusted and broken checkpoints', () => {
  // Each pickle would create `marker` if it were ever executed by a real unpickler.
  const cases = [
    { name: 'GLOBAL os.system', module: 'os', fn: 'system', stack: false, shown: 'os.system' },
    { name: 'GLOBAL posix.system', module: 'posix', fn: 'system', stack: false, shown: 'posix.system' },
    { name: 'STACK_GLOBAL builtins.exec', module: 'builtins', fn: 'exec', stack: true, shown: 'builtins.exec' },
  ];
  for (const c of cases) {
    it(`refuses a checkpoint whose pickle calls ${c.name}, without running it`, async () => {
      const dir = tempDir('evil');
      const marker = join(dir, 'pwned');
      const payload = c.fn === 'exec' ? `open(${JSON.stringify(marker)}, "w").close()` : `touch '${marker}'`;
      const evil = join(dir, 'evil.pth');
      writeFileSync(evil, torchZip(callPickle(c.module, c.fn, payload, c.stack)));
      for (const args of [
        ['predict', '--checkpoint', evil, '--image', image, '--point', '3,4,1', '--out', join(dir, 'out')],
        ['export', '--checkpoint', evil, '--out', join(dir, 'onnx')],
      ]) {
        const err = await fails(args);
        expect(err).toContain(c.shown);
        expect(err).toContain('refusing pickle global');
        expect(existsSync(marker)).toBe(false);
      }
      expect(existsSync(join(dir, 'out'))).toBe(false);
      // No half-written model in the cache that a later run could pick up.
      const onnx = join(cache, 'onnx');
      for (const d of existsSync(onnx) ? readdirSync(onnx) : []) expect(existsSync(join(onnx, d, 'model.json'))).toBe(false);
    });
  }

  it('a truncated checkpoint', async () => {
    const full = torchZip(EMPTY_DICT_PICKLE, { 'data/0': new Uint8Array(4096) });
    const truncated = join(work, 'truncated.pth');
    writeFileSync(truncated, full.subarray(0, Math.floor(full.length / 2)));
    const err = await fails(['predict', '--checkpoint', truncated, '--image', image, '--point', '3,4,1', '--out', out]);
    expect(err).toMatch(/truncated or corrupt/);
    expect(err).toContain(`tsam: error: checkpoint ${truncated}: `); // the file is named
  });

  it('a readable checkpoint that is not a SAM state dict', async () => {
    const empty = join(work, 'empty-dict.pth');
    writeFileSync(empty, torchZip(EMPTY_DICT_PICKLE));
    const err = await fails(['export', '--checkpoint', empty, '--out', join(work, 'onnx-empty')]);
    expect(err).toContain('not a SAM checkpoint');
    expect(err).toContain(`checkpoint ${empty}: `);
    expect(existsSync(join(work, 'onnx-empty', 'model.json'))).toBe(false);
  });

  it('a file that is not a checkpoint at all', async () => {
    const junk = join(work, 'junk.pth');
    writeFileSync(junk, 'definitely not a zip');
    await fails(['export', '--checkpoint', junk, '--out', join(work, 'onnx-junk')]);
  });
});

describeFixtures('broken fixture checkpoint', () => {
  it('a real checkpoint cut in half', async () => {
    const bytes = readFixture(manifest().models.sam_vit_mini!.checkpoint);
    const truncated = join(work, 'sam_vit_mini.truncated.pth');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await fails([
      'predict',
      '--checkpoint',
      truncated,
      '--image',
      fixturePath('scene_tiny.png'),
      '--point',
      '3,4,1',
      '--out',
      out,
    ]);
    expect(err).toMatch(/truncated or corrupt/);
  });
});
