/**
 * The run record of a `tsam amg` output folder: `<output>/.tsam-amg.json` and its append-only
 * log `<output>/.tsam-amg.outputs.jsonl` (hidden, so SA-1B readers and folder inputs skip them):
 *
 * - `settings`: the output format, every AMG parameter, the model's checkpoint SHA-256 (and
 *   precision) and the EXIF choice. Every output listed in `outputs` was made with exactly these.
 * - `image_ids`: source file name → SA-1B `image_id`, stable per file across reruns (`sa_<n>`
 *   names get `n`; other names the smallest id no other file holds).
 * - the log: one JSON line `{ output, source, image_id, masks }` per finished output, appended
 *   (and fsynced) only after the output was renamed into place. Appending keeps a long run linear;
 *   a line cut short by a kill is dropped when the record is next read.
 *
 * A kill between an output's rename and its record entry leaves an unlisted output; a rerun with
 * the same settings redoes it (same bytes), so no output is ever trusted without its entry.
 */
import { writeFileAtomic } from '@tsam/dataset';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AmgParams } from '@tsam/core';
import type { AmgOutputFormat } from './amg.js';

export const AMG_RUN_RECORD = '.tsam-amg.json';
export const AMG_OUTPUTS_LOG = '.tsam-amg.outputs.jsonl';

export type AmgRecordedParams = Omit<AmgParams, 'pointGrids' | 'outputMode'>;

export interface AmgSettings {
  format: AmgOutputFormat;
  params: AmgRecordedParams;
  /** SHA-256 of the checkpoint the model was exported from, and its weight precision. */
  model: { sha256: string; precision: string };
  exifRotate: boolean;
}

export interface AmgRunRecord {
  tool: 'tsam amg';
  version: 1;
  settings: AmgSettings;
  image_ids: Record<string, number>;
  /** From the log (not stored in the JSON): output name → what made it. */
  outputs: Record<string, AmgOutputEntry>;
}

export interface AmgOutputEntry {
  source: string;
  image_id: number;
  masks: number;
}

export const newAmgRunRecord = (settings: AmgSettings, imageIds: Record<string, number> = {}): AmgRunRecord => ({
  tool: 'tsam amg',
  version: 1,
  settings,
  image_ids: imageIds,
  outputs: {},
});

