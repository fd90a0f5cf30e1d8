/**
 * Shared helpers for the CLI end-to-end tests: run the real `tsam` binary as a child process
 * (bin/tsam.js → dist/main.js, so `tsc -b` must have run), and compare its outputs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll } from 'vitest';

export const BIN = fileURLToPath(new URL('../bin/tsam.js', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Merged over a clean copy of process.env (TSAM_* variables removed). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

const created: string[] = [];
// Exported models in the temp caches are ~50 MB each: remove every temp dir after the file's tests
// (set TSAM_TEST_KEEP=1 to keep them for debugging).
afterAll(() => {
  if (process.env.TSAM_TEST_KEEP) return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsam-cli-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * Runs `node bin/tsam.js ...args` asynchronously (so an in-process HTTP server can answer it).
 * Never inherits the caller's TSAM_* settings: pass TSAM_CACHE_DIR explicitly.
 */
export function tsam(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} is missing: run \`npx tsc -b\` before the CLI tests`);
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TSAM_') && k !== 'XDG_CACHE_HOME') env[k] = v;
  Object.assign(env, opts.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 110_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** A writable that claims to be a 120-column terminal and keeps what was written. */
export function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  Object.assign(w, { isTTY, columns: 120, rows: 40 });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out };
}

/** A line of a JS stack trace, e.g. `    at main (file:///.../main.js:12:3)`. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** A readable failure message for expect(): the command's output. */
export function show(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export { maxAbs, maxDiff } from '../../../testing/compare.js';

// --- hand-assembled pickles and torch-style zips ---------------------------------------------

const latin1 = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Pickle BINUNICODE: 'X' + u32le length + UTF-8 bytes. */
function binUnicode(s: string): number[] {
  const utf8 = new TextEncoder().encode(s);
  const n = utf8.length;
  return [0x58, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, ...utf8];
}

/**
 * `module.name(arg)` as a protocol-2 pickle: PROTO 2, GLOBAL 'module\nname\n' (or, with
 * `stackGlobal`, two strings + STACK_GLOBAL), the argument, TUPLE1, REDUCE, STOP. Unpickled by
 * Python this calls e.g. `os.system("touch marker")`.
 */
export function callPickle(module: string, name: string, arg: string, stackGlobal = false): Uint8Array {
  const global = stackGlobal ? [...binUnicode(module), ...binUnicode(name), 0x93] : [0x63, ...latin1(`${module}\n${name}\n`)];
  return new Uint8Array([0x80, 0x02, ...global, ...binUnicode(arg), 0x85, 0x52, 0x2e]);
}

/** An empty dict pickle: PROTO 2, EMPTY_DICT, STOP. */
export const EMPTY_DICT_PICKLE = new Uint8Array([0x80, 0x02, 0x7d, 0x2e]);

/** A `torch.save`-shaped zip (stored, not deflated) around the given data.pkl. */
export function torchZip(dataPkl: Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return zipSync(
    {
      'archive/data.pkl': dataPkl,
      'archive/byteorder': new TextEncoder().encode('little'),
      'archive/version': new TextEncoder().encode('3\n'),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`archive/${k}`, v])),
    },
    { level: 0 },
  );
}
