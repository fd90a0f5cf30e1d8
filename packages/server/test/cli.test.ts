/**
 * `tsam serve` as a user runs it (the built CLI, so `tsc -b` must have run): it prints the URL,
 * answers, and stops cleanly on SIGINT; a missing checkpoint fails fast with a clear message.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { describeFixtures } from '../../../testing/fixtures.js';
import { openModel, request, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../../cli/bin/tsam.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../cli/dist/commands/serve.js', import.meta.url));

interface Running {
  url: Promise<string>;
  done: Promise<{ code: number | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function serve(args: string[]): Running {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npx tsc -b\` first`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TSAM_')));
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { ...env, TSAM_CACHE_DIR: tempDir('home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // bounded, whatever happens
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^(http:\/\/\S+)$/m.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.on('close', () => reject(new Error(`exited before printing a URL: ${stderr}`)));
  });
  url.catch(() => {});
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { url, done, kill: (s) => child.kill(s) };
}

describeFixtures('tsam serve (CLI)', () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = (await openModel()).dir;
  });

  it('prints its loopback URL, serves the API, and exits 0 on SIGINT', async () => {
    const run = serve(['--model-dir', modelDir, '--port', '0', '--cache-mb', '16', '--app-dir', tempDir('noapp')]);
    const url = await run.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const model = await request(`${url}/api/model`);
    expect(model.status).toBe(200);
    expect(model.json<{ name: string }>().name).toBe('sam_vit_mini_trained');
    const status = (await request(`${url}/api/status`)).json<{ limits: { cache_bytes: number } }>();
    expect(status.limits.cache_bytes).toBe(16 * 1024 * 1024);
    run.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('shutting down');
  });

  it('fails fast with a clear message when the checkpoint is missing', async () => {
    const run = serve(['--checkpoint', '/nonexistent/sam.pth', '--port', '0']);
    await expect(run.url).rejects.toThrow();
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/Checkpoint file not found: \/nonexistent\/sam\.pth/);
  });

  it('rejects a bad --port before loading anything', async () => {
    const { code, stderr } = await serve(['--port', '70000']).done;
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/expected a port 0–65535/);
  });
});
