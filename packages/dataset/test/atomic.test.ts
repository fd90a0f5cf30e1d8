/** writeFileAtomic: a reader never sees a partial file, a failed write leaves the old file, and no temp files stay behind. */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/index.js';
import { tempDir } from './helpers.js';

/** Polls `path`'s size on every turn of the event loop while `write` runs; returns the sizes seen. */
async function sizesDuring(path: string, write: () => Promise<void>): Promise<Set<number>> {
  const seen = new Set<number>();
  let done = false;
  const poll = (): void => {
    if (existsSync(path)) seen.add(statSync(path).size);
    if (!done) setImmediate(poll);
  };
  poll();
  await write();
  done = true;
  return seen;
}

describe('writeFileAtomic', () => {
  const data = new Uint8Array(48 << 20).fill(7); // large enough to be written in many chunks

  it('a concurrent reader sees the old file or the whole new one, never a part (a plain writeFile shows parts)', async () => {
    const dir = tempDir('atomic');
    const plain = join(dir, 'plain.bin');
    const plainSizes = await sizesDuring(plain, () => writeFile(plain, data));
    // The control: without the rename, the poller catches the file half-written.
    expect([...plainSizes].some((s) => s > 0 && s < data.length)).toBe(true);

    const atomic = join(dir, 'atomic.bin');
    writeFileSync(atomic, 'old');
    const sizes = await sizesDuring(atomic, () => writeFileAtomic(atomic, data));
    expect([...sizes].sort((a, b) => a - b)).toEqual([3, data.length].filter((s) => sizes.has(s)));
    expect(statSync(atomic).size).toBe(data.length);
    expect(readdirSync(dir).sort()).toEqual(['atomic.bin', 'plain.bin']);
  });

  it('a failed write leaves the previous file untouched and no temp file', async () => {
    const dir = tempDir('atomic-fail');
    const target = join(dir, 'result.json');
    writeFileSync(target, '{"ok":true}');
    // Data fs cannot write makes the write fail after the temp file was opened.
    await expect(writeFileAtomic(target, 123 as unknown as string)).rejects.toThrow();
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(dir)).toEqual(['result.json']);
  });
});
