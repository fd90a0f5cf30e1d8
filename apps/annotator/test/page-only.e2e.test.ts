/**
 * Page-only mode: the static build plus a `tsam export` directory, no tsam server. The page loads
 * encoder.onnx and decoder.onnx (from `?model=DIR`, or files the user picks), runs the encoder in
 * WASM, says so while it works, and its masks match the Node predictor's.
 */
import { join } from 'node:path';
import type { LoadedSam, NodeSamPredictor } from '@tsam/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures.js';
import { expectSameAsNode, fixtureSam, nodePredictor, promptOf } from './helpers/reference.js';
import { at, currentMask, settle, state, statusLog, waitFor } from './helpers/app.js';
import { APP_DIST, describeBrowser, launchChromium, openApp, shoot } from './helpers/browser.js';
import { fromRle } from './helpers/masks.js';
import { serveStatic, type StaticServer } from './helpers/static.js';

describeBrowser('annotator: page-only mode (no server; encoder in WASM)', () => {
  let site: StaticServer;
  let sam: LoadedSam;
  let node: NodeSamPredictor;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    sam = await fixtureSam(); // sam.dir is the `tsam export` output of the fixture checkpoint
    node = await nodePredictor(sam, 'scene_portrait.png');
    site = await serveStatic({ '/model/': sam.dir, '/': APP_DIST });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  it('loads the model from ?model=, encodes the image in the page and says so', { timeout: 300_000 }, async () => {
    ({ page, errors } = await openApp(browser, `${site.url}/?model=model/&grid=4&iou=0&stability=0`));
    const ready = await waitFor(page, (s) => s.mode === 'page' && !s.status.busy, 'load model');
    expect(ready.runtime).toMatch(/WASM SIMD/);
    await page.getByTestId('open-file').setInputFiles(fixturePath('scene_portrait.png'));
    const s = await waitFor(page, (st) => st.image !== null && !st.status.busy, 'encode in the page', 240_000);
    expect(s.image).toMatchObject({ id: null, width: 480, height: 800 });
    const log = await statusLog(page);
    expect(log.some((t) => t.startsWith('Downloading encoder.onnx'))).toBe(true);
    expect(log).toContain('Running the image encoder in the page (WASM)…');
    expect(s.status.text).toMatch(/encoded in this page in [\d.]+ s \(WASM\)/);
    console.log(`[annotator e2e] page-only: ${s.status.text}`);
  });

  it('clicks give the Node predictor’s masks (encoder and decoder in the page)', async () => {
    for (const [x, y, button] of [
      [210, 240, 'left'],
      [330, 620, 'right'],
    ] as const) {
      const c = await at(page, x, y);
      await page.mouse.click(c.x, c.y, { button });
      await settle(page);
      const cur = (await state(page)).current!;
      await expectSameAsNode(node, promptOf(cur), fromRle(await currentMask(page)), `page-only ${button} click`);
      if (button === 'left') await shoot(page, 'annotator-page-only.png');
    }
    await page.keyboard.press('Enter');
  });

  it('runs "everything" in the page with decoder_batched.onnx', { timeout: 300_000 }, async () => {
    await page.keyboard.press('a');
    const s = await waitFor(page, (st) => st.everything !== null, 'everything in the page', 240_000);
    expect(s.everything).toBeGreaterThan(0);
    expect(await statusLog(page)).toContainEqual(expect.stringMatching(/^Everything: \d+ \/ 16 prompts decoded in the page$/));
  });

  it('without a server or ?model=, takes user-picked model files', { timeout: 300_000 }, async () => {
    const p = await openApp(browser, `${site.url}/`);
    await waitFor(p.page, (st) => /No server found/.test(st.status.text), 'no server');
    await p.page.getByTestId('model-files').setInputFiles(['encoder.onnx', 'decoder.onnx'].map((f) => join(sam.dir, f)));
    const ready = await waitFor(p.page, (st) => st.mode === 'page' && !st.status.busy, 'load picked files');
    expect(ready.status.text).toMatch(/Page-only mode/);
    expect(p.errors).toEqual([]);
    await p.page.close();
  });
});
