/**
 * The report's figures as Vega-Lite specs, rendered server-side to SVG by Vega (`view.toSVG()`,
 * headless renderer: no canvas, no browser). One colour per dataset, so `--compare` shows the two
 * side by side in every chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { DatasetStatsJson } from './accumulator.js';

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Vega and Vega-Lite log warnings to the console; a report should not write to stdout.
  const quiet = {
    level: () => quiet,
    error: (...args: unknown[]) => (process.stderr.write(`vega-lite: ${args.join(' ')}\n`), quiet),
    warn: () => quiet,
    info: () => quiet,
    debug: () => quiet,
  };
  // Loaded on the first chart: `import '@tsam/dataset'` (e.g. for `tsam dataset validate`) stays light.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec, { logger: quiet }).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const colour = (names: string[]) => ({
  field: 'dataset',
  type: 'nominal' as const,
  title: null,
  scale: { domain: names, range: ['#4c78a8', '#f58518'] },
  legend: { orient: 'top' as const, direction: 'vertical' as const, labelLimit: 400 },
});
const CONFIG = { font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, view: { stroke: null } };

/** Fig. 5: percent of images per masks-per-image bucket, grouped bars. */
export function masksPerImageSpec(sets: DatasetStatsJson[]): TopLevelSpec {
  const values = sets.flatMap((s) =>
    s.masks_per_image.histogram.map((h) => ({ dataset: s.name, bucket: h.bucket, percent: h.percent, images: h.images })),
  );
  return {
    $schema: SCHEMA,
    title: 'Masks per image',
    width: 400,
    height: 240,
    config: CONFIG,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'bucket',
        type: 'nominal',
        sort: sets[0]!.masks_per_image.histogram.map((h) => h.bucket),
        title: 'number of masks per image',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'dataset', sort: sets.map((s) => s.name) },
      y: { field: 'percent', type: 'quantitative', title: 'percent of images' },
      color: colour(sets.map((s) => s.name)),
    },
  };
}

/** Figs. 6 and 7: percent of masks per bin of a [0, 1] quantity, one step line per dataset. */
export function distributionSpec(
  sets: DatasetStatsJson[],
  key: 'relative_size' | 'concavity',
  title: string,
  xTitle: string,
): TopLevelSpec {
  const values = sets.flatMap((s) => {
    const h = s[key].histogram;
    return [...h.percent, h.percent[h.percent.length - 1] ?? 0].map((p, i) => ({ dataset: s.name, x: i * h.bin_width, percent: p }));
  });
  return {
    $schema: SCHEMA,
    title,
    width: 400,
    height: 240,
    config: CONFIG,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { domain: [0, 1] } },
      y: { field: 'percent', type: 'quantitative', title: 'percent of masks' },
      color: colour(sets.map((s) => s.name)),
      // Dashes keep the second dataset visible where the two curves coincide.
      strokeDash: {
        field: 'dataset',
        type: 'nominal',
        scale: {
          domain: sets.map((s) => s.name),
          range: [
            [1, 0],
            [6, 3],
          ],
        },
        legend: null,
      },
    },
  };
}

/** Fig. 4: image-normalised mask-centre density, one square panel per dataset. */
export function heatmapSpec(sets: DatasetStatsJson[]): TopLevelSpec {
  // Whole pixels per cell: fractional cell edges leave anti-aliasing seams between the rects.
  const side = sets[0]!.centre_heatmap.grid * Math.ceil(200 / sets[0]!.centre_heatmap.grid);
  const values = sets.flatMap((s) => {
    const g = s.centre_heatmap.grid;
    return s.centre_heatmap.fraction.flatMap((row, r) =>
      row.map((f, c) => ({ dataset: s.name, x0: c / g, x1: (c + 1) / g, y0: r / g, y1: (r + 1) / g, density: f * g * g })),
    );
  });
  return {
    $schema: SCHEMA,
    title: 'Mask centres (image-normalised)',
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'dataset', type: 'nominal', title: null, sort: sets.map((s) => s.name) } },
    spec: {
      width: side,
      height: side,
      mark: 'rect',
      encoding: {
        x: { field: 'x0', type: 'quantitative', scale: { domain: [0, 1] }, title: 'x / width' },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', scale: { domain: [0, 1], reverse: true }, title: 'y / height' },
        y2: { field: 'y1' },
        color: { field: 'density', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'density' },
      },
    },
    resolve: { scale: { color: 'independent' } },
  };
}
