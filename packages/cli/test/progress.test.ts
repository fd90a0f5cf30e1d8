/**
 * The CLI's progress bars (src/progress.ts, src/pull-progress.ts) on a fake terminal: they draw
 * what the libraries report through their callbacks (@tsam/dataset's `(done, total)`, `pullModel`'s
 * `{phase, bytes, total}`); off a terminal they write nothing, so logs and pipes stay clean.
 */
import { expect, it } from 'vitest';
import { passProgress } from '../src/progress.js';
import { pullProgress } from '../src/pull-progress.js';
import { fakeTerminal } from './helpers.js';

/** What a terminal would show, line by line (escape codes, cursor save/restore too, as line breaks). */
const lines = (text: string) =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '\n')
    .split(/[\r\n]/)
    .filter((l) => l.trim() !== '');

it('a dataset pass bar shows done/total in the pass unit, and MiB for byte counts', () => {
  const term = fakeTerminal(true);
  const files = passProgress('validate', 'files', term.stream);
  files.onProgress(1, 4);
  files.onProgress(4, 4);
  files.stop();
  files.stop(); // idempotent
  expect(lines(term.text()).at(-1)).toMatch(/^validate \[.+\] 100% \| 4\/4 files \| ETA/);

  const tar = fakeTerminal(true);
  const bytes = passProgress('stats shard.tar', 'bytes', tar.stream);
  bytes.onProgress(3 * 2 ** 20, 10 * 2 ** 20);
  bytes.stop();
  expect(lines(tar.text()).at(-1)).toMatch(/^stats shard\.tar \[.+\] 30% \| 3\/10 MiB \| ETA/);
});

it('the pull bar restarts when the phase changes and shows bytes in binary units', () => {
  const term = fakeTerminal(true);
  const bar = pullProgress({ stream: term.stream, label: 'mobile_sam' });
  bar.onProgress({ phase: 'verify', bytes: 2 ** 20, total: 2 ** 20, resumedFrom: 2 ** 20 });
  bar.onProgress({ phase: 'download', bytes: 2 ** 20, total: 4 * 2 ** 20, resumedFrom: 2 ** 20 });
  bar.onProgress({ phase: 'download', bytes: 3 * 2 ** 20, total: 4 * 2 ** 20, resumedFrom: 2 ** 20 });
  bar.stop();
  bar.stop(); // idempotent
  const shown = lines(term.text());
  expect(shown.some((l) => /^mobile_sam verifying +\[.+\] 100% \| 1\.0 MiB\/1\.0 MiB/.test(l))).toBe(true);
  expect(shown.at(-1)).toMatch(/^mobile_sam downloading \[.+\] 75% \| 3\.0 MiB\/4\.0 MiB \| /);
});

it('off a terminal the bars write nothing', () => {
  const pipe = fakeTerminal(false);
  const pass = passProgress('validate', 'files', pipe.stream);
  pass.onProgress(2, 2);
  pass.stop();
  const pull = pullProgress({ stream: pipe.stream });
  pull.onProgress({ phase: 'download', bytes: 10, total: 10, resumedFrom: 0 });
  pull.stop();
  expect(pipe.text()).toBe('');
});
