/**
 * The pictures in docs/ (annotator-*.png), staged on the fixture model sam_vit_mini_trained,
 * whose masks follow the colour regions of the synthetic scene. Runs only with
 * TSAM_SCREENSHOTS=1 (the files are committed): `TSAM_SCREENSHOTS=1 npx vitest run apps/annotator`.
 */
import type { TsamServer } from '@tsam/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures.js';
import { at, settle, state, waitFor } from './helpers/app.js';
import { describeBrowser, launchChromium, openApp, shoot } from './helpers/browser.js';
import { PICTURE_MODEL, startServer } from './helpers/reference.js';

const enabled = process.env.TSAM_SCREENSHOTS === '1';

describeBrowser(
  `annotator: screenshots for docs/${enabled ? '' : ' [skipped: set TSAM_SCREENSHOTS=1 to regenerate docs/annotator-*.png]'}`,
  () => {
    let server: TsamServer;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      if (!enabled) return;
      ({ server } = await startServer(PICTURE_MODEL));
      browser = await launchChromium();
      ({ page } = await openApp(browser, `${server.url}/?grid=8&iou=0&stability=0`));
      await waitFor(page, (s) => s.mode === 'server', 'connect');
      await page.getByTestId('open-file').setInputFiles(fixturePath('scene_portrait.png'));
      await waitFor(page, (s) => s.image !== null, 'open image');
      await page.getByTestId('multimask').selectOption('on');
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    const click = async (x: number, y: number) => {
      const c = await at(page, x, y);
      await page.mouse.click(c.x, c.y);
      await settle(page);
    };

    it.skipIf(!enabled)('"everything": all automatic masks in distinct colours', async () => {
      await page.getByTestId('everything').click();
      await waitFor(page, (s) => s.everything !== null, 'everything', 240_000);
      await shoot(page, 'annotator-everything.png');
      const c = await at(page, 270, 580); // keeps the mask under the click
      await page.mouse.click(c.x, c.y);
      await page.keyboard.press('Escape');
      await page.getByLabel('label').first().fill('rectangles');
      await page.getByLabel('label').first().press('Enter');
    });

    it.skipIf(!enabled)('a click, its three candidates and their predicted IoU', async () => {
      await click(210, 240);
      await click(160, 300);
      await page.keyboard.press('3');
      await shoot(page, 'annotator-click.png');
      await page.keyboard.press('Enter');
      await page.getByLabel('label').nth(1).fill('disc');
      await page.getByLabel('label').nth(1).press('Enter');
    });

    it.skipIf(!enabled)('a box prompt', async () => {
      const a = await at(page, 225, 190);
      const b = await at(page, 370, 480);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y, { steps: 6 });
      await page.mouse.up();
      await settle(page);
      await page.keyboard.press('2');
      await shoot(page, 'annotator-box.png');
      await page.keyboard.press('Enter');
      await page.getByLabel('label').nth(2).fill('pink shape');
      await page.getByLabel('label').nth(2).press('Enter');
    });

    it.skipIf(!enabled)('the mask list, one selected, and the help overlay', async () => {
      await page.locator('[data-testid="mask-row"] .swatch').nth(2).click();
      expect((await state(page)).masks).toHaveLength(3);
      await shoot(page, 'annotator-masks.png');
      await page.keyboard.press('?');
      await shoot(page, 'annotator-help.png');
      await page.keyboard.press('Escape');
    });
  },
);
