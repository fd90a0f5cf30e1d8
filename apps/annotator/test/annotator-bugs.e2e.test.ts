/**
 * Bugs found by driving the annotator in Chromium (issue 9, item 11 a–e), each reproduced here
 * against the real server: kept masks survive switching images and a reload warns; "everything"
 * results never land on another image; A twice runs one job and Esc cancels it; the canvas does
 * not move when the candidates appear; Enter on an empty mask says so and keeps the prompt.
 */
import type { TsamServer } from '@tsam/server';
import type { Browser, Dialog, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { FIXTURES_DIR, fixturePath } from '../../../testing/fixtures.js';
import { at, clickAt, masksRle, openServerImage, settle, state, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp } from './helpers/browser.js';
import { dropFile } from './helpers/files.js';
import { area, fromRle } from './helpers/masks.js';
import { startServer } from './helpers/reference.js';

describeBrowser('annotator: bugs found in Chromium (issue 9, item 11)', () => {
  let server: TsamServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const amgRequests: Request[] = [];
  const amgFailed: Request[] = [];

  beforeAll(async () => {
    ({ server } = await startServer(undefined, { imagesDir: FIXTURES_DIR }));
    browser = await launchChromium();
    ({ page, errors } = await openApp(browser, `${server.url}/?grid=8&iou=0&stability=0`));
    page.on('request', (r) => r.url().endsWith('/amg') && amgRequests.push(r));
    page.on('requestfailed', (r) => r.url().endsWith('/amg') && amgFailed.push(r));
    await waitFor(page, (s) => s.mode === 'server', 'connect');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  const openFromList = (name: string) => openServerImage(page, name);
  const click = (x: number, y: number) => clickAt(page, x, y);

  it('a. kept masks stay with their image when another is opened (upload, drop, list)', async () => {
    await page.getByTestId('open-file').setInputFiles(fixturePath('scene_portrait.png'));
    await waitFor(page, (s) => s.image?.name === 'scene_portrait.png' && !s.status.busy, 'upload portrait');
    await click(210, 240);
    await page.keyboard.press('Enter');
    await click(400, 560);
    await page.keyboard.press('Enter');
    const kept = await masksRle(page);
    expect(kept).toHaveLength(2);
    expect(area(fromRle(kept[0]))).toBeGreaterThan(0);

    await dropFile(page, fixturePath('scene_tiny.png'), 'image/png');
    const tiny = await waitFor(page, (s) => s.image?.name === 'scene_tiny.png' && !s.status.busy, 'drop tiny');
    expect(tiny.masks).toEqual([]);
    await click(48, 30);
    await page.keyboard.press('Enter');
    expect((await state(page)).masks).toHaveLength(1);

    const back = await openFromList('scene_portrait.png');
    expect(back.masks).toHaveLength(2);
    expect(await masksRle(page)).toEqual(kept);
    const tinyAgain = await openFromList('scene_tiny.png');
    expect(tinyAgain.masks).toHaveLength(1);
  });

  it('d. the canvas does not move or shrink when the candidates appear', async () => {
    await openFromList('scene_portrait.png');
    const canvas = page.getByTestId('interactive-canvas');
    const before = await canvas.boundingBox();
    const c = await at(page, 120, 200);
    await page.mouse.move(c.x, c.y);
    await settle(page);
    await page.mouse.down();
    await page.mouse.up();
    await settle(page);
    await page.getByTestId('candidate-3').waitFor();
    const after = await canvas.boundingBox();
    expect(after).toEqual(before);
    expect(await at(page, 120, 200)).toEqual(c); // the same pixel under the unmoved cursor
    await page.keyboard.press('Escape');
  });

  it('e. Enter on an empty mask says so and keeps the prompt', async () => {
    await openFromList('scene_tiny.png');
    const n = (await state(page)).masks.length;
    await click(48, 30);
    await page.keyboard.press('e');
    for (let i = 0; i < 14; i++) await page.keyboard.press(']'); // radius 12 → 200 px: the whole image
    const c = await at(page, 48, 30);
    await page.mouse.move(c.x, c.y);
    await page.mouse.down();
    await page.mouse.up();
    await page.keyboard.press('s');
    const before = (await state(page)).current!;
    expect(before.strokes).toBe(1);
    await page.keyboard.press('Enter');
    const s = await state(page);
    expect(s.masks).toHaveLength(n);
    expect(s.current).not.toBeNull();
    expect(s.current!.points).toEqual(before.points);
    expect(s.status.text).toMatch(/mask is empty/i);
    expect(await page.getByTestId('status').textContent()).toMatch(/mask is empty/i);
    await page.keyboard.press('Escape');
  });

  it('b. "everything" results of one image are dropped when another image is opened meanwhile', async () => {
    await openFromList('scene_portrait.png');
    // Hold the request in the browser until the other image is open: "everything" is slow on real images.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/amg', async (route) => {
      await gate;
      await route.continue();
    });
    const n0 = amgRequests.length;
    await page.keyboard.press('a');
    await waitFor(page, () => amgRequests.length > n0, 'the everything request');
    await openFromList('scene_tiny.png');
    release();
    const response = await amgRequests.at(-1)!.response();
    await response?.finished();
    await page.unroute('**/amg');
    const s = await waitFor(page, (st) => st.everything !== null || /dropped/i.test(st.status.text), 'everything finished');
    expect(s.image!.name).toBe('scene_tiny.png');
    expect(s.everything).toBeNull();
    expect(s.status.text).toMatch(/scene_portrait\.png.*dropped/i);
    const masks = s.masks.length;
    await click(48, 30); // a point prompt now, never a foreign "everything" mask
    const after = await state(page);
    expect(after.masks).toHaveLength(masks);
    expect(after.current!.points).toHaveLength(1);
    await page.keyboard.press('Escape');
  });

  it('c. pressing A twice runs one job; Esc cancels a running one', { timeout: 300_000 }, async () => {
    await openFromList('scene_portrait.png');
    const n0 = amgRequests.length;
    await page.keyboard.press('a');
    await page.keyboard.press('a');
    const done = await waitFor(page, (s) => s.everything !== null, 'everything', 240_000);
    expect(done.everything).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(amgRequests.length - n0).toBe(1);
    await page.keyboard.press('Escape');
    expect((await state(page)).everything).toBeNull();

    // Hold the request in the browser so Esc surely comes while it runs (the in-process server's
    // work also delays this process's view of the page's events).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/amg', async (route) => {
      await gate;
      await route.continue().catch(() => {}); // the page may have aborted it meanwhile
    });
    const f0 = amgFailed.length;
    await page.keyboard.press('a');
    await waitFor(page, () => amgRequests.length === n0 + 2, 'the second everything request');
    await page.keyboard.press('Escape');
    release();
    const s = await waitFor(page, (st) => st.everything !== null || /cancel/i.test(st.status.text), 'cancel', 240_000);
    expect(s.everything).toBeNull();
    expect(s.status.text).toMatch(/cancel/i);
    await waitFor(page, () => amgFailed.length > f0, 'the request aborted');
    expect(amgFailed.at(-1)!.failure()?.errorText).toMatch(/abort/i);
    await page.unroute('**/amg');
    expect((await state(page)).everything).toBeNull();
  });

  it('a. reloading with kept, unexported masks asks first (beforeunload); staying keeps them', async () => {
    const kept = (await state(page)).masks.length;
    expect(kept).toBeGreaterThan(0);
    const dialog = new Promise<Dialog>((resolve) => page.once('dialog', resolve));
    const reload = page.evaluate(() => location.reload()); // settles once the dialog is answered
    const d = await Promise.race([dialog, page.waitForTimeout(10_000).then(() => null)]);
    expect(d, 'the page reloaded without asking').not.toBeNull();
    expect(d!.type()).toBe('beforeunload');
    await d!.dismiss(); // stay on the page
    await reload;
    expect((await state(page)).masks).toHaveLength(kept);
  });
});
