/** The paper's training prompt simulation: where points land, how boxes are jittered, the round schedule. */
import { describe, expect, it } from 'vitest';
import { correctionPoint, firstPrompt, roundSchedule } from '@tsam/train';
import { rng } from '../../onnx/test/gradcheck.js';

/** A 256² mask with a filled rectangle [x0, x1) × [y0, y1). */
function rect(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(256 * 256);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * 256 + x] = 1;
  return m;
}
const at = (m: Uint8Array | Float32Array, x: number, y: number) => m[Math.floor((y - 1.5) / 4) * 256 + Math.floor((x - 1.5) / 4)] as number;

describe('firstPrompt', () => {
  const gt = rect(40, 60, 140, 110); // 100 × 50 low-res px = 400 × 200 in the model frame
  const rand = rng(1);
  const draws = Array.from({ length: 4000 }, () => firstPrompt(gt, rand));

  it('is a point or a box with equal probability', () => {
    const points = draws.filter((d) => d.kind === 'point').length;
    expect(points / draws.length).toBeGreaterThan(0.46);
    expect(points / draws.length).toBeLessThan(0.54);
  });
  it('puts points on the mask, at low-res pixel centres in the model frame, labelled foreground', () => {
    for (const d of draws) {
      if (d.kind !== 'point') continue;
      expect(d.point.label).toBe(1);
      expect(at(gt, d.point.x, d.point.y)).toBe(1);
      expect((d.point.x - 1.5) % 4).toBe(0);
    }
  });
  it('jitters box edges by ~10 % of the side, never more than 20 px', () => {
    const exact = [160, 240, 560, 440];
    const dev: number[][] = [[], [], [], []];
    for (const d of draws) if (d.kind === 'box') d.box.forEach((v, k) => dev[k]?.push(v - (exact[k] as number)));
    dev.forEach((ds, k) => {
      expect(Math.max(...ds.map(Math.abs))).toBeLessThanOrEqual(20);
      // x edges: std 40 px (10 % of 400) clipped at 20 px, so most draws sit on the clip; y edges: std 20 px.
      const clipped = ds.filter((v) => Math.abs(v) === 20).length / ds.length;
      if (k % 2 === 0) expect(clipped).toBeGreaterThan(0.5);
      else expect(clipped).toBeGreaterThan(0.2);
    });
  });
  it('refuses an empty mask', () => {
    expect(() => firstPrompt(new Uint8Array(256 * 256), rand)).toThrow(/no pixel at 256²/);
  });
});

describe('correctionPoint', () => {
  it('samples the error region: positive in false negatives, negative in false positives', () => {
    const gt = rect(10, 10, 30, 30);
    const logits = new Float32Array(256 * 256).fill(-1);
    const pred = rect(20, 10, 50, 30); // misses x 10..20, adds x 30..50
    pred.forEach((v, i) => (logits[i] = v ? 1 : -1));
    const rand = rng(2);
    let pos = 0;
    for (let k = 0; k < 2000; k++) {
      const p = correctionPoint(gt, logits, rand);
      if (!p) throw new Error('expected a point');
      const inGt = at(gt, p.x, p.y) === 1;
      const inPred = at(logits, p.x, p.y) > 0;
      expect(inGt).not.toBe(inPred);
      expect(p.label).toBe(inGt ? 1 : 0);
      pos += p.label;
    }
    // FN area 10×20 = 200 px, FP area 20×20 = 400 px: a third of the points are positive.
    expect(pos / 2000).toBeGreaterThan(0.29);
    expect(pos / 2000).toBeLessThan(0.38);
  });
  it('returns null when the prediction is exact', () => {
    const gt = rect(5, 5, 9, 9);
    const logits = Float32Array.from(gt, (v) => (v ? 3 : -3));
    expect(correctionPoint(gt, logits, rng(3))).toBeNull();
  });
});

describe('roundSchedule', () => {
  it('8 point rounds, one no-point round among them and one at the end', () => {
    const rand = rng(4);
    const places = new Set<number>();
    for (let k = 0; k < 200; k++) {
      const s = roundSchedule(rand);
      expect(s).toHaveLength(10);
      expect(s.filter((r) => r).length).toBe(8);
      expect(s[9]).toBe(false);
      places.add(s.indexOf(false));
    }
    expect(places.size).toBe(8); // after 1…8 point rounds
  });
});
