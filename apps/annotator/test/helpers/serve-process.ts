/**
 * `tsam serve` as a separate process (the built CLI), so a test can stop it and start it again on
 * the same port, as a user restarting the server would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { fixturePath } from '../../../../testing/fixtures.js';
import { APP_DIST } from './browser.js';
import { MODEL } from './reference.js';

const TSAM_BIN = fileURLToPath(new URL('../../../../packages/cli/bin/tsam.js', import.meta.url));

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ServeProcess {
  url: string;
  /** SIGTERM, resolved when the process has exited. */
  stop(): Promise<void>;
}

/** Starts `tsam serve --checkpoint <fixture model> --port <port>`; resolves once it prints its URL. */
export function serveProcess(port: number, model: string = MODEL): Promise<ServeProcess> {
  const args = [TSAM_BIN, 'serve', '--checkpoint', fixturePath(`${model}.pth`), '--port', String(port), '--app-dir', APP_DIST];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /^(http:\/\/\S+)$/m.exec(out)?.[1];
      if (url) resolve({ url, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.once('exit', (code) => reject(new Error(`tsam serve exited with ${code} before listening: ${stderr}`)));
  });
}
