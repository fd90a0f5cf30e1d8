/**
 * The `tsam amg` progress bars on a (fake) terminal: the images bar shows no ETA until one image
 * is done (cli-progress would print `ETA NULL`/`INF` with no rate yet), then a real one; off a
 * terminal only the per-image lines are written.
 */
import { expect, it } from 'vitest';
import { AmgProgress } from '../src/amg-progress.js';
import { fakeTerminal } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The last images-bar line rendered so far (escape codes stripped). */
const lastImagesLine = (text: string) =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n')
    .split(/[\r\n]/)
    .filter((l) => l.startsWith('images'))
    .at(-1);

it('the images bar shows no ETA before the first image is done, and a real one after', async () => {
  const term = fakeTerminal(true);
  const p = new AmgProgress(3, term.stream);
  try {
    p.startImage('a.png');
    for (let i = 1; i <= 5; i++) {
      p.onProgress(i * 10, 100);
      await sleep(60);
    }
    await sleep(250); // fps 5: at least one redraw
    const before = lastImagesLine(term.text());
    expect(before).toMatch(/^images .* 0\/3 \| .* \| ETA after the first image/);
    expect(term.text()).not.toMatch(/ETA (NULL|INF|NF)/);
    p.log('[1/3] a.png: 4 masks');
    p.finishImage();
    p.startImage('b.png');
    p.onProgress(50, 100);
    await sleep(300);
    const after = lastImagesLine(term.text());
    expect(after).toMatch(/^images .* 1\/3 \| .* \| ETA +\d+s$/);
    expect(term.text()).toContain('[1/3] a.png: 4 masks');
  } finally {
    p.stop();
  }
});

it('off a terminal, only the per-image lines are written', () => {
  const pipe = fakeTerminal(false);
  const p = new AmgProgress(3, pipe.stream);
  p.startImage('a.png');
  p.onProgress(1, 2);
  p.log('[1/3] a.png: 4 masks');
  p.finishImage();
  p.stop();
  expect(pipe.text()).toBe('[1/3] a.png: 4 masks\n');
});
