/**
 * `tsam export`: checkpoint → encoder.onnx, decoder.onnx, decoder_batched.onnx,
 * decoder_lowres.onnx and model.json. Weights over ~1.8 GB (ViT-H) go to `<graph>.onnx.data`
 * beside the graph as ONNX external data.
 *
 * Everything is written into a hidden temporary sibling of the output folder and swapped into
 * place when complete (see replaceExportDir), so an export that fails or is killed leaves the
 * previous export as it was, and a folder never holds a model.json beside another model's graphs.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { quantizeMatMulsInt8, serializeModel, storeWeightsFloat16, type Graph } from '@tsam/onnx';
import {
  buildDecoderGraph,
  buildEncoderGraph,
  describeUnusedKeys,
  inferSamConfig,
  readCheckpoint,
  unusedCheckpointKeys,
  type SamConfig,
  type StateDict,
} from '@tsam/model';
import { ImageEncoder, applyCoords, imagePoint, maskIntersectionUnion, type RgbImage, type SessionLike } from '@tsam/core';
import { sha256File } from './models/hash.js';
import { replaceExportDir, sweepStaleExports, tempExportDir } from './export-dir.js';
import { createOrtSession } from './session.js';

export const MODEL_JSON = 'model.json';
/**
 * Bumped whenever a graph's inputs or outputs change, so cached exports are rebuilt.
 * 3: decoder_lowres.onnx (`files.decoderLowRes`), faster graphs. Format 2 dirs still load.
 */
export const MODEL_FORMAT = 'tsam-onnx/3';
const READABLE_FORMATS = ['tsam-onnx/2', MODEL_FORMAT];

/** What model.json records: enough to load and run the graphs without the checkpoint. */
export interface ModelManifest {
  format: string;
  family: SamConfig['family'];
  config: SamConfig;
  /** `unusedKeys`: the checkpoint's keys no graph reads (e.g. SAM-HQ's `mask_decoder.hf_*`), when there are any. */
  checkpoint: { file: string; sha256: string; unusedKeys?: string[] };
  /** decoderLowRes: the official decoder without orig_im_size / masks (format 3 on). */
  files: { encoder: string; decoder: string; decoderBatched: string; decoderLowRes?: string };
  /** Encoder input side: the longest image side is resized to this. */
  modelSize: number;
  createdBy: string;
  /** Weight precision of the graphs (absent: fp32). */
  precision?: Precision;
  /** For fp16/int8: the accuracy against the float32 graphs, measured at export. */
  precisionCheck?: PrecisionReport;
}

/**
 * fp32: float32 everywhere. fp16: every graph stores its weights as float16 (half the files; ONNX
 * Runtime casts them back to float32 when it opens the session, so speed is unchanged and the only
 * loss is the weight rounding). int8: the encoder's MatMuls by constant weights become dynamically
 * quantised int8 GEMMs (per-column weight scales, per-tensor uint8 activations; ONNX Runtime's
 * com.microsoft DynamicQuantizeMatMul); convolutions and the decoders stay float32.
 */
export type Precision = 'fp32' | 'fp16' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8'];

/** Reduced-precision graphs against float32 ones on one image (see measurePrecisionLoss). */
export interface PrecisionReport {
  image: string;
  /** Image embedding: max |Δ| / max |fp32|, and mean |Δ| / mean |fp32|. */
  embeddingMaxRel: number;
  embeddingMeanRel: number;
  /** IoU of the 256×256 low-res masks (logits > 0), reduced vs fp32 pipeline, over a grid of point prompts × 3 masks. */
  maskIouMean: number;
  maskIouMin: number;
  masks: number;
  /** Predicted IoU: max |Δ|. */
  iouPredMaxDiff: number;
}

