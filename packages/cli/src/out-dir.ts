/**
 * Output folders checked before any model work (via output-check.ts) but not left behind when the
 * command then fails: a failed run leaves the disk as it found it.
 */
import { existsSync, rmdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkOutputDir, checkOutputFile } from './output-check.js';

/** Checks `dirs` (folders) and `files` (by their folder), runs `fn`, and removes folders it created if `fn` throws and they are still empty. */
export async function withOutputs<T>(
  outputs: { dirs?: [path: string, flag: string][]; files?: [path: string, flag: string][] },
  fn: () => Promise<T>,
): Promise<T> {
  const folders = [...(outputs.dirs ?? []).map(([p]) => resolve(p)), ...(outputs.files ?? []).map(([p]) => dirname(resolve(p)))];
  const created = folders.filter((d) => !existsSync(d));
  try {
    for (const [p, flag] of outputs.dirs ?? []) checkOutputDir(p, flag);
    for (const [p, flag] of outputs.files ?? []) checkOutputFile(p, flag);
    return await fn();
  } catch (e) {
    for (const d of created.reverse()) {
      try {
        rmdirSync(d); // only succeeds while empty
      } catch {
        // not empty or already gone: keep
      }
    }
    throw e;
  }
}
