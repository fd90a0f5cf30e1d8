/** Reading what the page downloads: JSON, stored ZIP entries, PNG masks. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage } from '@tsam/node';
import type { Download, Page } from 'playwright-core';

/** Drops a file on the page, as a user dragging it from the desktop would. */
export async function dropFile(page: Page, path: string, type: string): Promise<void> {
  const b64 = readFileSync(path).toString('base64');
  const name = path.split('/').pop()!;
  await page.evaluate(
    ([b64, name, type]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      const target = document.querySelector('.stage')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [b64, name, type] as const,
  );
}

/** Clicks `testId` and saves the download into `dir`; returns its path. */
export async function downloadFrom(page: Page, testId: string, dir: string): Promise<string> {
  const [dl]: [Download, void] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = join(dir, dl.suggestedFilename());
  await dl.saveAs(path);
  return path;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Entries of a ZIP whose entries are stored (method 0), read from the local headers. */
export function unzipStored(bytes: Uint8Array): { name: string; data: Uint8Array }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { name: string; data: Uint8Array }[] = [];
  let p = 0;
  while (p + 30 <= bytes.length && v.getUint32(p, true) === 0x04034b50) {
    if (v.getUint16(p + 8, true) !== 0) throw new Error('zip entry is compressed');
    const size = v.getUint32(p + 18, true);
    const nameLen = v.getUint16(p + 26, true);
    const extra = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 30, p + 30 + nameLen));
    const start = p + 30 + nameLen + extra;
    out.push({ name, data: bytes.subarray(start, start + size) });
    p = start + size;
  }
  return out;
}

/** A black-and-white mask PNG → 0/1 mask (decoded with sharp, through @tsam/node). */
export async function pngMask(png: Uint8Array): Promise<{ mask: Uint8Array; width: number; height: number }> {
  const img = await loadImage(png);
  const mask = new Uint8Array(img.width * img.height);
  for (let i = 0; i < mask.length; i++) mask[i] = img.data[i * 3]! > 127 ? 1 : 0;
  return { mask, width: img.width, height: img.height };
}
