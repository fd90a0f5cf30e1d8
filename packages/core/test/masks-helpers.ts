/** Shared helpers for the mask tests: a seeded PRNG and random masks. */

export { rng } from '../../../testing/rng.js';

/** Random `h × w` 0/1 mask: a few discs (blobby) plus salt-and-pepper noise, density ~`density`. */
export function blobMask(r: () => number, h: number, w: number, density: number): Uint8Array {
  const m = new Uint8Array(h * w);
  if (density >= 1) return m.fill(1);
  if (density <= 0) return m;
  const discs = 1 + Math.floor(r() * 4);
  for (let k = 0; k < discs; k++) {
    const cx = r() * w;
    const cy = r() * h;
    const rad = Math.sqrt((density * h * w) / (Math.PI * discs)) * (0.5 + r());
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) m[y * w + x] = 1;
  }
  for (let i = 0; i < m.length; i++) if (r() < 0.05) m[i] = r() < density ? 1 : 0;
  return m;
}

/** Reference flood fill (BFS): component id per pixel (−1 for background), ids in discovery order. */
export function floodLabels(mask: ArrayLike<number>, h: number, w: number, connectivity: 4 | 8): Int32Array {
  const lab = new Int32Array(h * w).fill(-1);
  let next = 0;
  const nb =
    connectivity === 8
      ? [
          [-1, -1],
          [0, -1],
          [1, -1],
          [-1, 0],
          [1, 0],
          [-1, 1],
          [0, 1],
          [1, 1],
        ]
      : [
          [0, -1],
          [-1, 0],
          [1, 0],
          [0, 1],
        ];
  for (let s = 0; s < h * w; s++) {
    if (!mask[s] || lab[s] !== -1) continue;
    const queue = [s];
    lab[s] = next;
    while (queue.length) {
      const i = queue.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      for (const [dx, dy] of nb) {
        const nx = x + dx!;
        const ny = y + dy!;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (mask[j] && lab[j] === -1) {
          lab[j] = next;
          queue.push(j);
        }
      }
    }
    next++;
  }
  return lab;
}
