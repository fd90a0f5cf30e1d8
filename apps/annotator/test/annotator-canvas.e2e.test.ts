/**
 * The static canvas as a pure function of its props: it shows the open image's pixels exactly
 * (the bitmap it is given), paints the kept masks over them and nothing else, follows image
 * switches, and is not redrawn by hovers (memoised: its props do not change). Also the cursor
 * readout's model and low-res coordinates (core's `applyCoords` and `modelToLowRes`).
 */
import { loadImage } from '@tsam/node';
import type { TsamServer } from '@tsam/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { FIXTURES_DIR, fixturePath } from '../../../testing/fixtures.js';
import { at, clickAt, masksRle, openServerImage, previewMask, settle, state, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp } from './helpers/browser.js';
import { area, fromRle } from './helpers/masks.js';
import { startServer } from './helpers/reference.js';

type W = Window & { __staticDraws: number };

describeBrowser('annotator: the static canvas (Chromium)', () => {
  let server: TsamServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ server } = await startServer(undefined, { imagesDir: FIXTURES_DIR }));
    browser = await launchChromium();
    ({ page, errors } = await openApp(browser, server.url));
    await waitFor(page, (s) => s.mode === 'server', 'connect');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  const open = (name: string) => openServerImage(page, name);
  /** The static canvas's RGBA pixels and size. */
  const staticPixels = async () => {
    const { b64, width, height } = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="static-canvas"]')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
      return { b64: btoa(s), width: c.width, height: c.height };
    });
    return { rgba: new Uint8Array(Buffer.from(b64, 'base64')), width, height };
  };
  /** Pixels (index list) where the canvas differs from the image file's RGB, and its size. */
  const diffFromImage = async (name: string) => {
    const img = await loadImage(fixturePath(name));
    const shown = await staticPixels();
    expect([shown.width, shown.height], `${name}: canvas size`).toEqual([img.width, img.height]);
    const diff: number[] = [];
    for (let i = 0; i < img.width * img.height; i++) {
      const same =
        shown.rgba[i * 4] === img.data[i * 3] &&
        shown.rgba[i * 4 + 1] === img.data[i * 3 + 1] &&
        shown.rgba[i * 4 + 2] === img.data[i * 3 + 2];
      if (!same || shown.rgba[i * 4 + 3] !== 255) diff.push(i);
    }
    return diff;
  };
  const countStaticDraws = () =>
    page.evaluate(() => {
      const ctx = document.querySelector<HTMLCanvasElement>('[data-testid="static-canvas"]')!.getContext('2d')!;
      const draw = ctx.drawImage.bind(ctx) as (...a: unknown[]) => void;
      (window as unknown as W).__staticDraws = 0;
      ctx.drawImage = ((...a: unknown[]) => {
        (window as unknown as W).__staticDraws++;
        draw(...a);
      }) as typeof ctx.drawImage;
    });
  const staticDraws = () => page.evaluate(() => (window as unknown as W).__staticDraws);

  it('shows the open image pixel for pixel, and the next one after a switch', async () => {
    await open('scene_tiny.png');
    expect(await diffFromImage('scene_tiny.png')).toEqual([]);
    await open('scene_landscape.png');
    expect(await diffFromImage('scene_landscape.png')).toEqual([]);
  });

  it('is not redrawn by hovers (the readout gives model and low-res px); keeping a mask redraws it with the mask painted over the image only', async () => {
    await open('scene_tiny.png');
    await countStaticDraws();
    for (const [x, y] of [
      [20, 20],
      [48, 30],
      [70, 40],
    ] as const) {
      const c = await at(page, x, y);
      await page.mouse.move(c.x, c.y);
      await settle(page);
      await page.waitForFunction(() => (window as unknown as { __tsam: { previewMask(): unknown } }).__tsam.previewMask() !== null);
    }
    const pv = await previewMask(page);
    expect(pv, 'the hover preview shows').not.toBeNull();
    // The readout under the cursor (the hover point): ResizeLongestSide's 1024 space, then /4.
    // scene_tiny is 97 × 61: get_preprocess_shape gives 1024 × int(61 · 1024/97 + 0.5) = 644.
    const [px, py] = pv!.point;
    const f = (x: number, y: number) => `${x.toFixed(0)}, ${y.toFixed(0)}`;
    const [mx, my] = [(px * 1024) / 97, (py * 644) / 61];
    await expect
      .poll(() => page.locator('.readout').textContent())
      .toBe(`image ${f(px, py)} · model ${f(mx, my)} · low-res ${f(mx / 4, my / 4)}`);
    expect(await staticDraws(), 'static draws during 3 hovers').toBe(0);

    await clickAt(page, 48, 30);
    await page.keyboard.press('Enter');
    await waitFor(page, (s) => s.masks.length === 1, 'keep');
    await page.mouse.move(1, 1); // off the canvas: no preview on the interactive layer
    expect(await staticDraws(), 'static draws after keeping a mask').toBeGreaterThan(0);
    const kept = fromRle((await masksRle(page))[0]);
    const diff = await diffFromImage('scene_tiny.png');
    const outside = diff.filter((i) => !kept[i]);
    expect(outside, 'pixels changed outside the kept mask').toEqual([]);
    expect(diff.length, 'kept mask pixels painted').toBeGreaterThan(0.9 * area(kept));
    expect((await state(page)).masks).toHaveLength(1);
  });
});
