/**
 * The embedding cache: an LRU bounded in bytes (the sum of the float32 data held in memory).
 * With a spill directory, an evicted embedding is written there as `<id>.npy` and read back on
 * demand instead of re-running the encoder; the directory outlives the process, so a restart with
 * the same `--cache-dir` (and model) reuses it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy, writeNpy, type TensorLike } from '@tsam/core';

export interface CacheStats {
  /** Bytes of embedding data held in memory (≤ capBytes, except transiently for one oversized entry). */
  bytes: number;
  capBytes: number;
  entries: number;
  /** Embeddings on disk in the spill directory. */
  spilled: number;
  evictions: number;
  /** Embeddings read back from the spill directory. */
  reloads: number;
}

const ID_RE = /^[0-9a-f]{16,64}$/;

export class EmbeddingCache {
  private readonly mem = new Map<string, TensorLike>();
  private readonly onDisk = new Set<string>();
  private bytes = 0;
  private evictions = 0;
  private reloads = 0;

  constructor(
    readonly capBytes: number,
    readonly spillDir?: string,
  ) {
    if (!(capBytes >= 0)) throw new RangeError(`cache size must be >= 0 bytes, got ${capBytes}`);
    if (spillDir) {
      mkdirSync(spillDir, { recursive: true });
      for (const f of readdirSync(spillDir)) {
        const id = f.endsWith('.npy') ? f.slice(0, -4) : '';
        if (ID_RE.test(id)) this.onDisk.add(id);
      }
    }
  }

  /** The embedding from memory (most recently used now), or read back from the spill dir. */
  get(id: string): TensorLike | undefined {
    const hit = this.mem.get(id);
    if (hit) {
      this.mem.delete(id);
      this.mem.set(id, hit);
      return hit;
    }
    if (!this.spillDir || !this.onDisk.has(id)) return undefined;
    const file = this.file(id);
    try {
      const npy = parseNpy(readFileSync(file));
      const t: TensorLike = { data: npy.data, dims: npy.shape };
      this.reloads++;
      this.set(id, t);
      return t;
    } catch {
      // Gone or corrupt: forget it, the caller recomputes.
      this.onDisk.delete(id);
      rmSync(file, { force: true });
      return undefined;
    }
  }

  /** Whether `get` can answer without the encoder. */
  has(id: string): boolean {
    return this.mem.has(id) || this.onDisk.has(id);
  }

  set(id: string, t: TensorLike): void {
    const old = this.mem.get(id);
    if (old) this.bytes -= old.data.byteLength;
    this.mem.delete(id);
    this.mem.set(id, t);
    this.bytes += t.data.byteLength;
    this.evict();
  }

  /** Drops an embedding from memory and disk. */
  delete(id: string): void {
    const old = this.mem.get(id);
    if (old) this.bytes -= old.data.byteLength;
    this.mem.delete(id);
    if (this.onDisk.delete(id)) rmSync(this.file(id), { force: true });
  }

  get stats(): CacheStats {
    return {
      bytes: this.bytes,
      capBytes: this.capBytes,
      entries: this.mem.size,
      spilled: this.onDisk.size,
      evictions: this.evictions,
      reloads: this.reloads,
    };
  }

  /** Least recently used first, until the memory total fits the cap. */
  private evict(): void {
    while (this.bytes > this.capBytes && this.mem.size > 0) {
      const [id, t] = this.mem.entries().next().value as [string, TensorLike];
      this.mem.delete(id);
      this.bytes -= t.data.byteLength;
      this.evictions++;
      if (this.spillDir && !this.onDisk.has(id)) this.spill(id, t);
    }
  }

  private spill(id: string, t: TensorLike): void {
    const file = this.file(id);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      // Written whole, then renamed: a crash never leaves a truncated .npy behind.
      writeFileSync(tmp, writeNpy(t.data, t.dims));
      renameSync(tmp, file);
      this.onDisk.add(id);
    } catch {
      if (existsSync(tmp)) rmSync(tmp, { force: true });
    }
  }

  private file(id: string): string {
    return join(this.spillDir ?? '.', `${id}.npy`);
  }
}
