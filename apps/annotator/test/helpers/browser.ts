/**
 * Headless Debian Chromium through playwright-core (never a downloaded browser). Tests that need
 * it use `describeBrowser`, which skips with the reason when Chromium or the fixtures are absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { FIXTURES_SKIP_REASON, hasFixtures } from '../../../../testing/fixtures.js';

/** apps/annotator/dist (or `$TSAM_APP_DIST`, e.g. an older build to reproduce a bug): what the servers serve. */
export const APP_DIST = process.env.TSAM_APP_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url));
/** docs/ of the repository, where the screenshots go. */
const DOCS_DIR = fileURLToPath(new URL('../../../../docs', import.meta.url));

export const CHROMIUM = process.env.TSAM_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

function skipReason(): string | null {
  if (!hasFixtures) return FIXTURES_SKIP_REASON;
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set TSAM_CHROMIUM)`;
  if (!existsSync(`${APP_DIST}/index.html`)) return `the annotator is not built (${APP_DIST}): npm run build -w apps/annotator`;
  return null;
}

/** `describe` that skips, naming the reason, without Chromium, the fixtures or the app build. */
export function describeBrowser(name: string, fn: () => void): void {
  const reason = skipReason();
  if (reason) describe.skip(`${name} [skipped: ${reason}]`, fn);
  else describe(name, fn);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Opens the app and collects page errors (a test fails on any). */
export async function openApp(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/** Saves a screenshot to docs/ (only with TSAM_SCREENSHOTS=1: they are committed files). */
export async function shoot(page: Page, name: string, opts: { keepCursor?: boolean } = {}): Promise<void> {
  if (process.env.TSAM_SCREENSHOTS !== '1') return;
  if (!opts.keepCursor) await page.mouse.move(5, 5); // no cursor mark on the picture
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(DOCS_DIR, name) });
}
