/** Driving the annotator page: its `window.__tsam` hooks, waiting, clicking in image pixels. */
import type { Rle } from '@tsam/core';
import type { Page } from 'playwright-core';

export interface AppState {
  mode: 'server' | 'page' | 'none';
  runtime: string;
  status: { text: string; busy: boolean; error?: boolean };
  image: { id: string | null; name: string; width: number; height: number } | null;
  current: {
    points: [number, number][];
    labels: number[];
    box: [number, number, number, number] | null;
    multimask: boolean;
    decoded: boolean;
    ious: number[];
    selected: number;
    strokes: number;
    clicks: number;
  } | null;
  masks: { id: number; label: string; visible: boolean; clicks: number; seconds: number; source: string }[];
  everything: number | null;
  canUndo: boolean;
  canRedo: boolean;
  actions: string[];
}

interface Hooks {
  state(): AppState;
  currentMask(): Rle | null;
  previewMask(): { point: [number, number]; iou: number; rle: Rle } | null;
  imageToClient(x: number, y: number): { x: number; y: number };
  idle(): Promise<void>;
  latency(): { worker: number[]; roundTrip: number[] };
  statusLog(): string[];
  masksRle(): Rle[];
}
type W = { __tsam: Hooks };

export const state = (page: Page): Promise<AppState> => page.evaluate(() => (window as unknown as W).__tsam.state());
export const currentMask = (page: Page) => page.evaluate(() => (window as unknown as W).__tsam.currentMask());
export const previewMask = (page: Page) => page.evaluate(() => (window as unknown as W).__tsam.previewMask());
export const latency = (page: Page) => page.evaluate(() => (window as unknown as W).__tsam.latency());
export const statusLog = (page: Page) => page.evaluate(() => (window as unknown as W).__tsam.statusLog());
export const masksRle = (page: Page) => page.evaluate(() => (window as unknown as W).__tsam.masksRle());

/** Waits until no decoder request runs or waits, and the current prompt (if any) is decoded. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as W).__tsam.idle());
  await page.waitForFunction(() => {
    const s = (window as unknown as W).__tsam.state();
    return !s.current || s.current.decoded || (s.current.points.length === 0 && s.current.box === null);
  });
  await page.evaluate(() => (window as unknown as W).__tsam.idle());
}

/** Client position of image pixel (x, y). */
export function at(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(([x, y]) => (window as unknown as W).__tsam.imageToClient(x, y), [x, y] as const);
}

export async function waitFor(page: Page, pred: (s: AppState) => boolean, what: string, timeout = 120_000): Promise<AppState> {
  const t0 = Date.now();
  for (;;) {
    const s = await state(page);
    if (pred(s)) return s;
    if (s.status.error) throw new Error(`${what}: the app reports an error: ${s.status.text}`);
    if (Date.now() - t0 > timeout) throw new Error(`${what}: timed out; status: ${s.status.text}`);
    await page.waitForTimeout(100);
  }
}

/** Clicks image pixel (x, y) and waits for its decode. */
export async function clickAt(page: Page, x: number, y: number): Promise<void> {
  const c = await at(page, x, y);
  await page.mouse.click(c.x, c.y);
  await settle(page);
}

/** Opens one of the server's images from the list and waits until it is ready. */
export async function openServerImage(page: Page, name: string): Promise<AppState> {
  await page.getByTestId('server-image').filter({ hasText: name }).click();
  return waitFor(page, (s) => s.image?.name === name && !s.status.busy, `open ${name} from the list`);
}
