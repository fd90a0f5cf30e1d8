/**
 * Opens a SAM model for prediction: an exported model dir (model.json), or a checkpoint, which
 * is exported once into the cache (keyed by its SHA-256) and reused after.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionLike } from '@tsam/core';
import { MODEL_FORMAT, MODEL_JSON, exportModel, readModelManifest, type ExportOptions, type ModelManifest } from './export.js';
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
  encoder: SessionLike;
  decoder: SessionLike;
  /** Opens the batched decoder (B prompts × N points), for automatic mask generation. */
  openBatchedDecoder(): Promise<SessionLike>;
}

/** The exported-graph dir for a checkpoint, exporting it on first use. */
export async function ensureExported(checkpoint: string, opts: LoadOptions = {}): Promise<string> {
  if (!existsSync(checkpoint) || !statSync(checkpoint).isFile()) throw new Error(`checkpoint not found: ${checkpoint}`);
  const sha = await sha256File(checkpoint);
  const dir = join(opts.cacheDir ?? cacheDir(), 'onnx', sha.slice(0, 16));
  if (existsSync(join(dir, MODEL_JSON)) && isCurrentExport(dir)) return dir;
  rmSync(dir, { recursive: true, force: true }); // a half-written export from an interrupted run
  await exportModel(checkpoint, dir, { ...opts, sha256: sha });
  return dir;
}

/** True when the cached export was written by this version's graph format. */
function isCurrentExport(dir: string): boolean {
  try {
    return readModelManifest(dir).format === MODEL_FORMAT;
  } catch {
    return false;
  }
}

export async function loadSam(opts: LoadOptions = {}): Promise<LoadedSam> {
  const dir =
    opts.modelDir ?? (await ensureExported(resolveCheckpoint(opts.checkpoint, opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), opts));
  const manifest = readModelManifest(dir);
  const lowRes = manifest.files.decoderLowRes;
  const [encoder, decoder, lowResDecoder] = await Promise.all([
    createOrtSession(join(dir, manifest.files.encoder), opts),
    createOrtSession(join(dir, manifest.files.decoder), opts),
    lowRes ? createOrtSession(join(dir, lowRes), opts) : undefined,
  ]);
  return {
    predictor: new NodeSamPredictor({ encoder, decoder, modelSize: manifest.modelSize, ...(lowResDecoder && { lowResDecoder }) }),
    manifest,
    dir,
    encoder,
    decoder,
    openBatchedDecoder: () => createOrtSession(join(dir, manifest.files.decoderBatched), opts),
  };
}
