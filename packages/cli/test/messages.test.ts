/**
 * The CLI as a newcomer meets it, through the real binary: help marks required options and shows
 * defaults commander's way, the same point syntax everywhere, `--json` that prints only JSON,
 * `dataset convert` inferring `--to` from the output name (without a MaxListenersExceededWarning),
 * errors that name the path and what to do, a port in use, and Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { BIN, STACK_LINE, show, tempDir, tsam } from './helpers.js';

const cache = tempDir('messages-cache');
const work = tempDir('messages-work');
const env = { TSAM_CACHE_DIR: cache };
const image = join(work, 'tiny.png');

beforeAll(async () => {
  writeFileSync(
    image,
    await sharp({ create: { width: 12, height: 8, channels: 3, background: '#203040' } })
      .png()
      .toBuffer(),
  );
});

describe('help', () => {
  it('required options say (required); defaults are shown as (default: …), --threads included', async () => {
    const predict = await tsam(['predict', '--help'], { env });
    expect(predict.code, show(predict)).toBe(0);
    const flat = predict.stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/--image <path> input image .*\(required\)/);
    expect(flat).toMatch(/--out <dir> output directory \(required\)/);
    expect(flat).toContain('--threads <n> ONNX Runtime intra-op threads (default: 0 = ONNX Runtime');
    expect(flat).toContain('(default: "mobile_sam")');
    expect(flat).not.toMatch(/--point[^(]*\(required\)/);
    for (const args of [['export'], ['embed'], ['dataset', 'stats'], ['dataset', 'synth']]) {
      const r = await tsam([...args, '--help'], { env });
      expect(r.stdout.replace(/\s+/g, ' '), args.join(' ')).toMatch(/--out <(dir|path)> .*\(required\)/);
    }
    const convert = (await tsam(['dataset', 'convert', '--help'], { env })).stdout.replace(/\s+/g, ' ');
    expect(convert).toContain('default: from the output name: .json → coco, .tar → shard, else sa1b)');
  });

  it('predict and segment share one point syntax: --point <x,y[,label]>, label 1 by default', async () => {
    for (const cmd of ['predict', 'segment']) {
      const r = await tsam([cmd, '--help'], { env });
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(
        '--point <x,y[,label]> point prompt in image pixels; label 1 = foreground (the default)',
      );
    }
  });
});

describe('npm noise', () => {
  it("`npx tsam --help` from the repo prints no npm warning; onnxruntime-node's install script is denied by allowScripts", async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((done) => {
      const child = spawn('npx', ['--no', '--', 'tsam', '--help'], { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => done({ code, stderr, stdout }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: tsam');
    expect(r.stderr).not.toMatch(/npm warn/i);
    // The CUDA download is skipped this way (a clean `npm ci` with npm 11.19 was checked by hand: no
    // download, no warning); .npmrc keys that npm does not know are what made it warn.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(existsSync(join(root, '.npmrc'))).toBe(false);
  });
});

describe('dataset: --to from the output name, --json, no listener warning', () => {
  const data = join(work, 'synth');

  it('synth prints a human summary, or only JSON with --json', async () => {
    const human = await tsam(['dataset', 'synth', '--out', data, '--images', '200', '--masks-per-image', '50', '--no-jpeg'], { env });
    expect(human.code, show(human)).toBe(0);
    expect(human.stdout).toMatch(
      /^200 images, 10000 masks \(\d+ squares, \d+ L-shapes\): 50\.00 masks\/image, relative size mean 0\.\d{4}, concavity mean 0\.\d{4}/,
    );
    const json = await tsam(['dataset', 'synth', '--out', join(work, 'synth2'), '--images', '2', '--masks-per-image', '3', '--json'], {
      env,
    });
    expect(json.code, show(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ images: 2, masks: 6 });
  });

  it('convert infers coco from .json and shard from .tar, and a 4 MB COCO write warns about nothing', async () => {
    const coco = join(work, 'out.json');
    const r = await tsam(['dataset', 'convert', data, coco], { env });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`200 images, 10000 annotations: sa1b ${data} → coco ${coco}`);
    expect(r.stderr).not.toContain('MaxListenersExceededWarning');
    expect(r.stderr).not.toContain('Warning');
    expect(readFileSync(coco).length).toBeGreaterThan(1_000_000); // big enough for many backpressure waits
    expect((JSON.parse(readFileSync(coco, 'utf8')) as { annotations: unknown[] }).annotations).toHaveLength(10000);
    const tar = join(work, 'out.tar');
    const t = await tsam(['dataset', 'convert', data, tar], { env });
    expect(t.code, show(t)).toBe(0);
    expect(t.stdout).toContain(`→ shard ${tar}`);
    const j = await tsam(['dataset', 'convert', tar, join(work, 'again.json'), '--json'], { env });
    expect(j.code, show(j)).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ images: 200, annotations: 10000, from: 'shard', to: 'coco' });
  });

  it('validate --json and stats --json print one JSON document on stdout', async () => {
    const ok = await tsam(['dataset', 'validate', join(work, 'synth2'), '--json'], { env });
    expect(ok.code, show(ok)).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ summary: { files: 2, errors: 0 }, issues: [] });
    const png = join(work, 'show.png');
    const shown = await tsam(['dataset', 'show', join(work, 'synth2', 'sa_1.json'), '--out', png, '--json'], { env });
    expect(shown.code, show(shown)).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ out: png });
    expect(existsSync(png)).toBe(true);
    // --no-jpeg left the images out: every problem is in the JSON, and the exit status says so.
    const v = await tsam(['dataset', 'validate', data, '--json'], { env });
    expect(v.code, show(v)).toBe(1);
    const report = JSON.parse(v.stdout) as { summary: { errors: number }; issues: { reason: string }[] };
    expect(report.summary.errors).toBe(200);
    expect(report.issues[0]!.reason).toMatch(/image file sa_\d+\.jpg not found next to the JSON/);
    const s = await tsam(['dataset', 'stats', data, '--out', join(work, 'report'), '--json'], { env });
    expect(s.code, show(s)).toBe(0);
    const stats = JSON.parse(s.stdout) as { report: string; datasets: { images: number; masks: number }[] };
    expect(stats.datasets[0]).toMatchObject({ images: 200, masks: 10000 });
    expect(existsSync(stats.report)).toBe(true);
  });
});

describe('errors a person can act on', () => {
  // --checkpoint is any existing file: the output checks run before the checkpoint is read.
  it('an --out that is a file, a --mask that is a folder: the flag, the path and what to do', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    for (const args of [
      ['predict', '--image', image, '--point', '3,4', '--checkpoint', image, '--out', file],
      ['embed', '--image', image, '--checkpoint', image, '--out', file],
    ]) {
      const r = await tsam(args, { env });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toContain(`tsam: error: --out ${file}: exists and is a file, not a folder; pass a folder path`);
      expect(r.stderr).not.toMatch(/EEXIST|ENOTDIR/);
    }
    const dir = join(work, 'a-dir');
    mkdirSync(dir, { recursive: true });
    const seg = await tsam(['segment', image, '--point', '3,4', '--checkpoint', image, '--mask', dir], { env });
    expect(seg.code, show(seg)).toBe(1);
    expect(seg.stderr).toContain(`tsam: error: --mask ${dir}: is a folder; pass a file path`);
  });

  it('an unknown model name points at models list and the cache folder', async () => {
    const r = await tsam(['predict', '--image', image, '--point', '3,4', '--checkpoint', 'my_model', '--out', join(work, 'o')], { env });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain(`Unknown model "my_model" and no such file`);
    expect(r.stderr).toContain(`a file pulled into ${join(cache, 'models')} (see: npx tsam models list)`);
  });

  it('a model that is not downloaded says how to get it without network', async () => {
    const r = await tsam(['predict', '--image', image, '--point', '3,4', '--out', join(work, 'o')], { env });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('Without network, download https://');
    expect(r.stderr).toContain('then run: npx tsam models pull /path/to/mobile_sam.pt');
  });
});

describe('Ctrl-C', () => {
  let server: Server;
  let origin = '';
  beforeAll(async () => {
    // Sends the headers and a first chunk, then nothing: a download that never ends.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': 10_000_000 });
      res.write(Buffer.alloc(64 * 1024));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('prints an interrupted line, exits 130, and keeps the resumable .part of a download', async () => {
    const child = spawn(process.execPath, [BIN, 'models', 'pull', `${origin}/slow_sam.pth`], {
      env: { ...process.env, TSAM_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const part = join(cache, 'models', 'slow_sam.pth.part');
    for (let i = 0; i < 200 && !(existsSync(part) && readFileSync(part).length > 0); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('tsam: interrupted (Ctrl-C)');
    expect(stderr).not.toMatch(STACK_LINE);
    expect(readdirSync(join(cache, 'models'))).toEqual(['slow_sam.pth.part']);
  });
});

describeFixtures('tsam serve: a port in use', () => {
  it('suggests --port 0', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await tsam(['serve', '--checkpoint', fixturePath('sam_vit_mini.pth'), '--port', String(port)], { env });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toContain(`tsam: error: port ${port} on 127.0.0.1 is in use; pass another --port, or --port 0 for any free one`);
      expect(r.stderr).not.toMatch(STACK_LINE);
    } finally {
      busy.close();
    }
  });
});
