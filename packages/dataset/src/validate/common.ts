/**
 * Shared pieces of validation: the issue record, small type guards, and the mask checks that
 * SA-1B and COCO share (RLE size and decoding; area and box against the decoded mask).
 */
import { rleGeometry, type MaskGeometry } from '../geometry.js';
import { segmentationCounts } from '../types.js';

/** One problem: which file, which record in it, why. `fixed` is set when `--fix` repaired it. */
export interface Issue {
  severity: 'error' | 'warning';
  file: string;
  /** E.g. `image`, `annotation #3 (id 42)`, `images[7] (id 9)`. */
  record: string;
  reason: string;
  fixed?: boolean;
}

/** Collects issues for one file. */
export class IssueSink {
  readonly issues: Issue[] = [];
  constructor(readonly file: string) {}
  error(record: string, reason: string, fixed?: boolean): void {
    this.issues.push({ severity: 'error', file: this.file, record, reason, ...(fixed !== undefined && { fixed }) });
  }
  warn(record: string, reason: string): void {
    this.issues.push({ severity: 'warning', file: this.file, record, reason });
  }
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isNumArray = (v: unknown, n?: number): v is number[] =>
  Array.isArray(v) && (n === undefined || v.length === n) && v.every(isNum);
export const fmt = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

/**
 * Checks an RLE segmentation against the image size `H × W` and decodes it. Returns its geometry,
 * or undefined after reporting why it is unusable.
 */
export function checkRle(seg: unknown, H: number, W: number, rec: string, out: IssueSink): MaskGeometry | undefined {
  if (!isObj(seg) || !Array.isArray(seg.size) || seg.counts === undefined) {
    out.error(rec, `segmentation must be an RLE {size: [h, w], counts}, got ${fmt(seg).slice(0, 60)}`);
    return undefined;
  }
  const [h, w] = seg.size as unknown[];
  if (seg.size.length !== 2 || !isInt(h) || !isInt(w) || h < 0 || w < 0) {
    out.error(rec, `segmentation.size must be [h, w] integers, got ${fmt(seg.size)}`);
    return undefined;
  }
  if (h !== H || w !== W) {
    out.error(rec, `RLE size [${h}, ${w}] differs from the image size [${H}, ${W}] (height, width)`);
    return undefined;
  }
  let counts: number[];
  try {
    counts = segmentationCounts(seg as { counts: unknown });
  } catch (e) {
    out.error(rec, `segmentation counts cannot be decoded: ${(e as Error).message}`);
    return undefined;
  }
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== h * w) {
    out.error(rec, `RLE counts sum to ${sum}, expected ${h}×${w} = ${h * w}`);
    return undefined;
  }
  return rleGeometry(counts, h, w);
}

/**
 * Compares `ann.area` / `ann.bbox` with what they should be. `tolerance` is the accepted absolute
 * difference for the area; boxes may differ by at most 1 px per component (SA-1B writes SAM's
 * `w = x1 − x0`, pycocotools `w = x1 − x0 + 1`: both pass). With `fix`, wrong values are replaced
 * by `expect` (`fixArea` for the area when given) and marked fixed. Returns whether `ann` changed.
 */
export function checkAreaBbox(
  ann: Record<string, unknown>,
  expect: { area: number; bbox: number[]; areaTolerance: number; what: string; fixArea?: number },
  rec: string,
  out: IssueSink,
  fix: boolean,
): boolean {
  let changed = false;
  const area = ann.area;
  if (!isNum(area) || Math.abs(area - expect.area) > expect.areaTolerance) {
    const why = isNum(area)
      ? `area ${area} differs from the ${expect.what} (${expect.area})`
      : `area is ${fmt(area)} (should be ${expect.area})`;
    out.error(rec, why, fix || undefined);
    if (fix) ann.area = expect.fixArea ?? expect.area;
    changed ||= fix;
  }
  const bbox = ann.bbox;
  const ok = isNumArray(bbox, 4) && bbox.every((v, i) => Math.abs(v - expect.bbox[i]!) <= 1 + 1e-9);
  if (!ok) {
    const why = isNumArray(bbox, 4)
      ? `bbox ${fmt(bbox)} differs from ${fmt(expect.bbox)} computed from the segmentation (by > 1 px)`
      : `bbox is ${fmt(bbox)} (should be ${fmt(expect.bbox)})`;
    out.error(rec, why, fix || undefined);
    if (fix) ann.bbox = expect.bbox;
    changed ||= fix;
  }
  return changed;
}

/**
 * Remembers ids across a dataset and reports repeats with the file where the id was first seen
 * (the map holds a number and a shared string reference per id: ~1M ids fit in tens of MB).
 */
export class IdRegistry {
  private readonly seen = new Map<number, string>();
  constructor(private readonly what: string) {}
  check(id: number, where: string, rec: string, out: IssueSink): void {
    const first = this.seen.get(id);
    if (first !== undefined) out.error(rec, `duplicate ${this.what} id ${id} (first seen at ${first})`);
    else this.seen.set(id, where);
  }
}
