/**
 * The package layering of docs/ARCHITECTURE.md, enforced: each workspace package imports (and
 * declares) only the @tsam packages its row allows, and the environment-free ones import no Node
 * built-in. A new import that breaks a layer fails here before it becomes a cycle.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The "may use" column of the package table (ARCHITECTURE.md), as @tsam names. */
const ALLOWED: Record<string, string[]> = {
  onnx: [],
  model: ['onnx'],
  core: [],
  node: ['onnx', 'model', 'core', 'dataset'],
  dataset: ['core'],
  web: ['core'],
  server: ['core', 'node'],
  train: ['onnx', 'model', 'core', 'node', 'dataset'],
  cli: ['onnx', 'model', 'core', 'node', 'dataset', 'server', 'train'],
  annotator: ['core', 'web'],
};
const ENV_FREE = new Set(['onnx', 'model', 'core']);

interface Pkg {
  name: string;
  dir: string;
}

function packages(): Pkg[] {
  const list: Pkg[] = [];
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, parent))) {
      const dir = join(root, parent, name);
      if (existsSync(join(dir, 'package.json'))) list.push({ name, dir });
    }
  }
  return list;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm,
  ))
    out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

const tsamName = (spec: string) => /^@tsam\/([a-z-]+)/.exec(spec)?.[1];

describe('package layering (docs/ARCHITECTURE.md)', () => {
  const pkgs = packages();

  it('every workspace package has a row', () => {
    expect(pkgs.map((p) => p.name).filter((n) => !(n in ALLOWED))).toEqual([]);
  });

  for (const pkg of pkgs) {
    it(`${pkg.name}: imports and declares only what its row allows`, () => {
      const allowed = new Set(ALLOWED[pkg.name] ?? []);
      const bad: string[] = [];
      for (const file of sourceFiles(join(pkg.dir, 'src'))) {
        for (const spec of specifiers(file)) {
          const dep = tsamName(spec);
          if (dep && dep !== pkg.name && !allowed.has(dep)) bad.push(`${file.slice(root.length + 1)} imports ${spec}`);
          if (ENV_FREE.has(pkg.name) && (spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process'].includes(spec)))
            bad.push(`${file.slice(root.length + 1)} imports ${spec} (environment-free package)`);
        }
      }
      const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(manifest.dependencies ?? {})) {
        const name = tsamName(dep);
        if (name && !allowed.has(name)) bad.push(`package.json depends on ${dep}`);
      }
      expect(bad).toEqual([]);
    });
  }
});
