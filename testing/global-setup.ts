/**
 * Vitest global setup: the CLI, server and annotator tests spawn the built `dist`, so a stale build
 * would hide a change. Before any test runs, rebuild whatever is older than its sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Newest mtime (ms) of the files under `dir` (recursively), or 0 when it is absent. */
export function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function mtime(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** The packages whose `tsconfig.tsbuildinfo` is older than their `src/` or tsconfig. */
export function staleBuilds(): string[] {
  const stale: string[] = [];
  for (const name of readdirSync(join(root, 'packages'))) {
    const pkg = join(root, 'packages', name);
    const built = mtime(join(pkg, 'tsconfig.tsbuildinfo'));
    if (Math.max(newestMtime(join(pkg, 'src')), mtime(join(pkg, 'tsconfig.json'))) > built) stale.push(`packages/${name}`);
  }
  const app = join(root, 'apps/annotator');
  const appSources = Math.max(newestMtime(join(app, 'src')), mtime(join(app, 'index.html')), mtime(join(app, 'vite.config.ts')));
  // The page bundles packages/core and packages/web too.
  const bundled = Math.max(appSources, newestMtime(join(root, 'packages/core/src')), newestMtime(join(root, 'packages/web/src')));
  if (bundled > mtime(join(app, 'dist/index.html'))) stale.push('apps/annotator');
  return stale;
}

export default function setup(): void {
  if (process.env.TSAM_SKIP_BUILD === '1') return;
  const stale = staleBuilds();
  if (stale.length === 0) return;
  process.stdout.write(`global setup: rebuilding (${stale.join(', ')} older than their sources)\n`);
  try {
    if (stale.some((s) => s.startsWith('packages/'))) execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    if (stale.includes('apps/annotator'))
      execFileSync('npm', ['run', 'build', '--silent', '-w', 'apps/annotator'], { cwd: root, stdio: 'inherit' });
  } catch {
    // `npm test` builds first and stops on an error; a direct `vitest` run goes on, but says so.
    process.stderr.write('global setup: THE BUILD FAILED; tests that spawn dist/ run against the previous build\n');
  }
}
