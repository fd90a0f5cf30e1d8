/**
 * The CLI loads only what a command uses: `tsam --help`, every command's `--help` and `tsam
 * dataset validate` load neither onnxruntime nor sharp (nor vega, @tsam/node, @tsam/server,
 * @tsam/train). Each run goes through the real binary with a preload (support/trace-loads.mjs)
 * that records every ES and CommonJS module the process resolves; the same tracer must see sharp,
 * vega and onnxruntime-node when something does load them, so an empty trace cannot pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '@tsam/dataset';
import { AMG_RUN_RECORD as NODE_AMG_RUN_RECORD, PRECISIONS as NODE_PRECISIONS } from '@tsam/node';
import { AMG_RUN_RECORD } from '../src/commands/amg.js';
import { PRECISIONS } from '../src/commands/export.js';
import { show, tempDir, tsam } from './helpers.js';

const TRACER = fileURLToPath(new URL('./support/trace-loads.mjs', import.meta.url));

/** Heavy packages, by how their files' paths and URLs spell them. */
const HEAVY = {
  onnxruntime: /node_modules\/onnxruntime-(node|common)\//,
  sharp: /node_modules\/(sharp|@img)\//,
  vega: /node_modules\/vega(-lite)?\//,
  '@tsam/node': /packages\/node\/(dist|src)\//,
  '@tsam/server': /packages\/server\/(dist|src)\//,
  '@tsam/train': /packages\/train\/(dist|src)\//,
} as const;

type Heavy = keyof typeof HEAVY;

/** Runs `tsam args` under the tracer; returns the run and the heavy packages it loaded. */
async function traced(args: string[], env: Record<string, string> = {}) {
  const trace = join(tempDir('trace'), 'loads.txt');
  const r = await tsam(args, { env: { ...env, NODE_OPTIONS: `--import ${TRACER}`, TSAM_TRACE_LOADS: trace } });
  const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const loaded = (Object.keys(HEAVY) as Heavy[]).filter((k) => lines.some((l) => HEAVY[k].test(l)));
  return { r, lines, loaded };
}

const HELP = [
  ['--help'],
  ['predict', '--help'],
  ['amg', '--help'],
  ['segment', '--help'],
  ['embed', '--help'],
  ['export', '--help'],
  ['models', '--help'],
  ['dataset', 'validate', '--help'],
  ['serve', '--help'],
  ['train', 'replay', '--help'],
];

describe('the CLI loads only what a command uses', () => {
  it.each(HELP.map((args) => ({ args, name: args.join(' ') })))('tsam $name loads no heavy package', async ({ args }) => {
    const { r, lines, loaded } = await traced(args);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tsam/);
    expect(
      lines.some((l) => l.includes('node_modules/commander/')),
      'the tracer saw commander',
    ).toBe(true);
    expect(loaded).toEqual([]);
  });

  it('tsam dataset validate on a tiny dataset loads neither onnxruntime nor sharp', async () => {
    const data = join(tempDir('lazy'), 'data');
    await generateSynthetic(data, { images: 3, masksPerImage: 4, seed: 1, writeImages: true, format: 'sa1b' });
    const { r, loaded } = await traced(['dataset', 'validate', data]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/3 file\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
    expect(loaded).toEqual([]);
  });

  it('the tracer sees sharp, vega and onnxruntime-node when a command loads them', async () => {
    const dir = tempDir('lazy');
    const synth = await traced(['dataset', 'synth', '--out', join(dir, 'data'), '--images', '2', '--masks-per-image', '3']);
    expect(synth.r.code, show(synth.r)).toBe(0);
    expect(synth.loaded).toEqual(['sharp']); // the placeholder JPEGs
    const stats = await traced(['dataset', 'stats', join(dir, 'data'), '--out', join(dir, 'report')]);
    expect(stats.r.code, show(stats.r)).toBe(0);
    expect(stats.loaded).toEqual(['vega']); // the report's charts
    const models = await traced(['models', 'list', '--json'], { TSAM_CACHE_DIR: join(dir, 'cache') });
    expect(models.r.code, show(models.r)).toBe(0);
    expect(models.loaded).toContain('@tsam/node');
    expect(models.loaded).toContain('onnxruntime'); // @tsam/node's index opens sessions with it
  });

  it('names spelled in the CLI so that --help need not load @tsam/node agree with it', async () => {
    expect(AMG_RUN_RECORD).toBe(NODE_AMG_RUN_RECORD);
    expect(PRECISIONS).toEqual(NODE_PRECISIONS);
    const help = await tsam(['amg', '--help']);
    expect(help.stdout).toContain(NODE_AMG_RUN_RECORD);
    const bad = await tsam(['export', '--checkpoint', 'x.pth', '--out', tempDir('lazy'), '--precision', 'fp8']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`expected one of ${NODE_PRECISIONS.join(', ')}, got "fp8"`);
  });
});
