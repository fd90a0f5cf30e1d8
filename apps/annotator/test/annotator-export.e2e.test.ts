/**
 * "Everything", keeping masks and the exports, in Chromium against the real server. The COCO
 * (RLE and polygons) and SA-1B files are checked by decoding their RLE against the page's masks and
 * by @tsam/dataset's validator; the PNG zip by decoding each PNG.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompressRle, rleFromSegmentation, rleToMask, type CompressedRle, type Rle } from '@tsam/core';
import { validateDataset, type Issue } from '@tsam/dataset';
import type { TsamServer } from '@tsam/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures.js';
import { startServer } from './helpers/reference.js';
import { at, clickAt, masksRle, state, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp } from './helpers/browser.js';
import { downloadFrom, dropFile, pngMask, readJson, unzipStored } from './helpers/files.js';
import { diffCount, fillHoles, iou } from './helpers/masks.js';

interface Ann {
  id: number;
  segmentation: CompressedRle | number[][];
  area: number;
  bbox: number[];
  category_id?: number;
  tsam_clicks: number;
  tsam_seconds: number;
  tsam_label: string;
}

async function validate(path: string, format: 'coco' | 'sa1b'): Promise<Issue[]> {
  const issues: Issue[] = [];
  const summary = await validateDataset(path, { format, onIssue: (i) => issues.push(i) });
  expect(summary.errors, JSON.stringify(issues.filter((i) => i.severity !== 'warning'))).toBe(0);
  return issues;
}

describeBrowser('annotator: everything and exports (Chromium, real server)', () => {
  let server: TsamServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let shown: Uint8Array[] = [];

  beforeAll(async () => {
    ({ server } = await startServer());
    browser = await launchChromium();
    ({ page, errors } = await openApp(browser, `${server.url}/?grid=8&iou=0&stability=0`));
    dir = mkdtempSync(join(tmpdir(), 'tsam-annotator-export-'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(errors).toEqual([]));

  it('opens a dropped image, and again from the server’s list', async () => {
    await waitFor(page, (s) => s.mode === 'server', 'connect');
    await dropFile(page, fixturePath('scene_portrait.png'), 'image/png');
    const dropped = await waitFor(page, (s) => s.image !== null && !s.status.busy, 'open dropped image');
    expect(dropped.image).toMatchObject({ name: 'scene_portrait.png', width: 480, height: 800 });
    await page.getByTestId('server-image').filter({ hasText: 'scene_portrait' }).click();
    const again = await waitFor(
      page,
      (s) => s.image !== null && !s.status.busy && /embedding from the server/.test(s.status.text),
      'open from list',
    );
    expect(again.image!.id).toBe(dropped.image!.id);
  });

  it('keeps two clicked masks, renamed', async () => {
    for (const [x, y] of [
      [210, 240],
      [400, 560],
    ] as const) {
      await clickAt(page, x, y);
      await page.keyboard.press('Enter');
    }
    const label = page.getByLabel('label').first();
    await label.fill('disc');
    await label.press('Enter');
    const s = await state(page);
    expect(s.masks.map((m) => m.label)).toEqual(['disc', 'object']);
  });

  it('"everything" shows the automatic masks; clicking one keeps it', { timeout: 300_000 }, async () => {
    await page.getByTestId('everything').click();
    const s = await waitFor(page, (st) => st.everything !== null, 'everything', 240_000);
    expect(s.everything).toBeGreaterThan(0);
    console.log(`[annotator e2e] everything: ${s.everything} masks from the server`);
    // Click inside the smallest automatic mask, at a pixel well inside it.
    const all = await page.evaluate(() => (window as unknown as { __tsam: { everythingRle(): Rle[] } }).__tsam.everythingRle());
    const masks = all.map((r) => rleToMask(r));
    const area = (m: Uint8Array) => m.reduce((n, v) => n + v, 0);
    const smallest = masks.reduce((a, b) => (area(b) < area(a) ? b : a));
    const [w, h] = [480, 800];
    let target: [number, number] | null = null;
    for (let y = 3; y < h - 3 && !target; y++) {
      for (let x = 3; x < w - 3 && !target; x++) {
        let inside = true;
        for (let dy = -3; dy <= 3 && inside; dy++) for (let dx = -3; dx <= 3 && inside; dx++) inside = !!smallest[(y + dy) * w + x + dx];
        if (inside) target = [x + 0.5, y + 0.5];
      }
    }
    expect(target).not.toBeNull();
    const c = await at(page, ...target!);
    await page.mouse.click(c.x, c.y);
    const kept = await waitFor(page, (st) => st.masks.length === 3, 'keep');
    expect(kept.masks[2]!.source).toBe('everything');
    const rles = await masksRle(page);
    expect(iou(rleToMask(rles[2]!), smallest)).toBe(1);
    await page.keyboard.press('Escape');
    expect((await state(page)).everything).toBeNull();
    shown = rles.map((r) => rleToMask(r));
  });

  it('exports COCO with RLE: the RLE decodes to the page’s masks; the validator passes', async () => {
    const path = await downloadFrom(page, 'export-coco', dir);
    await validate(path, 'coco');
    const coco = readJson<{ annotations: Ann[]; categories: { id: number; name: string }[]; images: { width: number }[] }>(path);
    expect(coco.categories.map((c) => c.name)).toEqual(['disc', 'object']);
    expect(coco.annotations).toHaveLength(shown.length);
    coco.annotations.forEach((a, i) => {
      expect(iou(rleToMask(decompressRle(a.segmentation as CompressedRle)), shown[i]!)).toBe(1);
      expect(a.tsam_clicks).toBeGreaterThanOrEqual(1);
      expect(a.tsam_seconds).toBeGreaterThanOrEqual(0);
    });
  });

  it('exports COCO with polygons that rasterise back to the masks', async () => {
    await page.getByTestId('export-polygons').check();
    const path = await downloadFrom(page, 'export-coco', dir);
    renameSync(path, join(dir, 'polygons.json'));
    await validate(join(dir, 'polygons.json'), 'coco');
    const coco = readJson<{ annotations: Ann[] }>(join(dir, 'polygons.json'));
    coco.annotations.forEach((a, i) => {
      expect(Array.isArray(a.segmentation)).toBe(true);
      const m = rleToMask(rleFromSegmentation(a.segmentation as number[][], 800, 480));
      // Outer boundaries only (COCO polygons have no holes): the mask with its holes filled.
      expect(diffCount(m, fillHoles(shown[i]!, 800, 480)), `polygon annotation ${i}`).toBe(0);
    });
  });

  it('exports SA-1B JSON that decodes to the masks and validates', async () => {
    const path = await downloadFrom(page, 'export-sa1b', dir);
    const sa1b = join(dir, 'sa1b');
    mkdirSync(sa1b);
    renameSync(path, join(sa1b, 'sa_1.json'));
    copyFileSync(fixturePath('scene_portrait.png'), join(sa1b, 'scene_portrait.png'));
    await validate(sa1b, 'sa1b');
    const rec = readJson<{
      image: { width: number; height: number };
      annotations: (Ann & { point_coords: number[][]; crop_box: number[] })[];
    }>(join(sa1b, 'sa_1.json'));
    expect(rec.image).toMatchObject({ width: 480, height: 800, file_name: 'scene_portrait.png' });
    rec.annotations.forEach((a, i) => {
      expect(iou(rleToMask(decompressRle(a.segmentation as CompressedRle)), shown[i]!)).toBe(1);
      expect(a.crop_box).toEqual([0, 0, 480, 800]);
      expect(typeof a.tsam_seconds).toBe('number');
    });
  });

  it('exports the masks as PNGs in a zip', async () => {
    const path = await downloadFrom(page, 'export-png', dir);
    const entries = unzipStored(new Uint8Array(readFileSync(path)));
    expect(entries.map((e) => e.name)).toEqual([
      'scene_portrait_mask_001_disc.png',
      'scene_portrait_mask_002_object.png',
      'scene_portrait_mask_003_object.png',
    ]);
    for (const [i, e] of entries.entries()) {
      const png = await pngMask(e.data);
      expect([png.width, png.height]).toEqual([480, 800]);
      expect(iou(png.mask, shown[i]!)).toBe(1);
    }
  });
});
