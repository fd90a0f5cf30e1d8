/**
 * SA-1B tar shards (`sa_000000.tar` holding `sa_<id>.jpg` + `sa_<id>.json` pairs), streamed with
 * tar-stream: entries are read one at a time, never the whole shard. A JSON waits for its image
 * (and an image for its JSON) only until its partner arrives; SA-1B shards store pairs adjacently.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import tar from 'tar-stream';
import { tempSibling } from './atomic.js';
import { imageNameOf, type ProgressFn, type Sample } from './types.js';

export interface TarEntry {
  /** Entry path as stored, minus a leading `./`. */
  name: string;
  size: number;
  /** Contents, when `wantBytes(name)` said so. */
  bytes?: Buffer;
}

/** Streams the regular-file entries of a tar; progress is in bytes of the tar file. */
export async function* readTarEntries(
  path: string,
  opts: { wantBytes?: (name: string) => boolean; onProgress?: ProgressFn } = {},
): AsyncGenerator<TarEntry> {
  const total = (await stat(path)).size;
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const extract = tar.extract();
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      let bytes: Buffer | undefined;
      if (opts.wantBytes?.(name) ?? true) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        bytes = Buffer.concat(chunks);
      } else {
        for await (const _ of entry); // drain: the tar must be read through either way
      }
      opts.onProgress?.(input.bytesRead, total);
      yield { name, size: entry.header.size, ...(bytes && { bytes }) };
    }
  } finally {
    input.destroy(); // also when the consumer stops early
  }
  opts.onProgress?.(total, total);
}

const isJson = (n: string) => n.endsWith('.json');
const stemOf = (n: string) => basename(n).replace(/\.[^.]+$/, '');

/**
 * Yields one `Sample` per JSON entry, paired with its image (`image.file_name`, matched by base
 * name). With `images: false` image bytes are skipped (only their presence is recorded).
 * `onOrphanImage` hears about images no JSON referred to.
 */
export async function* readShard(
  path: string,
  opts: { images?: boolean; onProgress?: ProgressFn; onOrphanImage?: (name: string) => void } = {},
): AsyncGenerator<Sample> {
  const wantImages = opts.images ?? true;
  const images = new Map<string, Buffer | undefined>(); // image base name → bytes, awaiting its JSON
  const waiting = new Map<string, Sample>(); // image base name → JSON sample awaiting its image
  const sourceOf = (n: string) => `${path}:${n}`;
  for await (const e of readTarEntries(path, { wantBytes: (n) => isJson(n) || wantImages, onProgress: opts.onProgress })) {
    if (isJson(e.name)) {
      let json: unknown;
      let readError: string | undefined;
      try {
        json = JSON.parse(e.bytes!.toString('utf8'));
      } catch (err) {
        readError = `cannot read JSON: ${(err as Error).message}`;
      }
      const imageName = basename(imageNameOf(json, stemOf(e.name)));
      const sample: Sample = { source: sourceOf(e.name), json, imageName, ...(readError && { readError }) };
      if (images.has(imageName)) {
        const bytes = images.get(imageName);
        images.delete(imageName);
        yield { ...sample, imagePresent: true, ...(bytes && { image: { bytes } }) };
      } else waiting.set(imageName, sample);
    } else {
      const key = basename(e.name);
      const sample = waiting.get(key);
      if (sample) {
        waiting.delete(key);
        yield { ...sample, imagePresent: true, ...(e.bytes && { image: { bytes: e.bytes } }) };
      } else images.set(key, e.bytes);
    }
  }
  for (const sample of waiting.values()) yield { ...sample, imagePresent: false };
  for (const name of images.keys()) opts.onOrphanImage?.(name);
}

/** Writes a tar shard entry by entry (atomically: a temp file renamed on `close`). */
export class ShardWriter {
  private readonly pack = tar.pack();
  private constructor(
    private readonly path: string,
    private readonly tmp: string,
    private readonly out: WriteStream,
  ) {
    this.pack.pipe(out);
  }

  static async open(path: string): Promise<ShardWriter> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempSibling(path);
    return new ShardWriter(path, tmp, createWriteStream(tmp));
  }

  /** Adds one file; resolves when tar-stream has taken it (backpressure from the file stream). */
  add(name: string, bytes: Uint8Array): Promise<void> {
    return new Promise((res, rej) =>
      this.pack.entry(
        { name, size: bytes.byteLength, mtime: new Date(0) },
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        (err) => (err ? rej(err) : res()),
      ),
    );
  }

  async close(): Promise<void> {
    this.pack.finalize();
    await finished(this.out);
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    this.pack.destroy();
    this.out.destroy();
    await rm(this.tmp, { force: true });
  }
}
