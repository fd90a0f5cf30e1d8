/**
 * Downloader tests against a real loopback HTTP server with Range support, so
 * resume / restart / error paths run through the same fetch + fs code as production.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import {
  type ModelEntry,
  type PullProgress,
  ModelError,
  cacheDir,
  describePullResult,
  findModel,
  listModels,
  pullModel,
  resolveCheckpoint,
} from '../src/models/index.js';

const payload = randomBytes(3 * 1024 * 1024 + 12345);
const sha = createHash('sha256').update(payload).digest('hex');
const DROP_AFTER = 1024 * 1024;

let server: Server;
let base = '';
let requests: { url: string; range?: string }[] = [];
let dropped = new Set<string>();
let cache = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push({ url, range: req.headers.range });
    if (url.startsWith('/404/')) return void res.writeHead(404).end('nope');
    if (url.startsWith('/500/')) return void res.writeHead(500).end('boom');
    const len = payload.length;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m && !url.startsWith('/norange/')) {
      start = Number(m[1]);
      if (start >= len) return void res.writeHead(416, { 'content-range': `bytes */${len}` }).end();
      res.writeHead(206, { 'content-range': `bytes ${start}-${len - 1}/${len}`, 'content-length': len - start });
    } else {
      res.writeHead(200, { 'content-length': len, 'accept-ranges': 'bytes' });
    }
    // /drop/: the first request dies after DROP_AFTER bytes, like a flaky connection.
    if (url.startsWith('/drop/') && !dropped.has(url)) {
      dropped.add(url);
      res.write(payload.subarray(start, start + DROP_AFTER), () => setTimeout(() => res.socket?.destroy(), 150));
      return;
    }
    res.end(payload.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
  dropped = new Set();
  cache = mkdtempSync(join(tmpdir(), 'tsam-models-'));
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

const entry = (path: string, over: Partial<ModelEntry> = {}): ModelEntry => ({
  name: 'testmodel',
  file: 'test.bin',
  url: `${base}${path}`,
  sha256: sha,
  bytes: payload.length,
  ...over,
});
/** Isolated options: temp cache, empty env (ignores the developer's TSAM_* vars). */
const opts = (e?: ModelEntry) => ({ cacheDir: cache, env: {}, registry: e ? [e] : [] });
const dest = (file = 'test.bin') => join(cache, 'models', file);
const writePart = (bytes: Buffer, file = 'test.bin') => {
  mkdirSync(join(cache, 'models'), { recursive: true });
  writeFileSync(`${dest(file)}.part`, bytes);
};
async function rejection(p: Promise<unknown>): Promise<ModelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('pullModel', () => {
  it('downloads, verifies the SHA-256 and renames into place', async () => {
    const events: PullProgress[] = [];
    const r = await pullModel('testmodel', { ...opts(entry('/files/m.bin')), onProgress: (p) => events.push(p) });
    expect(r).toMatchObject({ path: dest(), sha256: sha, bytes: payload.length, resumed: false, cached: false, verified: true });
    expect(readFileSync(dest()).equals(payload)).toBe(true);
    expect(existsSync(`${dest()}.part`)).toBe(false);
    expect(requests).toEqual([{ url: '/files/m.bin', range: undefined }]);
    expect(events.at(-1)).toMatchObject({ phase: 'download', bytes: payload.length, total: payload.length });
    expect(describePullResult(r)).toMatch(/^Downloaded testmodel .*SHA-256 verified/);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const o = opts(entry('/drop/m.bin'));
    const err = await rejection(pullModel('testmodel', o));
    expect(err.code).toBe('INCOMPLETE_DOWNLOAD');
    expect(err.message).toMatch(/\/drop\/m\.bin.*resume/);
    const kept = statSync(`${dest()}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(payload.length);
    expect(existsSync(dest())).toBe(false);

    const r = await pullModel('testmodel', o);
    expect(r).toMatchObject({ resumed: true, sha256: sha, bytes: payload.length, verified: true });
    expect(requests.map((q) => q.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(readFileSync(dest()).equals(payload)).toBe(true);
    expect(existsSync(`${dest()}.part`)).toBe(false);
  });

  it('resumes from a pre-existing half .part file (prefix is re-hashed)', async () => {
    const half = Math.floor(payload.length / 2);
    writePart(payload.subarray(0, half));
    const phases = new Set<string>();
    const r = await pullModel('testmodel', { ...opts(entry('/files/m.bin')), onProgress: (p) => phases.add(p.phase) });
    expect(r.resumed).toBe(true);
    expect(requests).toEqual([{ url: '/files/m.bin', range: `bytes=${half}-` }]);
    expect(readFileSync(dest()).equals(payload)).toBe(true);
    expect([...phases]).toEqual(['verify', 'download']);
  });

  it('restarts from zero when the server answers 200 to a Range request', async () => {
    writePart(payload.subarray(0, 1000));
    const r = await pullModel('testmodel', opts(entry('/norange/m.bin')));
    expect(r).toMatchObject({ resumed: false, sha256: sha, bytes: payload.length });
    expect(requests).toEqual([{ url: '/norange/m.bin', range: 'bytes=1000-' }]);
    expect(readFileSync(dest()).equals(payload)).toBe(true);
  });

  it('handles 416 for an already complete .part (size unknown to the registry)', async () => {
    writePart(payload);
    const r = await pullModel('testmodel', opts(entry('/files/m.bin', { bytes: undefined })));
    expect(r).toMatchObject({ resumed: true, sha256: sha, verified: true });
    expect(requests).toEqual([{ url: '/files/m.bin', range: `bytes=${payload.length}-` }]);
    expect(readFileSync(dest()).equals(payload)).toBe(true);
  });

  it('finishes a complete .part of known size without any request', async () => {
    writePart(payload);
    const r = await pullModel('testmodel', opts(entry('/files/m.bin')));
    expect(r).toMatchObject({ resumed: true, sha256: sha });
    expect(requests).toEqual([]);
  });

  it('rejects a SHA-256 mismatch, naming expected and actual, leaving no file behind', async () => {
    const wrong = 'ab'.repeat(32);
    const err = await rejection(pullModel('testmodel', opts(entry('/files/m.bin', { sha256: wrong }))));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toContain(`expected ${wrong}, got ${sha}`);
    expect(existsSync(dest())).toBe(false);
    expect(existsSync(`${dest()}.part`)).toBe(false);
  });

  it.each([
    ['/404/m.bin', 404],
    ['/500/m.bin', 500],
  ])('reports HTTP errors clearly (%s)', async (path, status) => {
    const err = await rejection(pullModel('testmodel', opts(entry(path))));
    expect(err.code).toBe('HTTP_ERROR');
    expect(err.details.status).toBe(status);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).toContain(`${base}${path}`);
    expect(existsSync(dest())).toBe(false);
  });

  it('reports connection refused with the URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const url = `http://127.0.0.1:${port}/m.bin`;
    const err = await rejection(pullModel('testmodel', opts(entry('', { url }))));
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/connection refused \(ECONNREFUSED\)/);
  });

  it('does not download again when the file is cached and verified', async () => {
    const o = opts(entry('/files/m.bin'));
    await pullModel('testmodel', o);
    requests = [];
    const r = await pullModel('testmodel', o);
    expect(r).toMatchObject({ cached: true, verified: true, resumed: false, sha256: sha });
    expect(requests).toEqual([]);
    expect(describePullResult(r)).toMatch(/already downloaded and verified/);
  });

  it('downloads a raw URL with no known hash and reports the computed SHA-256', async () => {
    const r = await pullModel(`${base}/files/raw%20model.bin`, opts());
    expect(r).toMatchObject({ sha256: sha, verified: false, path: dest('raw model.bin') });
    expect(r.name).toBeUndefined();
    expect(describePullResult(r)).toContain(sha);
  });

  it('uses the base URL override for registry models (aliases work)', async () => {
    const mobile = { ...findModel('mobile_sam')!, sha256: sha, bytes: payload.length };
    const r = await pullModel('MobileSAM', { ...opts(mobile), baseUrl: `${base}/mirror/` });
    expect(requests).toEqual([{ url: '/mirror/mobile_sam.pt', range: undefined }]);
    expect(r).toMatchObject({ name: 'mobile_sam', path: dest('mobile_sam.pt'), verified: true });
    expect(findModel('sam-vit-b', { env: { TSAM_MODEL_BASE_URL: 'http://127.0.0.1:1/m' } })?.url).toBe(
      'http://127.0.0.1:1/m/sam_vit_b_01ec64.pth',
    );
  });

  it('rejects unknown model names, listing the known ones', async () => {
    const err = await rejection(pullModel('vit_zz', opts()));
    expect(err.code).toBe('UNKNOWN_MODEL');
    expect(err.message).toContain('mobile_sam, vit_b, vit_l, vit_h');
  });
});

