/**
 * The annotator page at `/` (its static build), and the headers that make every response
 * cross-origin isolated (COOP/COEP), which the page needs for multi-threaded WASM.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** apps/annotator/dist of this repository (this file is packages/server/{src,dist}/routes/app.*). */
export const DEFAULT_APP_DIR = fileURLToPath(new URL('../../../../apps/annotator/dist', import.meta.url));

const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'x-content-type-options': 'nosniff',
};

export function isolationHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.headers(ISOLATION_HEADERS);
    return payload;
  });
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function missingAppPage(appDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tsam server</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .25em}</style></head>
<body><h1>tsam server</h1>
<p>The API is running (see <a href="/api/openapi.json">/api/openapi.json</a> and <a href="/api/model">/api/model</a>),
but the annotator app is not built: <code>${escape(appDir)}</code> does not exist.</p>
<p>Build it with <code>npm run build -w apps/annotator</code> and reload, or start the server with
<code>tsam serve --app-dir DIR</code> pointing at a build.</p></body></html>
`;
}

/**
 * Serves `appDir` at `/` (unknown non-API paths get index.html, for client-side routing), or a
 * page that says how to build the app when the directory does not exist. Returns the not-found
 * fallback for non-API GETs.
 */
export async function appRoutes(app: FastifyInstance, appDir: string): Promise<(req: FastifyRequest, reply: FastifyReply) => unknown> {
  if (!existsSync(appDir)) {
    const page = missingAppPage(appDir);
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
    return (_req, reply) => reply.code(404).type('text/html; charset=utf-8').send(page);
  }
  await app.register(fastifyStatic, { root: appDir, prefix: '/', index: ['index.html'], wildcard: true });
  const hasIndex = existsSync(`${appDir}/index.html`);
  return (req, reply) => {
    const accept = String(req.headers.accept ?? '');
    if (hasIndex && accept.includes('text/html')) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    return reply.code(404).send({ error: 'Not Found', message: `no file ${req.url.split('?')[0]}`, statusCode: 404 });
  };
}
