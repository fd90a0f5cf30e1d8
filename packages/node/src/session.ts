/** onnxruntime-node behind core's SessionLike seam. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortSession, type SessionLike } from '@tsam/core';

export interface OrtSessionOptions {
  /** Threads for one op; defaults to ORT's choice (all cores). */
  intraOpNumThreads?: number;
  /**
   * Cache ONNX Runtime's optimised graph (fusions, constant folding, the CPU's blocked layouts)
   * beside the model, in `.ort-cache/`, and load that on later runs with graph optimisation off:
   * sessions open 2–4× faster (ViT-B ~2 s → ~0.6 s) and need less memory while opening. The
   * cache is keyed by the model file (size, mtime), the runtime version and the CPU, because the
   * optimised graph is hardware-specific. Default true for model files; ignored for bytes. A
   * directory that cannot be written just means no cache.
   */
  cacheOptimizedModel?: boolean;
  /** ONNX Runtime's CPU memory arena (default on). Off returns freed buffers to the allocator. */
  enableCpuMemArena?: boolean;
  /** Write ONNX Runtime's per-node profile (JSON) to files starting with this prefix. */
  profileFilePrefix?: string;
  /** Let idle intra-op threads spin-wait for the next op (ORT's default: on). */
  allowSpinning?: boolean;
}

/**
 * The ORT options every tsam session uses. The memory pattern (one pre-planned block for all
 * intermediate tensors of a run) is off: it measured no faster on these graphs and raised the
 * ViT-B encoder's peak RSS from ~1.3 GB to ~2.1 GB.
 */
function baseOptions(opts: OrtSessionOptions): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', enableMemPattern: false };
  if (opts.intraOpNumThreads) options.intraOpNumThreads = opts.intraOpNumThreads;
  if (opts.enableCpuMemArena !== undefined) options.enableCpuMemArena = opts.enableCpuMemArena;
  if (opts.allowSpinning !== undefined) options.extra = { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } };
  if (opts.profileFilePrefix) {
    options.enableProfiling = true;
    options.profileFilePrefix = opts.profileFilePrefix;
  }
  return options;
}

const CACHE_DIR = '.ort-cache';
const CACHE_FILE = 'model.onnx';

/** Where the optimised copy of `model` lives (one directory per model/runtime/CPU combination). */
export function optimizedModelCachePath(model: string): string {
  const st = statSync(model);
  const cpu = cpus()[0]?.model ?? 'cpu';
  const key = createHash('sha256')
    .update(JSON.stringify([basename(model), st.size, st.mtimeMs, ort.env.versions.common, process.arch, cpu, cpus().length]))
    .digest('hex')
    .slice(0, 16);
  return join(dirname(model), CACHE_DIR, `${basename(model)}-${key}`);
}

async function createCached(model: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  let dir: string;
  try {
    dir = optimizedModelCachePath(model);
  } catch {
    return ort.InferenceSession.create(model, options);
  }
  const cached = join(dir, CACHE_FILE);
  if (existsSync(cached)) {
    try {
      return await ort.InferenceSession.create(cached, { ...options, graphOptimizationLevel: 'disabled' });
    } catch {
      rmSync(dir, { recursive: true, force: true }); // unreadable (e.g. a runtime change): rebuild
    }
  }
  // Optimise into a private directory, then move it into place in one rename.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(tmp, { recursive: true });
  } catch {
    return ort.InferenceSession.create(model, options);
  }
  try {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        ...options,
        optimizedModelFilePath: join(tmp, CACHE_FILE),
        // ORT warns that the saved graph is hardware-specific; the cache key covers that.
        logSeverityLevel: 3,
        // Large weights go to a sidecar file (protobuf's 2 GB limit); small ones stay inline.
        extra: {
          ...options.extra,
          session: {
            ...((options.extra?.session as Record<string, unknown> | undefined) ?? {}),
            optimized_model_external_initializers_file_name: `${CACHE_FILE}.data`,
            optimized_model_external_initializers_min_size_in_bytes: '4096',
          },
        },
      });
    } catch {
      // Saving the optimised graph failed (e.g. a full disk): open the model without a cache.
      return await ort.InferenceSession.create(model, options);
    }
    try {
      if (!existsSync(cached)) renameSync(tmp, dir);
    } catch {
      // another process won the race, or the directory is read-only: keep its copy / no cache
    }
    return session;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Loads an .onnx file (external data is read from beside it) or in-memory model bytes. */
export async function createOrtSession(model: string | Uint8Array, opts: OrtSessionOptions = {}): Promise<SessionLike> {
  const options = baseOptions(opts);
  const session =
    typeof model === 'string'
      ? opts.cacheOptimizedModel === false || opts.profileFilePrefix
        ? await ort.InferenceSession.create(model, options)
        : await createCached(model, options)
      : await ort.InferenceSession.create(model, options);
  return ortSession(session, (t) => new ort.Tensor('float32', t.data, [...t.dims]));
}