/** The folder's run record (with the log's outputs), or undefined when there is none; a damaged one is an error that says what to do. */
export async function readAmgRunRecord(outDir: string): Promise<AmgRunRecord | undefined> {
  const path = join(outDir, AMG_RUN_RECORD);
  const fix = '; remove it to start the folder afresh, or pass --overwrite to redo every image';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the run record ${path}: ${(e as Error).message}`);
  }
  let rec: AmgRunRecord;
  try {
    rec = JSON.parse(text) as AmgRunRecord;
    if (rec.tool !== 'tsam amg' || rec.version !== 1 || typeof rec.settings !== 'object')
      throw new Error('not a tsam amg run record (version 1)');
    rec.image_ids ??= {};
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}${fix}`);
  }
  rec.outputs = {};
  const logPath = join(outDir, AMG_OUTPUTS_LOG);
  let log = '';
  try {
    log = readFileSync(logPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${logPath}: ${(e as Error).message}`);
  }
  const complete = log.slice(0, log.lastIndexOf('\n') + 1);
  if (complete.length !== log.length) await writeFileAtomic(logPath, complete); // a line cut short by a kill
  for (const [i, line] of complete.split('\n').slice(0, -1).entries()) {
    try {
      const { output, ...entry } = JSON.parse(line) as AmgOutputEntry & { output: string };
      rec.outputs[output] = entry;
    } catch (e) {
      throw new Error(`${logPath} line ${i + 1}: ${(e as Error).message}${fix}`);
    }
  }
  return rec;
}

/**
 * Writes the settings and the id map. `fresh` (new settings) first removes the outputs log, so
 * no entry made under other settings can outlive the change, even if the run is killed here.
 */
export async function writeAmgRunRecord(outDir: string, rec: AmgRunRecord, fresh: boolean): Promise<void> {
  if (fresh) rmSync(join(outDir, AMG_OUTPUTS_LOG), { force: true });
  const { outputs: _outputs, ...stored } = rec;
  await writeFileAtomic(join(outDir, AMG_RUN_RECORD), `${JSON.stringify(stored, null, 1)}\n`);
}

/** Lists a finished output: appends its line to the log (fsynced) and to `rec.outputs`. */
export async function recordAmgOutput(outDir: string, rec: AmgRunRecord, output: string, entry: AmgOutputEntry): Promise<void> {
  const fh = await open(join(outDir, AMG_OUTPUTS_LOG), 'a');
  try {
    await fh.appendFile(`${JSON.stringify({ output, ...entry })}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  rec.outputs[output] = entry;
}

const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** How `now` differs from `before`, one phrase per setting (empty when equal). */
export function diffAmgSettings(before: AmgSettings, now: AmgSettings): string[] {
  const out: string[] = [];
  if (before.format !== now.format) out.push(`--format ${before.format} (now ${now.format})`);
  for (const key of new Set([...Object.keys(before.params), ...Object.keys(now.params)])) {
    const a = (before.params as unknown as Record<string, unknown>)[key];
    const b = (now.params as unknown as Record<string, unknown>)[key];
    if (a !== b) out.push(`${flagOf(key)} ${String(a)} (now ${String(b)})`);
  }
  if (before.model.sha256 !== now.model.sha256)
    out.push(`model sha256 ${before.model.sha256.slice(0, 12)}… (now ${now.model.sha256.slice(0, 12)}…)`);
  if (before.model.precision !== now.model.precision) out.push(`precision ${before.model.precision} (now ${now.model.precision})`);
  if (before.exifRotate !== now.exifRotate)
    out.push(`${before.exifRotate ? 'EXIF rotation on' : '--no-exif-rotate'} (now ${now.exifRotate ? 'on' : 'off'})`);
  return out;
}

/** `sa_<n>` → n. */
const saNumber = (file: string): number | undefined => {
  const m = /^sa_(\d+)$/.exec(basename(file).replace(/\.[^.]*$/, ''));
  return m ? Number(m[1]) : undefined;
};

/**
 * SA-1B image ids for `files` (in run order), extending `known` (file name → id, updated in
 * place). A file whose id another file already holds (`sa_01.jpg` beside `sa_1.png`, or an
 * `sa_3.jpg` added after `a.jpg` got 3) is returned in `clashes` and gets no id.
 */
export function assignImageIds(
  files: readonly string[],
  known: Record<string, number>,
): { ids: Map<string, number>; clashes: { file: string; holder: string; id: number }[] } {
  const holder = new Map<number, string>(Object.entries(known).map(([name, id]) => [id, name]));
  const reserved = new Set(files.map(saNumber).filter((n): n is number => n !== undefined));
  const ids = new Map<string, number>();
  const clashes: { file: string; holder: string; id: number }[] = [];
  let next = 1;
  for (const file of files) {
    const name = basename(file);
    let id = known[name];
    if (id === undefined) {
      id = saNumber(file);
      if (id === undefined) {
        while (holder.has(next) || reserved.has(next)) next++;
        id = next;
      }
      const other = holder.get(id);
      if (other !== undefined && other !== name) {
        clashes.push({ file, holder: other, id });
        continue;
      }
      known[name] = id;
      holder.set(id, name);
    }
    ids.set(file, id);
  }
  return { ids, clashes };
}

/** In-progress names of atomic writes: `.<name>.tmp-<pid>-<rand>` and `.<name>.old-<pid>-<rand>`. */
const TEMP_NAME = /^\..+\.(?:tmp|old)-(\d+)-[0-9a-z]+$/;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the temporary files and folders of atomic writes in `outDir`: those of dead processes
 * (`'stale'`, what a killed run leaves) or of this process (`'own'`, on interrupt). Returns the
 * removed names. Synchronous, so it can run in a signal handler.
 */
export function sweepAmgTemps(outDir: string, which: 'stale' | 'own'): string[] {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (which === 'own' ? pid !== process.pid : pid === process.pid || alive(pid)) continue;
    rmSync(join(outDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
