/**
 * `tsam segment` end to end (the real binary, sam_vit_mini): the mask PNG is the image size, 0/255
 * grey, and equals the mask `tsam predict` gives for the same prompt (the best-IoU one of three
 * for a single point, the single mask otherwise); the overlay is an RGB picture of the image size
 * with the mask drawn in; output naming (--out, --mask/--overlay, default), prompt errors and the
 * empty-mask warning.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { rleToMask, type Rle } from '@tsam/core';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { show, tempDir, tsam } from './helpers.js';

const cache = tempDir('segment-cache');
const work = tempDir('segment-work');
const env = { TSAM_CACHE_DIR: cache };
const TIMEOUT = 240_000;

async function grey(path: string): Promise<Uint8Array> {
  const meta = await sharp(path).metadata();
  expect([meta.width, meta.height, meta.channels]).toEqual([97, 61, 1]);
  const data = await sharp(path).extractChannel(0).raw().toBuffer();
  expect(data.every((v) => v === 0 || v === 255)).toBe(true);
  return Uint8Array.from(data, (v) => (v ? 1 : 0));
}

async function rgb(path: string): Promise<Buffer> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([97, 61, 3]);
  return data;
}

/** `tsam predict`'s masks and IoUs for the same prompt. */
async function predicted(args: string[], out: string): Promise<{ masks: Uint8Array[]; ious: number[] }> {
  const r = await tsam(
    ['predict', '--checkpoint', fixturePath('sam_vit_mini.pth'), '--image', fixturePath('scene_tiny.png'), ...args, '--out', out],
    {
      env,
    },
  );
  expect(r.code, show(r)).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { iou_predictions: number[]; masks: Rle[] };
  return { masks: res.masks.map(rleToMask), ious: res.iou_predictions };
}

describeFixtures('tsam segment (sam_vit_mini)', () => {
  const seg = (args: string[], cwd?: string) =>
    tsam(['segment', fixturePath('scene_tiny.png'), '--checkpoint', fixturePath('sam_vit_mini.pth'), ...args], {
      env,
      ...(cwd && { cwd }),
    });

  it(
    'one point: the best of 3 masks, as mask.png and overlay.png in --out',
    async () => {
      const out = join(work, 'point');
      const r = await seg(['--point', '48,30', '--out', out]);
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toMatch(/^mask: \d+ px \(.*% of 97×61\), predicted IoU -?\d\.\d{3} \(best of 3\) → .*mask\.png, .*overlay\.png\n$/);
      const mask = await grey(join(out, 'mask.png'));
      const ref = await predicted(['--point', '48,30,1', '--multimask'], join(work, 'point-predict'));
      const best = ref.ious.indexOf(Math.max(...ref.ious));
      expect(Buffer.from(mask)).toEqual(Buffer.from(ref.masks[best]!));
      // The overlay is the image with the masked pixels tinted.
      const overlay = await rgb(join(out, 'overlay.png'));
      const image = await rgb(fixturePath('scene_tiny.png'));
      let inside = 0;
      let tinted = 0;
      let outsideChanged = 0;
      for (let i = 0; i < mask.length; i++) {
        const changed = [0, 1, 2].some((k) => overlay[3 * i + k] !== image[3 * i + k]);
        if (!mask[i]) outsideChanged += changed ? 1 : 0;
        else {
          inside++;
          tinted += changed ? 1 : 0;
        }
      }
      expect(tinted).toBe(inside);
      expect(outsideChanged).toBeLessThan(0.1 * mask.length); // the point marker and outline only
    },
    TIMEOUT,
  );

  it(
    'a box and a background point: the single mask, to --mask / --overlay paths',
    async () => {
      const mask = join(work, 'box', 'm.png');
      const overlay = join(work, 'box', 'o.png');
      const r = await seg(['--box', '10,5,70,50', '--point', '60,40,0', '--mask', mask, '--overlay', overlay]);
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).not.toMatch(/best of/);
      const ref = await predicted(['--box', '10,5,70,50', '--point', '60,40,0'], join(work, 'box-predict'));
      expect(ref.masks.length).toBe(1);
      expect(Buffer.from(await grey(mask))).toEqual(Buffer.from(ref.masks[0]!));
      await rgb(overlay);
    },
    TIMEOUT,
  );

  it(
    'without output flags, writes <name>_mask.png and <name>_overlay.png in the current folder',
    async () => {
      const cwd = tempDir('segment-cwd');
      const r = await seg(['--point', '20,20'], cwd);
      expect(r.code, show(r)).toBe(0);
      await grey(join(cwd, 'scene_tiny_mask.png'));
      await rgb(join(cwd, 'scene_tiny_overlay.png'));
    },
    TIMEOUT,
  );

  it(
    'an empty mask is written but warned about (sam_vit_mini_trained: its single mask is often empty)',
    async () => {
      const out = join(work, 'empty');
      const r = await tsam(
        [
          'segment',
          fixturePath('scene_tiny.png'),
          '--checkpoint',
          fixturePath('sam_vit_mini_trained.pth'),
          '--box',
          '10,5,70,50',
          '--json',
          '--out',
          out,
        ],
        { env },
      );
      expect(r.code, show(r)).toBe(0);
      const summary = JSON.parse(r.stdout) as { area: number; mask: string };
      expect(summary.area).toBe(0);
      expect((await grey(summary.mask)).every((v) => v === 0)).toBe(true);
      expect(r.stderr).toContain('warning: the mask is empty (no pixel above the threshold); try other or more points, or a --box');
    },
    TIMEOUT,
  );

  it('reports bad prompts clearly, before loading the model', async () => {
    const none = await seg(['--out', join(work, 'none')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/give at least one --point X,Y or a --box X0,Y0,X1,Y1/);
    // Points outside the image are legal (as in the reference): see prompt-flags.test.ts.
    const bad = await seg(['--point', '12', '--out', join(work, 'bad')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected X,Y or X,Y,LABEL/);
    const both = await seg(['--point', '20,20', '--out', join(work, 'both'), '--mask', join(work, 'm.png')]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--mask.*cannot be used with option '--out/);
    expect(existsSync(join(work, 'none'))).toBe(false);
  });
});
