/**
 * Issue 9, item 11 f: the server goes away and comes back. A real `tsam serve` process is stopped
 * and started again on the same port. The page says "server unreachable — retrying" (never a raw
 * "Failed to fetch"), and when the restarted server no longer knows the image id (404) the page
 * re-sends the image bytes it holds and carries on.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures.js';
import { state, statusLog, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp } from './helpers/browser.js';
import { fixtureSam } from './helpers/reference.js';
import { freePort, serveProcess, type ServeProcess } from './helpers/serve-process.js';

describeBrowser('annotator: the server stops and restarts (a real tsam serve process)', () => {
  let proc: ServeProcess | undefined;
  let port: number;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await fixtureSam(); // exports the fixture model into tsam's cache once, before the CLI needs it
    port = await freePort();
    proc = await serveProcess(port);
    browser = await launchChromium();
    ({ page, errors } = await openApp(browser, `${proc.url}/?grid=4&iou=0&stability=0`));
  });
  afterAll(async () => {
    await browser?.close();
    await proc?.stop();
  });
  afterEach(() => expect(errors).toEqual([]));

  it('re-sends the image after a restart and finishes "everything"', { timeout: 300_000 }, async () => {
    await waitFor(page, (s) => s.mode === 'server', 'connect');
    await page.getByTestId('open-file').setInputFiles(fixturePath('scene_tiny.png'));
    const opened = await waitFor(page, (s) => s.image?.name === 'scene_tiny.png' && !s.status.busy, 'upload');
    const id = opened.image!.id;

    await proc!.stop();
    proc = undefined;
    await page.keyboard.press('a');
    await waitFor(page, (s) => /server unreachable — retrying/i.test(s.status.text), 'the unreachable message');

    proc = await serveProcess(port);
    const done = await waitFor(page, (s) => s.everything !== null, 'everything after the restart', 240_000);
    expect(done.everything).toBeGreaterThan(0);
    expect(done.image!.name).toBe('scene_tiny.png');
    expect(done.image!.id).toBe(id); // same bytes, same content-hash id
    const log = await statusLog(page);
    expect(log).toContainEqual(expect.stringMatching(/server restarted — re-sending the image/i));
    expect(log.filter((t) => /failed to fetch|\b404\b|unknown image id/i.test(t))).toEqual([]);

    const listed = (await (await fetch(`${proc.url}/api/images`)).json()) as { id: string }[];
    expect(listed.map((i) => i.id)).toContain(id);
    expect((await state(page)).status.error).toBeFalsy();
  });
});