describe('resolveCheckpoint / listModels / cacheDir', () => {
  it('says exactly how to get a missing model (default is mobile_sam)', () => {
    const msg = 'Model "mobile_sam" is not downloaded. Run: npx tsam models pull mobile_sam (or pass --checkpoint PATH)';
    expect(() => resolveCheckpoint(undefined, opts())).toThrow(msg);
    expect(() => resolveCheckpoint('mobilesam', opts())).toThrow(msg);
    expect(() => resolveCheckpoint('sam_vit_h', opts())).toThrow('Run: npx tsam models pull vit_h');
  });

  it('returns cached models and existing paths', async () => {
    const o = opts(entry('/files/m.bin'));
    expect(listModels(o).find((m) => m.name === 'testmodel')?.cached).toBe(false);
    await pullModel('testmodel', o);
    expect(resolveCheckpoint('testmodel', o)).toBe(dest());
    expect(resolveCheckpoint(dest(), opts())).toBe(dest());
    const models = listModels(o);
    expect(models.find((m) => m.name === 'testmodel')).toMatchObject({ cached: true, path: dest() });
    expect(models.find((m) => m.isDefault)?.name).toBe('mobile_sam');
  });

  it('distinguishes a missing file path from an unknown name', () => {
    expect(() => resolveCheckpoint(join(cache, 'nope.pth'), opts())).toThrow(/Checkpoint file not found/);
    expect(() => resolveCheckpoint('nope', opts())).toThrow(/Unknown model "nope"/);
  });

  it('picks the cache dir from TSAM_CACHE_DIR, XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheDir({ env: { TSAM_CACHE_DIR: '/x/t', XDG_CACHE_HOME: '/x/xdg' } })).toBe('/x/t');
    expect(cacheDir({ env: { XDG_CACHE_HOME: '/x/xdg' } })).toBe('/x/xdg/tsam');
    expect(cacheDir({ env: {} })).toMatch(/[/\\]\.cache[/\\]tsam$/);
    expect(cacheDir({ cacheDir: '/o', env: { TSAM_CACHE_DIR: '/x/t' } })).toBe('/o');
  });
});
