/**
 * Prompt flags through the real binary: absurd coordinates and NaN mask inputs refused by the core's
 * one rule (naming the flag, before the model loads), the NaN guard on every model output,
 * `--mask-input FILE[:INDEX]` for a multi-plane low_res_logits.npy (checked against the reference's
 * refine case), `--point X,Y` with label 1 by default, and `--json` printing only JSON on stdout.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { unzipSync, zipSync } from 'fflate';
import { maskIou, parseNpy, rleArea, rleToMask, writeNpy, type Rle } from '@tsam/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR, describeFixtures, fixturePath, manifest, readFixtureJson, type PromptCase } from '../../../testing/fixtures.js';
import { STACK_LINE, show, tempDir, tsam } from './helpers.js';

const cache = tempDir('prompt-cache');
const work = tempDir('prompt-work');
const env = { TSAM_CACHE_DIR: cache };
const image = join(work, 'tiny.png');

beforeAll(async () => {
  writeFileSync(
    image,
    await sharp({ create: { width: 12, height: 8, channels: 3, background: '#406080' } })
      .png()
      .toBuffer(),
  );
});

/** Exit 1 with one `tsam: error:` line, no stack, nothing on stdout and no --out folder. */
async function refused(args: string[], out: string): Promise<string> {
  const r = await tsam([...args, '--out', out], { env });
  expect(r.code, show(r)).toBe(1);
  expect(r.stderr, show(r)).toMatch(/^tsam: error: /m);
  expect(r.stderr, show(r)).not.toMatch(STACK_LINE);
  expect(r.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
  return r.stderr;
}

describe('prompts refused at the source (no model needed: the cache is empty)', () => {
  it('a finite but absurd point or box coordinate names the flag and the bound', async () => {
    const p = await refused(['predict', '--image', image, '--point', '1e39,10,1'], join(work, 'p'));
    expect(p).toContain('--point #1: points[0] has a non-finite or out-of-range coordinate (x=1e+39, y=10)');
    expect(p).toContain('≤ 1000000 pixels');
    const second = await refused(['predict', '--image', image, '--point', '3,4', '--point', '5,-2e6,0'], join(work, 'p2'));
    expect(second).toContain('--point #2: points[1]');
    const b = await refused(['predict', '--image', image, '--box', '0,0,1e39,50'], join(work, 'b'));
    expect(b).toContain('--box: box has a non-finite or out-of-range coordinate: [0, 0, 1e+39, 50]');
    const s = await refused(['segment', image, '--point', '1e39,10'], join(work, 's'));
    expect(s).toContain('--point #1: points[0]');
  });

  it('a NaN or Infinity in --mask-input names the flag and where it is', async () => {
    const data = new Float32Array(65536);
    data[2 * 256 + 5] = NaN;
    const file = join(work, 'nan.npy');
    writeFileSync(file, writeNpy(data, [1, 256, 256]));
    const err = await refused(['predict', '--image', image, '--mask-input', file], join(work, 'nan'));
    expect(err).toContain('--mask-input: maskInput holds a non-finite value NaN at row 2, column 5');
  });

  it('an empty prompt says what to give', async () => {
    expect(await refused(['segment', image], join(work, 'e'))).toContain('give at least one --point X,Y or a --box X0,Y0,X1,Y1');
  });

  it('--mask-input FILE:INDEX past the last plane names the plane count', async () => {
    const file = join(work, 'three.npy');
    writeFileSync(file, writeNpy(new Float32Array(3 * 65536), [3, 256, 256]));
    const err = await refused(['predict', '--image', image, '--mask-input', `${file}:3`], join(work, 'i'));
    expect(err).toContain(`--mask-input ${file}:3: plane 3 does not exist, the file holds 3 plane(s) (0–2)`);
  });
});

/** sam_vit_mini with every stored tensor overwritten by 0xFF bytes: float32 NaN everywhere. */
function nanCheckpoint(): string {
  const zip = unzipSync(readFileSync(fixturePath('sam_vit_mini.pth')));
  for (const k of Object.keys(zip)) if (/\/data\/\d+$/.test(k)) zip[k] = new Uint8Array(zip[k]!.length).fill(0xff);
  const file = join(work, 'nan_weights.pth');
  writeFileSync(file, zipSync(zip, { level: 0 }));
  return file;
}

describeFixtures('prompt flags with a model (sam_vit_mini, prompt-sensitive)', () => {
  const ckpt = () => fixturePath('sam_vit_mini.pth');
  const tiny = () => fixturePath('scene_tiny.png');

  it('points outside the image, up to the bound, and a zero-width box are legal: finite IoUs, non-empty masks', async () => {
    const out = join(work, 'outside');
    const r = await tsam(
      [
        'predict',
        '--checkpoint',
        ckpt(),
        '--image',
        tiny(),
        '--point',
        '1e6,-1e6',
        '--point',
        '500,20,0',
        '--box',
        '10,5,10,50',
        '--json',
        '--out',
        out,
      ],
      { env },
    );
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(r.stdout) as { iou_predictions: number[]; mask_areas: number[]; files: string[] };
    expect(summary.iou_predictions).toHaveLength(1);
    expect(summary.iou_predictions.every(Number.isFinite)).toBe(true);
    expect(summary.mask_areas[0]).toBeGreaterThan(0);
    const logits = parseNpy(readFileSync(join(out, 'low_res_logits.npy')));
    expect(logits.data.every(Number.isFinite)).toBe(true);
    // segment no longer has its own stricter rules: the same prompts run.
    const seg = await tsam(
      ['segment', tiny(), '--checkpoint', ckpt(), '--point', '500,20', '--box', '10,5,10,50', '--json', '--out', join(work, 'seg')],
      {
        env,
      },
    );
    expect(seg.code, show(seg)).toBe(0);
    const s = JSON.parse(seg.stdout) as { area: number; predicted_iou: number; mask: string };
    expect(Number.isFinite(s.predicted_iou)).toBe(true);
    expect(s.area).toBeGreaterThan(0);
    expect(existsSync(s.mask)).toBe(true);
  });

  it('--point X,Y means label 1 in predict, as X,Y,1 does', async () => {
    const run = async (pt: string) => {
      const out = join(work, `label-${pt}`);
      const r = await tsam(['predict', '--checkpoint', ckpt(), '--image', tiny(), '--point', pt, '--out', out], { env });
      expect(r.code, show(r)).toBe(0);
      return readFileSync(join(out, 'result.json'), 'utf8');
    };
    const implicit = await run('30,20');
    expect(implicit).toBe(await run('30,20,1'));
    expect(implicit).not.toBe(await run('30,20,0')); // the label reaches the (prompt-sensitive) model
  });

  it('a model whose outputs are NaN: predict, segment and embed exit 1 and write nothing', async () => {
    const bad = nanCheckpoint();
    for (const [cmd, args] of [
      ['predict', ['predict', '--checkpoint', bad, '--image', tiny(), '--point', '30,20']],
      ['segment', ['segment', tiny(), '--checkpoint', bad, '--point', '30,20']],
      ['embed', ['embed', '--checkpoint', bad, '--image', tiny()]],
    ] as const) {
      const out = join(work, `nan-${cmd}`);
      const r = await tsam([...args, '--out', out], { env });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(
        /tsam: error: the model produced a non-finite (IoU prediction|embedding value) \(NaN at index 0\); nothing was written/,
      );
      // The --out folder was checked (created) before the model ran, and removed again.
      expect(existsSync(out)).toBe(false);
    }
  });

  it('--mask-input takes the best plane of a --multimask low_res_logits.npy: the reference refine case', async () => {
    const cases = manifest().cases.filter(
      (c): c is PromptCase => c.model === 'sam_vit_mini' && c.image === 'scene_tiny' && !c.onnx_contract,
    );
    const refine = cases.find((c) => c.mask_input_from)!;
    const from = cases.find((c) => c.id === refine.mask_input_from)!;
    const pt = (c: PromptCase) => (c.points ?? []).flatMap(([x, y], i) => ['--point', `${x},${y},${c.labels?.[i]}`]);
    const first = join(work, 'multi');
    const r1 = await tsam(['predict', '--checkpoint', ckpt(), '--image', tiny(), ...pt(from), '--multimask', '--out', first], { env });
    expect(r1.code, show(r1)).toBe(0);
    const ious = (JSON.parse(readFileSync(join(first, 'result.json'), 'utf8')) as { iou_predictions: number[] }).iou_predictions;
    const best = ious.indexOf(Math.max(...ious));
    const refBest = from.expected.iou_predictions.indexOf(Math.max(...from.expected.iou_predictions));
    expect(best).toBe(refBest);

    const out = join(work, 'refined');
    const file = join(first, 'low_res_logits.npy');
    const r2 = await tsam(
      ['predict', '--checkpoint', ckpt(), '--image', tiny(), ...pt(refine), '--mask-input', file, '--json', '--out', out],
      { env },
    );
    expect(r2.code, show(r2)).toBe(0);
    expect(r2.stderr).toContain(`--mask-input: plane ${best} of 3, the highest predicted IoU`);
    const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { iou_predictions: number[]; masks: Rle[] };
    expect(Math.abs(res.iou_predictions[0]! - refine.expected.iou_predictions[0]!)).toBeLessThan(1e-4);
    const refMask = readFixtureJson<Rle[]>(refine.expected.masks)[0]!;
    expect(rleArea(refMask)).toBeGreaterThan(0);
    expect(maskIou(rleToMask(res.masks[0]!), rleToMask(refMask))).toBeGreaterThan(0.99);

    // FILE:INDEX picks the same plane explicitly, and gives the same result.
    const out2 = join(work, 'refined-index');
    const r3 = await tsam(
      ['predict', '--checkpoint', ckpt(), '--image', tiny(), ...pt(refine), '--mask-input', `${file}:${best}`, '--out', out2],
      { env },
    );
    expect(r3.code, show(r3)).toBe(0);
    expect(readFileSync(join(out2, 'result.json'), 'utf8')).toBe(readFileSync(join(out, 'result.json'), 'utf8'));
  });

  it("the README's predict and refine commands run verbatim", async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    // Join shell continuation lines, then take the offline predict commands.
    const commands = readme
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .filter((l) => l.startsWith('npx tsam predict --checkpoint ../shared/fixtures/'));
    expect(commands).toHaveLength(2);
    expect(commands[1]).toContain('--mask-input out/low_res_logits.npy');
    // cwd/../shared/fixtures → the fixtures, as beside the repo.
    const root = tempDir('readme');
    const cwd = join(root, 'main');
    mkdirSync(join(root, 'shared'), { recursive: true });
    mkdirSync(cwd);
    symlinkSync(FIXTURES_DIR, join(root, 'shared', 'fixtures'));
    for (const command of commands) {
      const args = command.replace(/^npx tsam /, '').split(/\s+/);
      const r = await tsam(args, { env, cwd });
      expect(r.code, show(r)).toBe(0);
    }
    expect(parseNpy(readFileSync(join(cwd, 'out', 'low_res_logits.npy'))).shape).toEqual([3, 256, 256]);
    expect(existsSync(join(cwd, 'out', 'refined', 'result.json'))).toBe(true);
  });
});
