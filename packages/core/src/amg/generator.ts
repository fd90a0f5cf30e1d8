/**
 * AutomaticMaskGenerator: SAM's "segment everything" (segment_anything/automatic_mask_generator.py
 * `SamAutomaticMaskGenerator`), step for step, on the encoder and the batched decoder graph.
 *
 * Per crop box (the whole image first): encode the crop, prompt every grid point (one foreground
 * point plus the (0, 0) / label −1 padding point the reference adds when there is no box), keep
 * outputs 1–3 (multimask), filter by predicted IoU, upscale the survivors' low-res logits to the
 * crop (`MaskUpscaler`, the reference's `postprocess_masks`), filter by stability score, threshold
 * at 0, drop masks touching a crop edge that is not an image edge, encode as RLE, NMS per crop.
 * Then NMS across crops (smaller crops win), optional small-region cleanup, records.
 *
 * Unlike the reference, the decoder returns only the low-res masks and the upscale runs after the
 * IoU filter, on the survivors only; the records are the same.
 */
import { requireOutput, type SessionLike } from '../backend.js';
import { imageBox, lowResPlane, type Box, type CropPx, type ImagePx, type Point } from '../coords.js';
import { MaskUpscaler } from '../masks/postprocess.js';
import { SamPredictor, type ImageEmbedding, type RgbImage } from '../predictor.js';
import { applyCoords, uncropBox, uncropPoint } from '../transforms.js';
import { buildAllLayerPointGrids, cropRgb, generateCropBoxes, isBoxNearCropEdge, scaleGrid } from './crops.js';
import { MaskThresholder } from './threshold.js';
import { resolveAmgParams, type AmgParams, type PointGrid } from './params.js';
import { nmsCandidates, postprocessSmallRegions, toRecord, type AmgRecord, type MaskCandidate } from './records.js';

/** The graphs: an encoder (or a predictor that owns one) and the batched decoder. */
export type AmgSessions =
  { encoder: SessionLike; batchedDecoder: SessionLike; modelSize?: number } | { predictor: SamPredictor; batchedDecoder: SessionLike };

/** Optional time accounting: `ms[phase]` accumulates milliseconds measured with `now()`. */
export interface AmgProfile {
  now(): number;
  ms: Record<string, number>;
}

export interface GenerateOptions {
  /** Called after each decoder batch: prompts done and total prompts (all crops). */
  onProgress?(done: number, total: number): void;
  /** Fills `ms.encoder`, `ms.decoder`, `ms.upscale` (with stability, threshold, box), `ms.rle`, `ms.nms`, `ms.postprocess`. */
  profile?: AmgProfile;
  /** The whole image's embedding when the caller already has it (e.g. a server's cache): the first crop then skips the encoder. */
  imageEmbedding?: ImageEmbedding;
}

const MASK_THRESHOLD = 0; // Sam.mask_threshold

/**
 * Prompts per batched-decoder run (each `pointsPerBatch` batch is decoded in runs of at most this
 * many). On 2 cores with MobileSAM, 1024 prompts took 14.0 s in runs of 16 against 18.9 s in runs
 * of 64 (the reference's batch) with 2.6× the peak RSS: a run's per-prompt tensors (4096×256
 * floats each) stay in cache instead of streaming through memory.
 */
export const AMG_DECODER_CHUNK = 16;

/** Execution choices that do not change the records. */
export interface AmgRunOptions {
  /** Prompts per decoder run (default AMG_DECODER_CHUNK). */
  decoderChunk?: number;
}

export class AutomaticMaskGenerator {
  readonly params: AmgParams;
  private readonly predictor: SamPredictor;
  private readonly decoder: SessionLike;
  private readonly pointGrids: PointGrid[];

  private readonly decoderChunk: number;

