/**
 * The SA-1B paper's dataset statistics, accumulated in one streaming pass with bounded memory:
 * masks per image (Fig. 5), relative mask size √(mask area / image area) (Fig. 6), concavity
 * 1 − mask area / convex hull area (Fig. 7, hull over pixel corners, see `geometry.ts`) and the
 * image-normalised mask-centre heatmap (Fig. 4, centre = centroid of the mask's pixels).
 *
 * Memory does not grow with the number of masks: two `FineHistogram`s (10,000 bins each), a
 * `grid × grid` heatmap and a map from "masks in an image" to "images with that many".
 * Empty masks count as masks (relative size 0) but have no concavity and no centre.
 */
import { rleGeometry } from '../geometry.js';
import { openDataset } from '../source.js';
import { asSa1bRecord, segmentationCounts, type DatasetFormat, type ProgressFn, type Sa1bRecord } from '../types.js';
import { FineHistogram, REPORT_QUANTILES } from './histogram.js';

/** The paper's buckets for masks per image (its "<10" is read as 0–10, so 10 is not dropped). */
export const MASK_COUNT_BUCKETS = [
  { label: '≤10', min: 0, max: 10 },
  { label: '11-50', min: 11, max: 50 },
  { label: '51-100', min: 51, max: 100 },
  { label: '101-200', min: 101, max: 200 },
  { label: '>200', min: 201, max: Infinity },
] as const;

/** Summary of one value distribution, as written to stats.json. */
export interface DistributionStats {
  count: number;
  mean: number;
  /** `"0.5": median`, …: inverted-CDF quantiles, accurate to `quantile_max_error`. */
  quantiles: Record<string, number>;
  quantile_max_error: number;
  /** Plot histogram: `percent[i]` of the values lie in `[i·bin_width, (i+1)·bin_width)`. */
  histogram: { bin_width: number; percent: number[] };
}

/** stats.json for one dataset (the report's `--compare` dataset sits under `compare`). */
export interface DatasetStatsJson {
  name: string;
  images: number;
  masks: number;
  empty_masks: number;
  skipped_images: number;
  masks_per_image: {
    mean: number;
    min: number;
    max: number;
    histogram: { bucket: string; images: number; percent: number }[];
    /** Exact: `"<masks in an image>": <number of images>`. */
    counts: Record<string, number>;
  };
  relative_size: DistributionStats;
  concavity: DistributionStats;
  /** `counts[row][col]`, row 0 = top of the image; fraction of non-empty masks per cell. */
  centre_heatmap: { grid: number; counts: number[][]; fraction: number[][] };
}

export class DatasetStats {
  images = 0;
  masks = 0;
  emptyMasks = 0;
  skippedImages = 0;
  readonly perImage = new Map<number, number>();
  readonly relSize: FineHistogram;
  readonly concavity: FineHistogram;
  readonly heat: Float64Array;

  constructor(
    readonly name: string,
    readonly opts: { grid?: number; bins?: number; plotBins?: number } = {},
  ) {
    this.relSize = new FineHistogram(opts.bins ?? 10_000);
    this.concavity = new FineHistogram(opts.bins ?? 10_000);
    this.heat = new Float64Array((opts.grid ?? 32) ** 2);
  }

  /** Adds one image and all its masks; throws (adding nothing) if a mask cannot be decoded. */
  addRecord(rec: Sa1bRecord): void {
    const g = this.opts.grid ?? 32;
    // Decode every mask first, so a bad one leaves the totals untouched.
    const geos = rec.annotations.map((a) => {
      const [h, w] = a.segmentation.size;
      return { h, w, geo: rleGeometry(segmentationCounts(a.segmentation), h, w) };
    });
    this.images++;
    this.masks += geos.length;
    this.perImage.set(geos.length, (this.perImage.get(geos.length) ?? 0) + 1);
    for (const { h, w, geo } of geos) {
      this.relSize.add(Math.sqrt(geo.area / (h * w)));
      if (geo.area === 0) {
        this.emptyMasks++;
        continue;
      }
      this.concavity.add(geo.concavity);
      const cx = Math.min(g - 1, Math.floor((geo.centroid[0] / w) * g));
      const cy = Math.min(g - 1, Math.floor((geo.centroid[1] / h) * g));
      this.heat[cy * g + cx]!++;
    }
  }

  private distribution(hist: FineHistogram): DistributionStats {
    const plotBins = this.opts.plotBins ?? 50;
    const quantiles: Record<string, number> = {};
    for (const q of REPORT_QUANTILES) quantiles[String(q)] = hist.quantile(q);
    const coarse = hist.coarse(plotBins);
    return {
      count: hist.n,
      mean: hist.mean,
      quantiles,
      quantile_max_error: (hist.hi - hist.lo) / hist.bins,
      histogram: { bin_width: 1 / plotBins, percent: coarse.map((c) => (hist.n ? (100 * c) / hist.n : 0)) },
    };
  }

  toJSON(): DatasetStatsJson {
    const g = this.opts.grid ?? 32;
    const counts: Record<string, number> = {};
    let sum = 0;
    const keys = [...this.perImage.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      counts[String(k)] = this.perImage.get(k)!;
      sum += k * this.perImage.get(k)!;
    }
    const histogram = MASK_COUNT_BUCKETS.map((b) => {
      const images = keys.filter((k) => k >= b.min && k <= b.max).reduce((s, k) => s + this.perImage.get(k)!, 0);
      return { bucket: b.label, images, percent: this.images ? (100 * images) / this.images : 0 };
    });
    const nonEmpty = this.masks - this.emptyMasks;
    const rows = Array.from({ length: g }, (_, r) => Array.from(this.heat.subarray(r * g, (r + 1) * g)));
    return {
      name: this.name,
      images: this.images,
      masks: this.masks,
      empty_masks: this.emptyMasks,
      skipped_images: this.skippedImages,
      masks_per_image: {
        mean: this.images ? sum / this.images : NaN,
        min: keys[0] ?? NaN,
        max: keys[keys.length - 1] ?? NaN,
        histogram,
        counts,
      },
      relative_size: this.distribution(this.relSize),
      concavity: this.distribution(this.concavity),
      centre_heatmap: { grid: g, counts: rows, fraction: rows.map((r) => r.map((c) => (nonEmpty ? c / nonEmpty : 0))) },
    };
  }
}

/** `computeStats`: one streaming pass over any dataset layout into a `DatasetStats`. */
export interface StatsOptions {
  format?: DatasetFormat;
  /** Label in the report (default: the path). */
  name?: string;
  grid?: number;
  onProgress?: ProgressFn;
  /** An image that could not be read (it is skipped and counted in `skipped_images`). */
  onSkip?: (message: string) => void;
}

export async function computeStats(path: string, opts: StatsOptions = {}): Promise<DatasetStats> {
  const src = await openDataset(path, opts.format);
  const stats = new DatasetStats(opts.name ?? path, opts.grid ? { grid: opts.grid } : {});
  for await (const s of src.samples({ images: false, ...(opts.onProgress && { onProgress: opts.onProgress }) })) {
    try {
      if (s.readError) throw new Error(`${s.source}: ${s.readError}`);
      stats.addRecord(asSa1bRecord(s.json, s.source));
    } catch (e) {
      stats.skippedImages++;
      opts.onSkip?.((e as Error).message);
    }
  }
  return stats;
}
