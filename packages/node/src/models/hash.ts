/** Streaming SHA-256 helpers: checkpoints are up to 2.5 GB, so never read them whole. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Hashes the first `length` bytes of a file (all of it when omitted) and returns the
 * still-open Hash, so a resumed download can keep feeding new bytes into it.
 */
export async function hashFilePrefix(
  path: string,
  length?: number,
  onBytes?: (bytes: number) => void,
): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (length === 0) return { hash, bytes };
  const stream = createReadStream(path, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    onBytes?.(bytes);
  }
  return { hash, bytes };
}

/** Lower-case hex SHA-256 of a whole file. */
export async function sha256File(path: string): Promise<string> {
  return (await hashFilePrefix(path)).hash.digest('hex');
}