  constructor(sessions: AmgSessions, params: Partial<AmgParams> = {}, options: AmgRunOptions = {}) {
    this.params = resolveAmgParams(params);
    const chunk = options.decoderChunk ?? AMG_DECODER_CHUNK;
    if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`AMG: decoderChunk must be a positive integer, got ${chunk}`);
    this.decoderChunk = chunk;
    this.predictor =
      'predictor' in sessions
        ? sessions.predictor
        : new SamPredictor({
            encoder: sessions.encoder,
            decoder: sessions.batchedDecoder,
            ...(sessions.modelSize ? { modelSize: sessions.modelSize } : {}),
          });
    this.decoder = sessions.batchedDecoder;
    const p = this.params;
    this.pointGrids = p.pointGrids ?? buildAllLayerPointGrids(p.pointsPerSide ?? 0, p.cropNLayers, p.cropNPointsDownscaleFactor);
  }

  /** All masks of `image` (RGB, original pixels) as records in the reference's order. */
  async generate(image: RgbImage, opts: GenerateOptions = {}): Promise<AmgRecord[]> {
    const p = this.params;
    const { width: origW, height: origH } = image;
    if (image.data.length !== origW * origH * 3)
      throw new RangeError(`generate: expected ${origW}×${origH}×3 RGB bytes, got ${image.data.length}`);
    const given = opts.imageEmbedding;
    if (given && (given.width !== origW || given.height !== origH))
      throw new RangeError(`generate: imageEmbedding is of a ${given.width}×${given.height} image, the image is ${origW}×${origH}`);
    const { boxes: cropBoxes, layerIdxs } = generateCropBoxes([origH, origW], p.cropNLayers, p.cropOverlapRatio);
    const total = layerIdxs.reduce((s, l) => s + (this.pointGrids[l]?.length ?? 0), 0);
    const progress = { done: 0, total };
    opts.onProgress?.(0, total);
    let data: MaskCandidate[] = [];
    for (let i = 0; i < cropBoxes.length; i++) {
      data = data.concat(await this.processCrop(image, cropBoxes[i]!, layerIdxs[i]!, opts, progress));
    }
    const time = timer(opts.profile);
    if (cropBoxes.length > 1) {
      // Prefer masks from smaller crops.
      const scores = Float32Array.from(data, (c) => 1 / ((c.cropBox[2] - c.cropBox[0]) * (c.cropBox[3] - c.cropBox[1])));
      data = nmsCandidates(data, scores, p.cropNmsThresh);
    }
    time('nms');
    if (p.minMaskRegionArea > 0) {
      data = postprocessSmallRegions(data, p.minMaskRegionArea, Math.max(p.boxNmsThresh, p.cropNmsThresh));
      time('postprocess');
    }
    return data.map((c) => toRecord(c, p.outputMode));
  }

  private async processCrop(
    image: RgbImage,
    cropBox: Box<ImagePx>,
    layer: number,
    opts: GenerateOptions,
    progress: { done: number; total: number },
  ): Promise<MaskCandidate[]> {
    const p = this.params;
    const time = timer(opts.profile);
    const cropped = cropRgb(image.data, image.width, cropBox);
    const { width: cropW, height: cropH } = cropped;
    // Every crop is encoded through the predictor (its ImageEncoder and cache), except a whole image the caller has the embedding of.
    const whole = cropW === image.width && cropH === image.height;
    const embedding = whole && opts.imageEmbedding ? opts.imageEmbedding : await this.predictor.setImage(cropped);
    time('encoder');
    const grid = this.pointGrids[layer];
    if (!grid) throw new RangeError(`AMG: no point grid for crop layer ${layer}`);
    const points = scaleGrid(grid, cropW, cropH);
    const ctx: BatchContext = {
      embedding: { data: embedding.data, dims: embedding.dims },
      cropBox,
      cropW,
      cropH,
      origW: image.width,
      origH: image.height,
      thresholder: new MaskThresholder(new MaskUpscaler([cropH, cropW], this.predictor.modelSize)),
    };
    let data: MaskCandidate<CropPx>[] = [];
    for (let start = 0; start < points.length; start += p.pointsPerBatch) {
      const batch = points.slice(start, start + p.pointsPerBatch);
      // Decoder runs of at most `decoderChunk` prompts; each prompt is decoded independently, so
      // the records do not depend on the chunking.
      for (let c = 0; c < batch.length; c += this.decoderChunk) {
        data = data.concat(await this.processBatch(batch.slice(c, c + this.decoderChunk), ctx, opts.profile));
      }
      progress.done += batch.length;
      opts.onProgress?.(progress.done, progress.total);
    }
    time();
    // Remove duplicates within this crop (boxes still in crop coordinates).
    data = nmsCandidates(
      data,
      Float32Array.from(data, (c) => c.iouPrediction),
      p.boxNmsThresh,
    );
    time('nms');
    return data.map((c) => ({ ...c, box: uncropBox(c.box, cropBox), point: uncropPoint(c.point, cropBox) }));
  }

  private async processBatch(
    points: Point<CropPx>[],
    ctx: BatchContext,
    profile: AmgProfile | undefined,
  ): Promise<MaskCandidate<CropPx>[]> {
    const p = this.params;
    const time = timer(profile);
    const n = points.length;
    // The crop is the encoder's image: crop pixels go to the model space by the crop's size.
    const model = applyCoords(points, ctx.cropH, ctx.cropW, this.predictor.modelSize);
    const coords = new Float32Array(4 * n);
    const labels = new Float32Array(2 * n);
    model.forEach(([x, y], i) => {
      coords[4 * i] = x;
      coords[4 * i + 1] = y; // the padding point stays (0, 0)
      labels[2 * i] = 1;
      labels[2 * i + 1] = -1;
    });
    const out = await this.decoder.run(
      {
        image_embeddings: ctx.embedding,
        point_coords: { data: coords, dims: [n, 2, 2] },
        point_labels: { data: labels, dims: [n, 2] },
      },
      ['iou_predictions', 'low_res_masks'],
    );
    const iouPredictions = requireOutput(out, 'iou_predictions').data;
    const low = requireOutput(out, 'low_res_masks').data;
    const nOut = iouPredictions.length / n; // 4 mask tokens
    time('decoder');
    const iouThresh = Math.fround(p.predIouThresh);
    const stabilityThresh = Math.fround(p.stabilityScoreThresh);
    const origBox = imageBox(0, 0, ctx.origW, ctx.origH);
    const result: MaskCandidate<CropPx>[] = [];
    for (let b = 0; b < n; b++) {
      for (let m = 1; m < nOut; m++) {
        const k = b * nOut + m;
        const iouPrediction = iouPredictions[k]!;
        if (p.predIouThresh > 0 && !(iouPrediction > iouThresh)) continue;
        const { intersections, unions, box } = ctx.thresholder.run(lowResPlane(low, k), MASK_THRESHOLD, p.stabilityScoreOffset);
        const stabilityScore = Math.fround(intersections / unions); // calculate_stability_score
        time('upscale');
        if (p.stabilityScoreThresh > 0 && !(stabilityScore >= stabilityThresh)) continue;
        if (isBoxNearCropEdge(box, ctx.cropBox, origBox)) continue;
        const rle = ctx.thresholder.rle(ctx.cropBox[0], ctx.cropBox[1], ctx.origH, ctx.origW); // uncropped
        time('rle');
        result.push({ rle, box, iouPrediction, point: points[b]!, stabilityScore, cropBox: ctx.cropBox });
      }
    }
    return result;
  }
}

interface BatchContext {
  embedding: { data: Float32Array; dims: readonly number[] };
  cropBox: Box<ImagePx>;
  cropW: number;
  cropH: number;
  origW: number;
  origH: number;
  thresholder: MaskThresholder;
}

/** `time(phase)` adds the time since the previous call to `profile.ms[phase]` (no phase: skip). */
function timer(profile: AmgProfile | undefined): (phase?: string) => void {
  if (!profile) return () => {};
  let last = profile.now();
  return (phase) => {
    const now = profile.now();
    if (phase) profile.ms[phase] = (profile.ms[phase] ?? 0) + (now - last);
    last = now;
  };
}
