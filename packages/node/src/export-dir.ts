/**
 * Safe replacement of an export folder, and a lock for the shared ONNX cache.
 *
 * An export is written into a hidden sibling `.<name>.tsam-export-<pid>-<rand>` and swapped in
 * whole, so a reader sees the old export or the new one. A folder that also holds files that are
 * not an export's (a user's `--out` folder with other things in it) cannot be swapped without
 * touching them: there the old model.json is removed first and the new one is moved in last, so
 * the folder is never a loadable mix of two models. Temporaries of killed processes are swept.
 */
import { closeSync, existsSync, openSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const MODEL_JSON = 'model.json';
/** What an export folder holds: the graphs, their external data, model.json and ORT's cache. */
const EXPORT_ENTRY = /^(?:[\w-]+\.onnx(?:\.data)?|model\.json|\.ort-cache)$/;

const tag = (target: string, kind: 'export' | 'old'): string => `.${basename(target)}.tsam-${kind}-`;
const unique = (): string => `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A fresh temporary folder name beside `target` (same filesystem, so the swap is a rename). */
export function tempExportDir(target: string): string {
  return join(dirname(target), `${tag(target, 'export')}${unique()}`);
}

/** Whether process `pid` is running (a lock or temporary of a dead one is stale). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporaries that killed exports into `target` left beside it. */
export function sweepStaleExports(target: string): void {
  const parent = dirname(target);
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    for (const kind of ['export', 'old'] as const) {
      const prefix = tag(target, kind);
      if (!name.startsWith(prefix)) continue;
      const pid = Number(name.slice(prefix.length).split('-')[0]);
      if (!processAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}

/** Moves the complete export `tmp` to `target`, replacing what was there (see the file comment). */
export function replaceExportDir(tmp: string, target: string): void {
  if (!existsSync(target)) return renameSync(tmp, target);
  if (!statSync(target).isDirectory()) throw new Error(`${target} exists and is not a folder: choose another --out or remove it`);
  const entries = readdirSync(target);
  if (entries.length === 0) {
    rmdirSync(target);
    return renameSync(tmp, target);
  }
  if (entries.every((e) => EXPORT_ENTRY.test(e))) {
    // Two renames: in between, `target` is briefly absent, never mixed.
    const old = join(dirname(target), `${tag(target, 'old')}${unique()}`);
    renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
    return;
  }
  // Other files live here too: replace only the export's own entries, model.json out first, in last.
  rmSync(join(target, MODEL_JSON), { force: true });
  for (const e of entries) if (EXPORT_ENTRY.test(e)) rmSync(join(target, e), { recursive: true, force: true });
  for (const e of readdirSync(tmp)) if (e !== MODEL_JSON) renameSync(join(tmp, e), join(target, e));
  renameSync(join(tmp, MODEL_JSON), join(target, MODEL_JSON));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` holding the lock file `lock` (created exclusively, holding our pid). Other processes
 * wait for it; a lock whose process is gone (killed mid-export) is taken over.
 */
export async function withLock<T>(lock: string, fn: () => Promise<T>, pollMs = 200): Promise<T> {
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockIsStale(lock)) rmSync(lock, { force: true });
      else await sleep(pollMs);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** A lock whose pid is dead; an empty one (its writer died before writing) once it is 10 s old. */
function lockIsStale(lock: string): boolean {
  try {
    const text = readFileSync(lock, 'utf8').trim();
    if (text === '') return Date.now() - statSync(lock).mtimeMs > 10_000;
    return !processAlive(Number(text));
  } catch {
    return false; // released meanwhile: retry at once
  }
}
