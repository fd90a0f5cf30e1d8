/**
 * The annotator against the real server, in Chromium: load an image, hover, click, negative
 * click, box, pick a multimask candidate, undo/redo, brush/eraser; every mask the page shows is
 * compared with the Node predictor's for the same prompt. Logs the in-page decoder latency.
 */
import type { LoadedSam, NodeSamPredictor } from '@tsam/node';
import type { TsamServer } from '@tsam/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures.js';
import { expectSameAsNode, nodePredictor, promptOf, startServer } from './helpers/reference.js';
import { at, currentMask, latency, previewMask, settle, state, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp } from './helpers/browser.js';
import { area, diffCount, fromRle, median } from './helpers/masks.js';

describeBrowser('annotator: prompts against the real server (Chromium)', () => {
  let server: TsamServer;
  let sam: LoadedSam;
  let node: NodeSamPredictor;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ server, sam } = await startServer());
    node = await nodePredictor(sam, 'scene_portrait.png');
    browser = await launchChromium();
    ({ page, errors } = await openApp(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  const click = async (x: number, y: number, opts: { button?: 'left' | 'right'; alt?: boolean } = {}) => {
    const c = await at(page, x, y);
    if (opts.alt) await page.keyboard.down('Alt');
    await page.mouse.click(c.x, c.y, { button: opts.button ?? 'left' });
    if (opts.alt) await page.keyboard.up('Alt');
    await settle(page);
    return (await state(page)).current!;
  };
  const shownCurrent = async () => fromRle(await currentMask(page));

  it('loads an image through the file picker (uploaded; embedding from the server)', async () => {
    const ready = await waitFor(page, (s) => s.mode === 'server', 'connect');
    expect(ready.runtime).toMatch(/WASM SIMD, \d+ threads?/);
    expect(ready.runtime).toContain('cross-origin isolated');
    await page.getByTestId('open-file').setInputFiles(fixturePath('scene_portrait.png'));
    const s = await waitFor(page, (st) => st.image !== null, 'open image');
    expect(s.image).toMatchObject({ name: 'scene_portrait.png', width: 480, height: 800 });
    expect(s.image!.id).toMatch(/\w+/);
    await page.getByTestId('server-image').filter({ hasText: 'scene_portrait' }).waitFor();
  });

  it('hover shows the Node predictor’s mask for that point', async () => {
    const c = await at(page, 210, 240);
    await page.mouse.move(c.x, c.y);
    await settle(page);
    const pv = await previewMask(page);
    expect(pv).not.toBeNull();
    expect(Math.abs(pv!.point[0] - 210)).toBeLessThan(2);
    await expectSameAsNode(node, { points: [pv!.point], labels: [1], multimaskOutput: true }, fromRle(pv!.rle), 'hover');
  });

  it('click, negative click (right and Alt) and their masks', async () => {
    let cur = await click(210, 240);
    expect(cur.labels).toEqual([1]);
    expect(cur.multimask).toBe(true);
    expect(cur.ious).toHaveLength(3);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'click');
    cur = await click(330, 620, { button: 'right' });
    expect(cur.labels).toEqual([1, 0]);
    expect(cur.multimask).toBe(false);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'negative click');
    cur = await click(120, 120, { alt: true });
    expect(cur.labels).toEqual([1, 0, 0]);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'alt-click');
  });

  it('dragging draws a box prompt', async () => {
    await page.keyboard.press('Escape');
    expect((await state(page)).current).toBeNull();
    const a = await at(page, 60, 300);
    const b = await at(page, 330, 640);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 8 });
    await page.mouse.up();
    await settle(page);
    const cur = (await state(page)).current!;
    expect(cur.points).toEqual([]);
    expect(cur.box![0]).toBeCloseTo(60, 0);
    expect(cur.box![3]).toBeCloseTo(640, 0);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'box');
  });

  it('each of the 3 candidates, by key and by click, is the Node predictor’s; undo and redo', async () => {
    await page.keyboard.press('Escape');
    const cur = await click(120, 200);
    const best = cur.selected;
    expect(cur.ious).toHaveLength(3);
    await page.keyboard.press('1');
    expect((await state(page)).current!.selected).toBe(0);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'candidate 1', 0);
    await page.keyboard.press('2');
    expect((await state(page)).current!.selected).toBe(1);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'candidate 2', 1);
    await page.getByTestId('candidate-3').click();
    expect((await state(page)).current!.selected).toBe(2);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'candidate 3', 2);

    await page.keyboard.press('Control+z');
    expect((await state(page)).current!.selected).toBe(1);
    await page.keyboard.press('Control+z');
    expect((await state(page)).current!.selected).toBe(0);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'undo → candidate 1', 0);
    await page.keyboard.press('Control+z');
    expect((await state(page)).current!.selected).toBe(best);
    await page.keyboard.press('Control+z');
    expect((await state(page)).current).toBeNull();
    await page.getByTestId('redo').click();
    expect((await state(page)).current!.selected).toBe(best);
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+y');
    await page.keyboard.press('Control+y');
    const s = await state(page);
    expect(s.current!.selected).toBe(2);
    expect(s.canRedo).toBe(false);
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'redo → candidate 3', 2);
    await page.keyboard.press('Enter');
    const done = await state(page);
    expect(done.masks).toHaveLength(1);
    expect(done.masks[0]!.clicks).toBe(4);
    expect(done.masks[0]!.seconds).toBeGreaterThan(0);
  });

  it('the eraser removes from the current mask and the brush adds to it', async () => {
    const cur = await click(210, 240);
    const before = await shownCurrent();
    await page.keyboard.press('e');
    const a = await at(page, 150, 240);
    const b = await at(page, 270, 240);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 10 });
    await page.mouse.up();
    const erased = await shownCurrent();
    expect(area(erased)).toBeLessThan(area(before));
    expect(erased.every((v, i) => !v || before[i])).toBe(true);
    await page.keyboard.press('b');
    const c = await at(page, 400, 80);
    await page.mouse.move(c.x, c.y);
    await page.mouse.down();
    await page.mouse.up();
    const brushed = await shownCurrent();
    expect(brushed[80 * 480 + 400]).toBe(1);
    expect((await state(page)).current!.strokes).toBe(2);
    await page.keyboard.press('s');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await expectSameAsNode(node, promptOf(cur), await shownCurrent(), 'strokes undone');
    await page.keyboard.press('Escape');
  });

  it('records the in-page decoder latency: decoder_lowres.onnx vs decoder.onnx, 20 hover prompts each', async () => {
    const { runtime } = await state(page);
    expect(runtime).toContain('decoder_lowres.onnx + exact upscale');
    const full = await openApp(browser, `${server.url}/?decoder=full`);
    const fullReady = await waitFor(full.page, (s) => s.mode === 'server', 'connect (decoder.onnx)');
    expect(fullReady.runtime).toMatch(/, decoder\.onnx$/);
    await full.page.getByTestId('server-image').filter({ hasText: 'scene_portrait' }).click();
    await waitFor(full.page, (s) => s.image !== null && !s.status.busy, 'open (decoder.onnx)');

    // Interleaved, prompt by prompt, so both graphs see the same machine load (2 shared cores).
    const pages = [
      ['decoder_lowres.onnx', page],
      ['decoder.onnx', full.page],
    ] as const;
    const n0 = await Promise.all(pages.map(async ([, p]) => (await latency(p)).worker.length));
    for (let i = 0; i < 20; i++) {
      for (const [, p] of pages) {
        const c = await at(p, 40 + i * 20, 60 + i * 35);
        await p.mouse.move(c.x, c.y);
        await settle(p);
      }
    }
    const medians: Record<string, { worker: number; rt: number; n: number }> = {};
    for (const [k, [name, p]] of pages.entries()) {
      const l = await latency(p);
      const worker = l.worker.slice(n0[k]);
      expect(worker.length).toBeGreaterThanOrEqual(20);
      medians[name] = { worker: median(worker), rt: median(l.roundTrip.slice(n0[k])), n: worker.length };
    }
    // The same last hover on both graphs: the same mask (both non-empty, 0 pixels differ).
    const pa = await previewMask(page);
    const pb = await previewMask(full.page);
    expect(pa?.point).toEqual(pb?.point);
    const a = fromRle(pa?.rle);
    const b = fromRle(pb?.rle);
    expect(area(a)).toBeGreaterThan(0);
    expect(diffCount(a, b)).toBe(0);
    for (const [name, m] of Object.entries(medians))
      console.log(
        `[annotator e2e] in-page decoder latency on ${name} over ${m.n} prompts (${runtime.replace(/, decoder.*$/, '')}): median ${m.worker.toFixed(1)} ms in the worker, ${m.rt.toFixed(1)} ms round trip`,
      );
    expect(full.errors).toEqual([]);
    await full.page.close();
  });
});
