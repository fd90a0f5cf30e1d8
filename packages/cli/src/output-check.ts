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
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new Error(
        `${flag} ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path`,
      );
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
