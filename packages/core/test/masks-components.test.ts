/** Connected components (OpenCV label order) and remove_small_regions semantics. */
import { describe, expect, it } from 'vitest';
import { connectedComponents, removeSmallRegions } from '../src/index.js';
import { blobMask, floodLabels, rng } from './masks-helpers.js';

/** Parse rows of '#'/'.' into a mask. */
function grid(rows: string[]): { mask: Uint8Array; h: number; w: number } {
  const h = rows.length;
  const w = rows[0]!.length;
  return { mask: Uint8Array.from(rows.join(''), (c) => (c === '#' ? 1 : 0)), h, w };
}

describe('connectedComponents', () => {
  it('partitions like a flood fill (8- and 4-connectivity), areas add up', () => {
    const r = rng(21);
    for (let t = 0; t < 30; t++) {
      const h = 1 + Math.floor(r() * 30);
      const w = 1 + Math.floor(r() * 30);
      const mask = blobMask(r, h, w, [0.1, 0.3, 0.5, 0.8, 0][t % 5]!);
      for (const conn of [8, 4] as const) {
        const { count, labels, areas } = connectedComponents(mask, h, w, conn);
        const flood = floodLabels(mask, h, w, conn);
        const map = new Map<number, number>();
        for (let i = 0; i < mask.length; i++) {
          expect(labels[i] === 0).toBe(flood[i] === -1);
          if (flood[i] === -1) continue;
          const seen = map.get(flood[i]!);
          if (seen === undefined) map.set(flood[i]!, labels[i]!);
          else expect(labels[i]).toBe(seen);
        }
        expect(new Set(map.values()).size).toBe(map.size);
        expect(count).toBe(map.size + 1);
        expect(areas.reduce((a, b) => a + b, 0)).toBe(h * w);
        expect(areas[0]).toBe(mask.length - mask.reduce((a, b) => a + b, 0));
      }
    }
  });
  it('joins diagonal neighbours only with connectivity 8', () => {
    const { mask, h, w } = grid(['#.', '.#']);
    expect(connectedComponents(mask, h, w, 8).count).toBe(2);
    expect(connectedComponents(mask, h, w, 4).count).toBe(3);
  });
  it('numbers components by first 2×2 block in raster order (OpenCV), not by first pixel', () => {
    // A's first pixel is (0, 1), B's is (4, 0): pixel order says B first, block order says A
    // (block (0,0) covers rows 0–1).
    const { mask, h, w } = grid(['....#', '#....']);
    const cc = connectedComponents(mask, h, w, 8);
    expect(cc.labels[1 * 5 + 0]).toBe(1);
    expect(cc.labels[4]).toBe(2);
    expect(connectedComponents(mask, h, w, 4).labels[4]).toBe(1); // 4-connectivity: pixel order
  });
});

describe('removeSmallRegions', () => {
  it('holes: fills holes smaller than the threshold, keeps big ones', () => {
    const { mask, h, w } = grid(['#########', '#.###...#', '#####...#', '#####...#', '#########']);
    const out = removeSmallRegions(mask, h, w, 5, 'holes');
    expect(out.changed).toBe(true);
    expect(out.mask).toEqual(grid(['#########', '#####...#', '#####...#', '#####...#', '#########']).mask);
  });
  it('holes: a small outer background counts as a hole too', () => {
    const { mask, h, w } = grid(['.###', '####']);
    expect(removeSmallRegions(mask, h, w, 2, 'holes').mask).toEqual(new Uint8Array(8).fill(1));
  });
  it('islands: removes small islands, keeps big ones', () => {
    const { mask, h, w } = grid(['##....', '##...#', '......', '####..']);
    const out = removeSmallRegions(mask, h, w, 3, 'islands');
    expect(out.changed).toBe(true);
    expect(out.mask).toEqual(grid(['##....', '##....', '......', '####..']).mask);
  });
  it('islands: all small → keep the largest; ties → the first label', () => {
    const a = grid(['#...##', '......', '..#...']);
    expect(removeSmallRegions(a.mask, a.h, a.w, 10, 'islands').mask).toEqual(grid(['....##', '......', '......']).mask);
    const b = grid(['.....#', '#.....']); // label 1 = (0,1) by block order
    expect(removeSmallRegions(b.mask, b.h, b.w, 10, 'islands').mask).toEqual(grid(['......', '#.....']).mask);
  });
  it('no small region → the same mask object, unchanged; empty masks too', () => {
    const { mask, h, w } = grid(['###', '###']);
    const out = removeSmallRegions(mask, h, w, 3, 'islands');
    expect(out).toEqual({ mask, changed: false });
    expect(out.mask).toBe(mask);
    const empty = new Uint8Array(6);
    expect(removeSmallRegions(empty, 2, 3, 100, 'islands').changed).toBe(false);
    expect(removeSmallRegions(mask, h, w, 100, 'holes').changed).toBe(false); // no holes at all
  });
  it('threshold is strict (< areaThresh is small)', () => {
    const { mask, h, w } = grid(['##..#']);
    expect(removeSmallRegions(mask, h, w, 1, 'islands').changed).toBe(false);
    expect(removeSmallRegions(mask, h, w, 2, 'islands').mask).toEqual(grid(['##...']).mask);
  });
});
