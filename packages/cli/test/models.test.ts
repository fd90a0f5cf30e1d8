/**
 * `tsam models pull|list` against a loopback HTTP server, with the cache in a temp dir and the
 * registry pointed at the server through TSAM_MODEL_BASE_URL. Needs no fixtures or network.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { STACK_LINE, show, tempDir, tsam } from './helpers.js';

const MOBILE_SAM_SHA256 = '6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f';

const cache = tempDir('models-cache');
const models = join(cache, 'models');
const payload = randomBytes(2 * 1024 * 1024 + 777);
const payloadSha = createHash('sha256').update(payload).digest('hex');
const impostor = randomBytes(64 * 1024 + 3);

let server: Server;
let origin = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const body =
      url === '/files/custom_sam.pth'
        ? payload
        : url === '/registry/mobile_sam.pt'
          ? impostor
          : url === '/files/custom_mini.pth' && existsSync(fixturePath('sam_vit_mini.pth'))
            ? readFileSync(fixturePath('sam_vit_mini.pth'))
            : undefined;
    if (!body) return void res.writeHead(404).end('not here');
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const env = () => ({ TSAM_CACHE_DIR: cache, TSAM_MODEL_BASE_URL: `${origin}/registry` });

describe('tsam models', () => {
  it('list on an empty cache: every registry model, none downloaded', async () => {
    const r = await tsam(['models', 'list'], { env: env() });
    expect(r.code, show(r)).toBe(0);
    for (const name of ['mobile_sam', 'vit_b', 'vit_l', 'vit_h']) expect(r.stdout).toMatch(new RegExp(`${name}\\s.*not downloaded`));
    expect(r.stdout).toMatch(/^\* mobile_sam /m); // the default is starred
    expect(r.stdout).not.toContain('downloaded:');
    // Where each file goes, so a file downloaded by hand can be put there.
    expect(r.stdout).toContain(`not downloaded (goes to ${join(models, 'mobile_sam.pt')})`);
    expect(r.stdout).toContain(`not downloaded (goes to ${join(models, 'sam_vit_h_4b8939.pth')})`);
  });

  it('list --json: every model with its path and URL, only JSON on stdout', async () => {
    const r = await tsam(['models', 'list', '--json'], { env: env() });
    expect(r.code, show(r)).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; path: string; url: string; downloaded: boolean }[];
    const mobile = rows.find((m) => m.name === 'mobile_sam')!;
    expect(mobile).toMatchObject({ path: join(models, 'mobile_sam.pt'), url: `${origin}/registry/mobile_sam.pt`, downloaded: false });
    expect(rows.map((m) => m.name)).toEqual(expect.arrayContaining(['vit_b', 'vit_l', 'vit_h']));
  });

  it('pull PATH and pull file://URL copy a file downloaded by hand into the cache', async () => {
    const src = tempDir('models-hand');
    const mine = join(src, 'my_sam.pth');
    writeFileSync(mine, payload);
    const r = await tsam(['models', 'pull', mine], { env: env() });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(`${join(models, 'my_sam.pth')}\n`);
    expect(readFileSync(join(models, 'my_sam.pth')).equals(payload)).toBe(true);
    const viaUrl = join(src, 'url_sam.pth');
    writeFileSync(viaUrl, payload);
    const u = await tsam(['models', 'pull', pathToFileURL(viaUrl).href, '--json'], { env: env() });
    expect(u.code, show(u)).toBe(0);
    expect(JSON.parse(u.stdout)).toMatchObject({
      path: join(models, 'url_sam.pth'),
      sha256: payloadSha,
      bytes: payload.length,
      cached: false,
    });
    // A file named like an official checkpoint must be that checkpoint.
    const fake = join(src, 'mobile_sam.pt');
    writeFileSync(fake, impostor);
    const bad = await tsam(['models', 'pull', fake], { env: env() });
    expect(bad.code, show(bad)).toBe(1);
    expect(bad.stderr).toContain(`${fake} is named like mobile_sam (mobile_sam.pt) but is not it: expected SHA-256 ${MOBILE_SAM_SHA256}`);
    expect(existsSync(join(models, 'mobile_sam.pt'))).toBe(false);
    const missing = await tsam(['models', 'pull', pathToFileURL(join(src, 'nope.pth')).href], { env: env() });
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toContain(`No such file: ${join(src, 'nope.pth')}`);
    for (const x of [bad, missing]) expect(x.stderr).not.toMatch(STACK_LINE);
  });

  it('pull NAME rejects bytes that do not match the official SHA-256, keeping nothing', async () => {
    const r = await tsam(['models', 'pull', 'mobile_sam'], { env: env() });
    expect(r.code, show(r)).toBe(1);
    expect(requests).toContain('/registry/mobile_sam.pt');
    expect(r.stderr).toContain(`SHA-256 mismatch for ${origin}/registry/mobile_sam.pt`);
    expect(r.stderr).toContain(`expected ${MOBILE_SAM_SHA256}`);
    expect(r.stderr).toContain(`got ${createHash('sha256').update(impostor).digest('hex')}`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toBe('');
    expect(existsSync(join(models, 'mobile_sam.pt'))).toBe(false);
    expect(existsSync(join(models, 'mobile_sam.pt.part'))).toBe(false);

    const list = await tsam(['models', 'list'], { env: env() });
    expect(list.stdout).toMatch(/mobile_sam\s.*not downloaded/);
  });

  it('pull URL (no known hash) downloads into the cache and prints the path', async () => {
    const url = `${origin}/files/custom_sam.pth`;
    const r = await tsam(['models', 'pull', url], { env: env() });
    expect(r.code, show(r)).toBe(0);
    const path = join(models, 'custom_sam.pth');
    expect(r.stdout).toBe(`${path}\n`);
    expect(r.stderr).toContain(`sha256 ${payloadSha}`);
    expect(r.stderr).toContain('no known hash');
    expect(readFileSync(path).equals(payload)).toBe(true);
    expect(readdirSync(models).filter((f) => f.endsWith('.part'))).toEqual([]);

    const list = await tsam(['models', 'list'], { env: env() });
    expect(list.code, show(list)).toBe(0);
    expect(list.stdout).toContain(`custom_sam.pth`);
    expect(list.stdout).toMatch(
      new RegExp(`custom_sam\\.pth\\s+2\\.0 MiB\\s+downloaded: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
    expect(list.stdout).toMatch(/mobile_sam\s.*not downloaded/);
  });

  it('pull URL again: already downloaded, nothing fetched, same path', async () => {
    const before = requests.length;
    const r = await tsam(['models', 'pull', `${origin}/files/custom_sam.pth`], { env: env() });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(`${join(models, 'custom_sam.pth')}\n`);
    expect(r.stderr).toContain('already downloaded');
    expect(requests.length).toBe(before);
  });

  it('pull errors: HTTP 404, unknown name, refused connection', async () => {
    const notFound = await tsam(['models', 'pull', `${origin}/files/missing.pth`], { env: env() });
    expect(notFound.code, show(notFound)).toBe(1);
    expect(notFound.stderr).toContain('HTTP 404');
    expect(existsSync(join(models, 'missing.pth'))).toBe(false);

    const unknown = await tsam(['models', 'pull', 'vit_zz'], { env: env() });
    expect(unknown.code, show(unknown)).toBe(1);
    expect(unknown.stderr).toContain('Unknown model "vit_zz"');
    expect(unknown.stderr).toContain('mobile_sam');

    // A port nobody listens on: bind one, note it, close it.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await tsam(['models', 'pull', `http://127.0.0.1:${port}/x.pth`], { env: env() });
    expect(refused.code, show(refused)).toBe(1);
    expect(refused.stderr).toContain('connection refused');
    expect(refused.stderr).toContain(
      `Without network, download http://127.0.0.1:${port}/x.pth by hand, then run: npx tsam models pull /path/to/x.pth`,
    );
    expect(refused.stderr).toContain(`copied to ${join(models, 'x.pth')}`);

    for (const r of [notFound, unknown, refused]) {
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stdout).toBe('');
    }
  });
});

describeFixtures('a checkpoint pulled from a custom URL is usable by name', () => {
  it('pull http://…/custom_mini.pth, then predict --checkpoint custom_mini', async () => {
    const pulled = await tsam(['models', 'pull', `${origin}/files/custom_mini.pth`], { env: env() });
    expect(pulled.code, show(pulled)).toBe(0);
    const list = await tsam(['models', 'list'], { env: env() });
    expect(list.stdout).toContain(`downloaded: ${join(models, 'custom_mini.pth')}`);
    const out = join(tempDir('models-predict'), 'out');
    for (const name of ['custom_mini', 'custom_mini.pth']) {
      const r = await tsam(
        ['predict', '--checkpoint', name, '--image', fixturePath('scene_tiny.png'), '--point', '30,20', '--json', '--out', out],
        {
          env: env(),
        },
      );
      expect(r.code, show(r)).toBe(0);
      expect((JSON.parse(r.stdout) as { iou_predictions: number[] }).iou_predictions.every(Number.isFinite)).toBe(true);
    }
  });
});
