/** What every part of `npm run bench` shares: paths, the fixture folder, small helpers. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_DIR = join(ROOT, '.bench');
/** Resolved the way the tests resolve it (testing/fixtures.ts): $TSAM_FIXTURES, else ../shared/fixtures. */
export const FIXTURES_DIR = process.env.TSAM_FIXTURES ?? resolve(ROOT, '../shared/fixtures');
export const fixture = (name) => join(FIXTURES_DIR, name);
export const hasFixture = (name) => existsSync(fixture(name));

export const log = (msg) => process.stderr.write(`${msg}\n`);
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 100 ? 1 : 0)} ms`);

/** A deterministic RGB gradient with rectangles, for when the fixture scene is absent. */
export function syntheticImage(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const box = ((x >> 7) + (y >> 7)) % 3;
      data[i] = (x * 255) / width;
      data[i + 1] = box === 0 ? 40 : (y * 255) / height;
      data[i + 2] = box * 100;
    }
  }
  return { data, width, height };
}