export interface ExportOptions {
  /** Called as each step starts, for progress display. */
  onStep?: (step: string, index: number, total: number) => void;
  /** Skip hashing the checkpoint (the caller already knows it). */
  sha256?: string;
  /** Weight precision (default fp32). */
  precision?: Precision;
  /** For fp16/int8: the image the accuracy check runs on (default: a synthetic 1024×768 scene). */
  checkImage?: RgbImage & { name?: string };
  /**
   * Warnings, e.g. checkpoint keys the model does not use (SAM-HQ extras). The library never
   * writes to stderr itself: without this they are only recorded in model.json.
   */
  onWarning?: (message: string) => void;
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
    for (let off = 0; off < size;) {
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

/**
 * Exports `checkpoint` into `outDir` (created if missing). The graphs and model.json are written
 * into a temporary sibling folder, then swapped in: on failure `outDir` is left untouched.
 */
export async function exportModel(checkpoint: string, outDir: string, opts: ExportOptions = {}): Promise<ModelManifest> {
  const precision = opts.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) throw new Error(`precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
  const target = resolve(outDir);
  sweepStaleExports(target);
  const tmp = tempExportDir(target);
  try {
    const manifest = await writeExport(checkpoint, tmp, precision, opts);
    replaceExportDir(tmp, target);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes every graph and model.json (last) into `dir`. */
async function writeExport(checkpoint: string, dir: string, precision: Precision, opts: ExportOptions): Promise<ModelManifest> {
  const steps = ['hash checkpoint', 'read checkpoint', 'encoder.onnx', 'decoder.onnx', 'decoder_batched.onnx', 'decoder_lowres.onnx'];
  if (precision !== 'fp32') steps.push(`${precision} accuracy check`);
  const step = (i: number) => opts.onStep?.(steps[i] ?? '', i, steps.length);
  step(0);
  const sha256 = opts.sha256 ?? (await sha256File(checkpoint));
  step(1);
  const sd = loadStateDict(checkpoint);
  const config = inferSamConfig(sd);
  const unusedKeys = unusedCheckpointKeys(sd, config);
  if (unusedKeys.length > 0) opts.onWarning?.(`${basename(checkpoint)}: ${describeUnusedKeys(unusedKeys)}`);
  const params = (k: string) => sd.get(k);
  mkdirSync(dir, { recursive: true });
  const reduce = (g: Graph, isEncoder: boolean): Graph => {
    if (precision === 'fp16') storeWeightsFloat16(g);
    if (precision === 'int8' && isEncoder) quantizeMatMulsInt8(g);
    return g;
  };
  step(2);
  const encoder = writeGraph(reduce(buildEncoderGraph(params, config), true), dir, 'encoder.onnx');
  step(3);
  const decoder = writeGraph(reduce(buildDecoderGraph(params, config), false), dir, 'decoder.onnx');
  step(4);
  const decoderBatched = writeGraph(reduce(buildDecoderGraph(params, config, { batched: true }), false), dir, 'decoder_batched.onnx');
  step(5);
  const decoderLowRes = writeGraph(reduce(buildDecoderGraph(params, config, { lowResOnly: true }), false), dir, 'decoder_lowres.onnx');
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    family: config.family,
    config,
    checkpoint: { file: basename(checkpoint), sha256, ...(unusedKeys.length > 0 && { unusedKeys }) },
    files: { encoder, decoder, decoderBatched, decoderLowRes },
    modelSize: config.imgSize,
    createdBy: 'tsam export',
  };
  if (precision !== 'fp32') {
    step(6);
    manifest.precision = precision;
    manifest.precisionCheck = await measurePrecisionLoss(sd, config, dir, manifest, opts.checkImage);
  }
  // model.json last: its presence marks a complete export.
  writeFileSync(join(dir, MODEL_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** A deterministic synthetic scene (gradients, discs and boxes), for the accuracy check. */
export function syntheticScene(width = 1024, height = 768): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const disc = (x - 0.3 * width) ** 2 + (y - 0.4 * height) ** 2 < (0.18 * height) ** 2;
      const box = x > 0.55 * width && x < 0.9 * width && y > 0.2 * height && y < 0.7 * height;
      const stripe = ((x >> 5) + (y >> 5)) % 2;
      data[i] = disc ? 220 : box ? 30 : (x * 255) / width;
      data[i + 1] = disc ? 60 : box ? 160 : 80 + 60 * stripe;
      data[i + 2] = disc ? 40 : box ? 200 : (y * 255) / height;
    }
  }
  return { data, width, height };
}

/**
 * The accuracy of reduced-precision graphs in `dir` against float32 graphs built from the same
 * state dict, on one image: the embeddings, and the low-res masks / predicted IoUs of the full
 * pipelines (encoder + decoder_lowres) for a 4×4 grid of single foreground points at image pixels
 * `((i + 0.5) / 4 · W, (j + 0.5) / 4 · H)` (3 masks each).
 */
export async function measurePrecisionLoss(
  sd: StateDict,
  config: SamConfig,
  dir: string,
  manifest: ModelManifest,
  image?: RgbImage & { name?: string },
): Promise<PrecisionReport> {
  const img = image ?? syntheticScene();
  const size = config.imgSize;
  const params = (k: string) => sd.get(k);
  const opened: SessionLike[] = [];
  const open = async (m: string | Uint8Array) => {
    const s = await createOrtSession(m, { cacheOptimizedModel: false });
    opened.push(s);
    return s;
  };
  try {
    const ref = {
      encoder: await open(serializeModel(buildEncoderGraph(params, config)).model),
      decoder: await open(serializeModel(buildDecoderGraph(params, config, { lowResOnly: true })).model),
    };
    const low = {
      encoder: await open(join(dir, manifest.files.encoder)),
      decoder: await open(join(dir, manifest.files.decoderLowRes ?? manifest.files.decoder)),
    };
    const embRef = await new ImageEncoder(ref.encoder, size).embed(img);
    const embLow = await new ImageEncoder(low.encoder, size).embed(img);
    let maxD = 0;
    let maxR = 0;
    let sumD = 0;
    let sumR = 0;
    for (let i = 0; i < embRef.data.length; i++) {
      const d = Math.abs(embLow.data[i]! - embRef.data[i]!);
      maxD = Math.max(maxD, d);
      sumD += d;
      maxR = Math.max(maxR, Math.abs(embRef.data[i]!));
      sumR += Math.abs(embRef.data[i]!);
    }
    const ious: number[] = [];
    let iouPredMaxDiff = 0;
    for (let gy = 0; gy < 4; gy++) {
      for (let gx = 0; gx < 4; gx++) {
        // The predictor's own mapping, so `predict` at these image pixels gives the same figures.
        const [px, py] = applyCoords(
          [imagePoint(((gx + 0.5) / 4) * img.width, ((gy + 0.5) / 4) * img.height)],
          img.height,
          img.width,
          size,
        )[0]!;
        const feeds = {
          point_coords: { data: Float32Array.of(px, py, 0, 0), dims: [1, 2, 2] },
          point_labels: { data: Float32Array.of(1, -1), dims: [1, 2] },
          mask_input: { data: new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
          has_mask_input: { data: Float32Array.of(0), dims: [1] },
          ...(manifest.files.decoderLowRes ? {} : { orig_im_size: { data: Float32Array.of(img.height, img.width), dims: [2] } }),
        };
        const a = await ref.decoder.run({ image_embeddings: embRef, ...feeds });
        const b = await low.decoder.run({ image_embeddings: embLow, ...feeds }, ['iou_predictions', 'low_res_masks']);
        const plane = 256 * 256;
        for (let m = 1; m < 4; m++) {
          const ma = a.low_res_masks!.data.subarray(m * plane, (m + 1) * plane);
          const mb = b.low_res_masks!.data.subarray(m * plane, (m + 1) * plane);
          const { intersection, union } = maskIntersectionUnion(
            Uint8Array.from(ma, (v) => (v > 0 ? 1 : 0)),
            Uint8Array.from(mb, (v) => (v > 0 ? 1 : 0)),
          );
          ious.push(union === 0 ? 1 : intersection / union);
          iouPredMaxDiff = Math.max(iouPredMaxDiff, Math.abs(a.iou_predictions!.data[m]! - b.iou_predictions!.data[m]!));
        }
      }
    }
    return {
      image: image ? (image.name ?? `${img.width}×${img.height} image`) : `synthetic ${img.width}×${img.height} scene`,
      embeddingMaxRel: maxD / maxR,
      embeddingMeanRel: sumD / sumR,
      maskIouMean: ious.reduce((x, y) => x + y, 0) / ious.length,
      maskIouMin: Math.min(...ious),
      masks: ious.length,
      iouPredMaxDiff,
    };
  } finally {
    for (const s of opened) await s.release?.();
  }
}

export function readModelManifest(dir: string): ModelManifest {
  let text: string;
  try {
    text = readFileSync(join(dir, MODEL_JSON), 'utf8');
  } catch {
    throw new Error(
      `${dir} is not an exported model directory (no ${MODEL_JSON}); create one with: npx tsam export --checkpoint CKPT --out ${dir}`,
    );
  }
  const m = JSON.parse(text) as ModelManifest;
  if (!READABLE_FORMATS.includes(m.format))
    throw new Error(`${join(dir, MODEL_JSON)}: unknown format ${String(m.format)} (expected ${MODEL_FORMAT})`);
  return m;
}
