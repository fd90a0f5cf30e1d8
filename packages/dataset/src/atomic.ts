/**
 * Atomic file output: everything is written to a temporary sibling and renamed over the target
 * only when complete, so a crash or an error never leaves a half-written or emptied file.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { finished } from 'node:stream/promises';

/** A hidden temporary sibling of `path` (same folder, so the final rename is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Writes `data` to `path` atomically (temp file, fsync, rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A write stream to a temp file; `commit()` renames it onto `path`, `abort()` deletes it. */
export interface AtomicStream {
  stream: WriteStream;
  /** Resolves once all queued writes are flushed (respects backpressure). */
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function atomicStream(path: string): Promise<AtomicStream> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  const stream = createWriteStream(tmp);
  let failed: Error | undefined;
  stream.on('error', (e) => (failed = e));
  return {
    stream,
    async write(chunk) {
      if (failed) throw failed;
      // events.once removes both listeners when either fires (a bare once('error') per
      // backpressure wait piled up and tripped MaxListenersExceededWarning on large COCO files).
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async commit() {
      stream.end();
      await finished(stream);
      if (failed) throw failed;
      await rename(tmp, path);
    },
    async abort() {
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}
