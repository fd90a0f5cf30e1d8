/**
 * A minimal static file server for the page-only test (no tsam server): the app build at `/`,
 * a `tsam export` directory at `/model/`, with the cross-origin isolation headers.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `mounts` (URL prefix → directory) on 127.0.0.1 at a free port. */
export async function serveStatic(mounts: Record<string, string>): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const prefix = Object.keys(mounts)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p));
    let file = prefix ? join(mounts[prefix]!, normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, '')) : '';
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
