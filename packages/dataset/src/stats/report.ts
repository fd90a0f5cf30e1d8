/**
 * `writeReport`: REPORT_DIR/stats.json (the primary dataset's numbers at the top level, the
 * `--compare` dataset under `compare`), one SVG per figure, and index.html showing the figures
 * inline with a summary table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { DatasetStatsJson } from './accumulator.js';
import { distributionSpec, heatmapSpec, masksPerImageSpec, renderSvg } from './charts.js';

export interface ReportFiles {
  html: string;
  json: string;
  svgs: string[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (v: number, digits = 3) => (Number.isNaN(v) ? '–' : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits));

function summaryRows(sets: DatasetStatsJson[]): string {
  const rows: [string, (s: DatasetStatsJson) => string][] = [
    ['images', (s) => num(s.images)],
    ['masks', (s) => num(s.masks)],
    [
      'masks per image: mean (min – max)',
      (s) => `${num(s.masks_per_image.mean, 2)} (${num(s.masks_per_image.min)} – ${num(s.masks_per_image.max)})`,
    ],
    ['relative size: mean', (s) => num(s.relative_size.mean, 4)],
    ['relative size: p10 / median / p90', (s) => ['0.1', '0.5', '0.9'].map((q) => num(s.relative_size.quantiles[q]!, 4)).join(' / ')],
    ['concavity: mean', (s) => num(s.concavity.mean, 4)],
    ['concavity: p10 / median / p90', (s) => ['0.1', '0.5', '0.9'].map((q) => num(s.concavity.quantiles[q]!, 4)).join(' / ')],
    ['empty masks / skipped images', (s) => `${num(s.empty_masks)} / ${num(s.skipped_images)}`],
  ];
  const head = `<tr><th></th>${sets.map((s) => `<th>${esc(s.name)}</th>`).join('')}</tr>`;
  return head + rows.map(([label, f]) => `<tr><td>${label}</td>${sets.map((s) => `<td>${f(s)}</td>`).join('')}</tr>`).join('');
}

/** Writes the report for `sets[0]` (and `sets[1]` as the comparison) into `outDir`. */
export async function writeReport(outDir: string, sets: DatasetStatsJson[], opts: { title?: string } = {}): Promise<ReportFiles> {
  await mkdir(outDir, { recursive: true });
  const [main, other] = sets;
  if (!main) throw new RangeError('writeReport: no dataset');
  const json = join(outDir, 'stats.json');
  await writeFileAtomic(json, `${JSON.stringify({ ...main, ...(other && { compare: other }) }, null, 1)}\n`);

  const figures = [
    { file: 'masks_per_image.svg', spec: masksPerImageSpec(sets) },
    { file: 'relative_size.svg', spec: distributionSpec(sets, 'relative_size', 'Relative mask size', '√(mask area / image area)') },
    { file: 'concavity.svg', spec: distributionSpec(sets, 'concavity', 'Mask concavity', '1 − mask area / convex hull area') },
    { file: 'centre_heatmap.svg', spec: heatmapSpec(sets) },
  ];
  const svgs: string[] = [];
  for (const f of figures) svgs.push(await renderSvg(f.spec));
  await Promise.all(figures.map((f, i) => writeFile(join(outDir, f.file), svgs[i]!)));

  const title = opts.title ?? `Dataset statistics: ${sets.map((s) => s.name).join(' vs ')}`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 12px; }
table { border-collapse: collapse; margin-bottom: 16px; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 12px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
.fig { border: 1px solid #eee; padding: 8px; }
p.note { font-size: 12px; color: #555; max-width: 1000px; }
</style></head><body>
<h1>${esc(title)}</h1>
<table>${summaryRows(sets)}</table>
<div class="grid">${svgs.map((s) => `<div class="fig">${s}</div>`).join('\n')}</div>
<p class="note">Relative size = √(mask area / image area). Concavity = 1 − mask area / area of the convex hull of the
mask's pixels (hull over pixel corners: a full square has concavity 0). Mask centre = centroid of the mask's pixels,
divided by the image size. Quantiles: inverted CDF from ${main.relative_size.quantile_max_error === 1e-4 ? '10,000' : 'fixed'}
fixed bins with per-bin min/max (error ≤ ${main.relative_size.quantile_max_error}). Masks-per-image buckets follow the
SA-1B paper (its "&lt;10" includes 10 here).</p>
</body></html>
`;
  const htmlPath = join(outDir, 'index.html');
  await writeFileAtomic(htmlPath, html);
  return { html: htmlPath, json, svgs: figures.map((f) => join(outDir, f.file)) };
}
