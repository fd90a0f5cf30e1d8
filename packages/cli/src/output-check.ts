/**
 * Output-location checks that run before any model work, so a bad `--output`/`--out` fails in
 * milliseconds instead of after every image has been computed. Each error names the flag, the
 * path and what to do.
 */
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `dir` is (or can become) a writable folder: creates it if missing, then writes and
 * removes a probe file (root passes `access(W_OK)` even on read-only mounts, so only a real write
 * proves it).
 */
export function checkOutputDir(dir: string, flag: string): void {
  const st = statOrUndefined(dir);
  if (st && !st.isDirectory())
    throw new Error(`${flag} ${dir}: exists and is a file, not a folder; pass a folder path (it is created if missing)`);
  if (!st) {
    let up = dirname(resolve(dir));
    while (!statOrUndefined(up)) up = dirname(up);
    if (!statOrUndefined(up)?.isDirectory())
      throw new Error(`${flag} ${dir}: ${up} is a file, so the folder cannot be created there; pass another path`);
    // One level at a time: Node's recursive mkdir spins forever on some ENOENTs (e.g. under /proc).
    const missing: string[] = [];
    for (let d = resolve(dir); d !== up; d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      try {
        mkdirSync(d);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && statOrUndefined(d)?.isDirectory()) continue;
        throw new Error(`${flag} ${dir}: cannot create the folder (${code ?? (e as Error).message}); pass a writable path`);
      }
    }
  }
  const probe = join(dir, `.tsam-write-check-${process.pid}`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    writeFileSync(probe, '');
  } catch (e) {
    throw new Error(
      `${flag} ${dir}: the folder is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); fix its permissions or pass another folder`,
    );
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Makes sure `file` can be written: not a folder, and its folder passes `checkOutputDir`. */
export function checkOutputFile(file: string, flag: string): void {
  if (statOrUndefined(file)?.isDirectory()) throw new Error(`${flag} ${file}: is a folder; pass a file path`);
  checkOutputDir(dirname(resolve(file)), flag);
}
