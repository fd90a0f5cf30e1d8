/**
 * `tsam export`: checkpoint → encoder.onnx, decoder.onnx, decoder_batched.onnx and model.json.
 * Weights over ~1.8 GB (ViT-H) go to `<graph>.onnx.data` beside the graph as ONNX external data.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { serializeModel, type Graph } from '@tsam/onnx';
import { buildDecoderGraph, buildEncoderGraph, inferSamConfig, readCheckpoint, type SamConfig, type StateDict } from '@tsam/model';
import { sha256File } from './models/hash.js';

export const MODEL_JSON = 'model.json';
/** Bumped whenever a graph's inputs or outputs change, so cached exports are rebuilt. */
export const MODEL_FORMAT = 'tsam-onnx/2';

/** What model.json records: enough to load and run the graphs without the checkpoint. */
export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  family: SamConfig['family'];
  config: SamConfig;
  checkpoint: { file: string; sha256: string };
  files: { encoder: string; decoder: string; decoderBatched: string };
  /** Encoder input side: the longest image side is resized to this. */
  modelSize: number;
  createdBy: string;
}

export interface ExportOptions {
  /** Called as each step starts, for progress display. */
  onStep?: (step: string, index: number, total: number) => void;
  /** Skip hashing the checkpoint (the caller already knows it). */
  sha256?: string;
}

/** Writes one graph (and its external data, if any) and returns the file name. */
function writeGraph(g: Graph, dir: string, file: string): string {
  const ser = serializeModel(g, { externalDataName: `${file}.data` });
  writeFileSync(join(dir, file), ser.model);
  if (ser.externalData) {
    const fd = openSync(join(dir, ser.externalData.location), 'w');
    try {
      for (const chunk of ser.externalData.chunks) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
  return file;
}

/**
 * Reads a whole file into one buffer in chunks: readFileSync refuses files over 2 GiB, and the
 * official ViT-H checkpoint is 2.56 GB.
 */
export function readLargeFile(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    const CHUNK = 256 * 1024 * 1024;
    for (let off = 0; off < size; ) {
      const n = readSync(fd, out, off, Math.min(CHUNK, size - off), off);
      if (n === 0) throw new Error(`${path}: file shrank while reading (${off} of ${size} bytes)`);
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Reads a checkpoint file (torch zip or safetensors) into a state dict. */
export function loadStateDict(path: string): StateDict {
  return readCheckpoint(readLargeFile(path));
}

export async function exportModel(checkpoint: string, outDir: string, opts: ExportOptions = {}): Promise<ModelManifest> {
  const steps = ['hash checkpoint', 'read checkpoint', 'encoder.onnx', 'decoder.onnx', 'decoder_batched.onnx'];
  const step = (i: number) => opts.onStep?.(steps[i] ?? '', i, steps.length);
  step(0);
  const sha256 = opts.sha256 ?? (await sha256File(checkpoint));
  step(1);
  const sd = loadStateDict(checkpoint);
  const config = inferSamConfig(sd);
  const params = (k: string) => sd.get(k);
  mkdirSync(outDir, { recursive: true });
  step(2);
  const encoder = writeGraph(buildEncoderGraph(params, config), outDir, 'encoder.onnx');
  step(3);
  const decoder = writeGraph(buildDecoderGraph(params, config), outDir, 'decoder.onnx');
  step(4);
  const decoderBatched = writeGraph(buildDecoderGraph(params, config, { batched: true }), outDir, 'decoder_batched.onnx');
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    family: config.family,
    config,
    checkpoint: { file: basename(checkpoint), sha256 },
    files: { encoder, decoder, decoderBatched },
    modelSize: config.imgSize,
    createdBy: 'tsam export',
  };
  // model.json last: its presence marks a complete export.
  writeFileSync(join(outDir, MODEL_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export function readModelManifest(dir: string): ModelManifest {
  let text: string;
  try {
    text = readFileSync(join(dir, MODEL_JSON), 'utf8');
  } catch {
    throw new Error(`${dir} is not an exported model directory (no ${MODEL_JSON}); create one with: npx tsam export --checkpoint CKPT --out ${dir}`);
  }
  const m = JSON.parse(text) as ModelManifest;
  if (m.format !== MODEL_FORMAT) throw new Error(`${join(dir, MODEL_JSON)}: unknown format ${String(m.format)} (expected ${MODEL_FORMAT})`);
  return m;
}
