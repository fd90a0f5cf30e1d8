/**
 * `renderOverlay`: an SA-1B-style picture of one image's masks — each mask filled with a random
 * colour at partial opacity and outlined in the same colour at full opacity — as a PNG (sharp).
 * Large masks are drawn first so small ones stay visible. Without the image, masks go on grey.
 */
import { loadSharp } from './lazy-sharp.js';
import { mulberry32 } from './synth.js';
import { segmentationCounts, type Sa1bRecord } from './types.js';

export interface OverlayOptions {
  /** Image file or encoded bytes; resized to the record's size if it differs. Absent: grey. */
  image?: string | Uint8Array;
  /** Fill opacity (default 0.45). */
  alpha?: number;
  /** Outline width in pixels (default: 1 per 300 px of the shorter side, at least 1). */
  outline?: number;
  /** Colour seed (default 0). */
  seed?: number;
}

/** HSL (h in [0, 1), s = 0.8, l = 0.55) → RGB bytes: saturated colours that read on any photo. */
function colour(h: number): [number, number, number] {
  const [s, l] = [0.8, 0.55];
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

async function baseImage(W: number, H: number, image: OverlayOptions['image']): Promise<Buffer> {
  if (image !== undefined) {
    const sharp = await loadSharp();
    const { data, info } = await sharp(image)
      .rotate() // EXIF orientation, as @tsam/node's loadImage (and so `tsam amg`'s width/height)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(W, H, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return data;
  }
  return Buffer.alloc(W * H * 3, 128);
}

/** Renders the overlay; returns PNG bytes. */
export async function renderOverlay(record: Sa1bRecord, opts: OverlayOptions = {}): Promise<Buffer> {
  const { width: W, height: H } = record.image;
  const rgb = await baseImage(W, H, opts.image);
  const alpha = opts.alpha ?? 0.45;
  const t = opts.outline ?? Math.max(1, Math.round(Math.min(W, H) / 300));
  const rand = mulberry32(opts.seed ?? 0);
  const mask = new Uint8Array(W * H); // scratch, cleared after each mask
  const anns = record.annotations.map((a) => ({ a, counts: segmentationCounts(a.segmentation) }));
  anns.sort((p, q) => (q.a.area ?? 0) - (p.a.area ?? 0));
  const set: number[] = [];
  for (const { a, counts } of anns) {
    const [h, w] = a.segmentation.size;
    if (h !== H || w !== W) continue; // validate reports these; nothing sensible to draw
    const [r, g, b] = colour(rand());
    set.length = 0;
    let pos = 0;
    counts.forEach((c, i) => {
      if (i % 2 === 1) for (let p = pos; p < pos + c; p++) set.push((p % H) * W + Math.floor(p / H)); // column-major → row-major
      pos += c;
    });
    for (const i of set) {
      mask[i] = 1;
      rgb[3 * i] = Math.round(rgb[3 * i]! * (1 - alpha) + r * alpha);
      rgb[3 * i + 1] = Math.round(rgb[3 * i + 1]! * (1 - alpha) + g * alpha);
      rgb[3 * i + 2] = Math.round(rgb[3 * i + 2]! * (1 - alpha) + b * alpha);
    }
    // Outline: mask pixels with a 4-neighbour outside the mask, thickened to t pixels inward/outward.
    for (const i of set) {
      const x = i % W;
      const y = (i - x) / W;
      const edge = x === 0 || y === 0 || x === W - 1 || y === H - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - W] || !mask[i + W];
      if (!edge) continue;
      const lo = -Math.floor((t - 1) / 2);
      for (let dy = lo; dy < lo + t; dy++) {
        for (let dx = lo; dx < lo + t; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const j = yy * W + xx;
          rgb[3 * j] = r;
          rgb[3 * j + 1] = g;
          rgb[3 * j + 2] = b;
        }
      }
    }
    for (const i of set) mask[i] = 0;
  }
  const sharp = await loadSharp();
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}
