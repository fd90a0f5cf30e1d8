/**
 * Opens a SAM model for prediction: an exported model dir (model.json), or a checkpoint, which
 * is exported once into the cache (keyed by its SHA-256 and the weight precision) and reused after.
 * Concurrent processes exporting the same checkpoint take turns on a lock file beside the cache
 * entry, and each export is swapped in whole (exportModel), so the cache is never half-written.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeUnusedKeys } from '@tsam/model';
import { openSamSessions, type SamModelSessions, type SessionLike } from '@tsam/core';
import { withLock } from './export-dir.js';
import {
  MODEL_FORMAT,
  MODEL_JSON,
  exportModel,
  readModelManifest,
  type ExportOptions,
  type ModelManifest,
  type Precision,
} from './export.js';
import { cacheDir } from './models/cache.js';
import { sha256File } from './models/hash.js';
import { resolveCheckpoint } from './models/resolve.js';
import { NodeSamPredictor } from './predictor.js';
import { createOrtSession, type OrtSessionOptions } from './session.js';

export interface LoadOptions extends OrtSessionOptions, ExportOptions {
  /** A .pth/.pt/.safetensors file, or a registry name (default: the cached MobileSAM). */
  checkpoint?: string;
  /** An exported model dir; wins over `checkpoint`. */
  modelDir?: string;
  cacheDir?: string;
}

export interface LoadedSam {
  predictor: NodeSamPredictor;
  manifest: ModelManifest;
  dir: string;
  /** The predictor's sessions (with `lowResDecoder` when the folder has decoder_lowres.onnx). */
  sessions: SamModelSessions;
  encoder: SessionLike;
  decoder: SessionLike;
  /** Opens the batched decoder (B prompts × N points), for automatic mask generation. */
  openBatchedDecoder(): Promise<SessionLike>;
}

/** `<cache>/onnx/<sha16>` for float32 graphs, `<cache>/onnx/<sha16>-<precision>` for fp16 / int8. */
export function exportCacheDir(sha256: string, precision: Precision = 'fp32', root = cacheDir()): string {
  return join(root, 'onnx', sha256.slice(0, 16) + (precision === 'fp32' ? '' : `-${precision}`));
}

/** The exported-graph dir for a checkpoint, exporting it on first use. */
export async function ensureExported(checkpoint: string, opts: LoadOptions = {}): Promise<string> {
  if (!existsSync(checkpoint) || !statSync(checkpoint).isFile()) throw new Error(`checkpoint not found: ${checkpoint}`);
  const sha = await sha256File(checkpoint);
  const precision = opts.precision ?? 'fp32';
  const dir = exportCacheDir(sha, precision, opts.cacheDir ?? cacheDir());
  if (isCurrentExport(dir, precision)) return dir;
  mkdirSync(join(dir, '..'), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    // Another process may have finished the export while this one waited for the lock.
    if (!isCurrentExport(dir, precision)) await exportModel(checkpoint, dir, { ...opts, sha256: sha });
    return dir;
  });
}

/** True when the cached export is complete, of this version's graph format and of `precision`. */
function isCurrentExport(dir: string, precision: Precision): boolean {
  if (!existsSync(join(dir, MODEL_JSON))) return false;
  try {
    const m = readModelManifest(dir);
    return m.format === MODEL_FORMAT && (m.precision ?? 'fp32') === precision;
  } catch {
    return false;
  }
}

/**
 * Opens a model. `onWarning` hears, on every load (a cached export too), about checkpoint keys the
 * model does not use.
 */
export async function loadSam(opts: LoadOptions = {}): Promise<LoadedSam> {
  const { onWarning, ...exportOpts } = opts; // the export's own warning would repeat the one below
  const dir =
    opts.modelDir ??
    (await ensureExported(resolveCheckpoint(opts.checkpoint, opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), exportOpts));
  const manifest = readModelManifest(dir);
  const unused = manifest.checkpoint.unusedKeys ?? [];
  if (unused.length > 0) onWarning?.(`${manifest.checkpoint.file}: ${describeUnusedKeys(unused)}`);
  const sessions = await openSamSessions(manifest, (file) => createOrtSession(join(dir, file), opts));
  return {
    predictor: new NodeSamPredictor(sessions),
    manifest,
    dir,
    sessions,
    encoder: sessions.encoder,
    decoder: sessions.decoder,
    openBatchedDecoder: sessions.openBatchedDecoder,
  };
}
