/**
 * The page side: the annotator's static build at `/` (cross-origin isolated, client-side routes
 * fall back to index.html, /api stays JSON), and `--images DIR` (listed at start, encoded lazily).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { LoadedSam } from '@tsam/node';
import type { ImageInfo } from '../src/index.js';
import { describeFixtures, fixturePath } from '../../../testing/fixtures.js';
import { PORTRAIT, openModel, postJson, request, startServer, tempDir, type ErrorJson } from './helpers.js';

describeFixtures('server: the app and --images', () => {
  let sam: LoadedSam;
  beforeAll(async () => {
    sam = await openModel();
  });

  it('serves --app-dir at / with COOP/COEP, index.html for client routes, JSON for /api', async () => {
    const appDir = tempDir('app');
    mkdirSync(join(appDir, 'assets'));
    writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>annotator</title><script src="/assets/main.js"></script>');
    writeFileSync(join(appDir, 'assets', 'main.js'), 'console.log("hi")');
    const { url } = await startServer(sam, { appDir });
    const home = await request(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.body.toString()).toContain('<title>annotator</title>');
    const js = await request(`${url}/assets/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    for (const r of [home, js]) {
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }
    const route = await request(`${url}/images/42`, { headers: { accept: 'text/html' } });
    expect(route.status).toBe(200);
    expect(route.body.toString()).toContain('<title>annotator</title>');
    expect((await request(`${url}/assets/missing.js`)).status).toBe(404);
    const api = await request(`${url}/api/missing`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.json<ErrorJson>()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('--images lists a folder at start and encodes each image only when first used', async () => {
    const dir = tempDir('images');
    writeFileSync(join(dir, 'b_portrait.png'), readFileSync(fixturePath(PORTRAIT)));
    writeFileSync(join(dir, 'a_tiny.png'), readFileSync(fixturePath('scene_tiny.png')));
    writeFileSync(join(dir, 'broken.jpg'), 'not a jpeg');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const warnings: string[] = [];
    const server = await startServer(sam, { imagesDir: dir, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/skipped broken\.jpg: cannot read image/)]);
    const list = (await request(`${server.url}/api/images`)).json<ImageInfo[]>();
    expect(list.map((i) => [i.name, i.width, i.height])).toEqual([
      ['a_tiny.png', 97, 61],
      ['b_portrait.png', 480, 800],
    ]);
    expect(server.service.stats.encoderRuns).toBe(0);
    const portrait = list[1]!;
    const r = await postJson(`${server.url}/api/images/${portrait.id}/predict`, { points: [[200, 300]], labels: [1] });
    expect(r.status).toBe(200);
    expect(server.service.stats.encoderRuns).toBe(1);
    expect((await request(`${server.url}/api/images/${portrait.id}`)).body.equals(readFileSync(fixturePath(PORTRAIT)))).toBe(true);
  });
});
