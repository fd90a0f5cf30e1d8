import { describe, expect, it } from 'vitest';
import { expectSameArray } from './helpers.js';
import type { PromptInput } from '../src/index.js';
import {
  MAX_PROMPT_COORD,
  PromptError,
  applyBoxes,
  applyCoords,
  buildDecoderPrompt,
  imageBox,
  imagePoint,
  parseNpy,
  validatePrompt,
} from '../src/index.js';
import { describeFixtures, manifest, readFixture } from '../../../testing/fixtures.js';

const W = 1800;
const H = 1200;

function expectPromptError(p: unknown, re: RegExp, w = W, h = H): void {
  let err: unknown;
  try {
    validatePrompt(p as PromptInput, w, h);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PromptError);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(re);
}

describe('validatePrompt', () => {
  it('accepts points, boxes, masks and fills defaults', () => {
    const v = validatePrompt({ points: [[10, 20]], labels: [1] }, W, H);
    expect(v.points.map((p) => [...p])).toEqual([[10, 20]]);
    expect(v.labels).toEqual([1]);
    expect(v.multimaskOutput).toBe(true);
    expect(v.returnLogits).toBe(false);
    expect(v.box).toBeUndefined();
    expect(validatePrompt({ box: [1, 2, 3, 4], multimaskOutput: false }, W, H).multimaskOutput).toBe(false);
    expect(validatePrompt({ maskInput: new Float32Array(256 * 256) }, W, H).maskInput?.length).toBe(65536);
    expect(validatePrompt({ maskInput: { data: new Float32Array(65536), shape: [1, 1, 256, 256] } }, W, H).maskInput).toBeDefined();
  });

  it('allows points outside the image and degenerate boxes', () => {
    expect(() => validatePrompt({ points: [[-50, 5000]], labels: [0] }, W, H)).not.toThrow();
    expect(() => validatePrompt({ box: [5, 5, 5, 5] }, W, H)).not.toThrow();
  });

  it('rejects non-finite coordinates, naming the point', () => {
    expectPromptError(
      {
        points: [
          [1, 2],
          [NaN, 3],
        ],
        labels: [1, 1],
      },
      /points\[1\].*non-finite.*x=NaN/,
    );
    expectPromptError({ points: [[1, Infinity]], labels: [1] }, /points\[0\].*y=Infinity/);
    expectPromptError({ points: [[1]], labels: [1] }, /points\[0\] must be \[x, y\]/);
    expectPromptError({ box: [0, 0, NaN, 4] }, /box has a non-finite or out-of-range coordinate/);
  });

  it('rejects labels that do not match the points', () => {
    expectPromptError(
      {
        points: [
          [1, 2],
          [3, 4],
        ],
        labels: [1],
      },
      /1 labels for 2 points/,
    );
    expectPromptError({ points: [[1, 2]] }, /0 labels for 1 points/);
    expectPromptError({ labels: [1], box: [0, 0, 1, 1] }, /1 labels for 0 points/);
  });

  it('rejects labels other than 0 and 1', () => {
    expectPromptError({ points: [[1, 2]], labels: [2] }, /labels\[0\] = 2 is not 0 \(background\) or 1 \(foreground\)/);
    expectPromptError({ points: [[1, 2]], labels: [-1] }, /labels\[0\] = -1/);
    expectPromptError({ points: [[1, 2]], labels: [0.5] }, /labels\[0\] = 0.5/);
  });

  it('rejects an empty prompt', () => {
    expectPromptError({}, /empty prompt/);
    expectPromptError({ points: [], labels: [] }, /empty prompt/);
  });

  it('rejects inverted boxes', () => {
    expectPromptError({ box: [10, 0, 5, 4] }, /x1 >= x0.*x0=10, x1=5/);
    expectPromptError({ box: [0, 10, 5, 4] }, /y1 >= y0.*y0=10, y1=4/);
    expectPromptError({ box: [0, 1, 2] }, /box must be \[x0, y0, x1, y1\]/);
  });

  it('rejects mask inputs that are not 256×256, naming the size', () => {
    expectPromptError({ maskInput: new Float32Array(64 * 64) }, /256×256.*got 4096 values/);
    expectPromptError({ maskInput: { data: new Float32Array(512 * 512), shape: [1, 512, 512] } }, /got shape \[1, 512, 512\]/);
    expectPromptError({ maskInput: { data: new Float32Array(65536), shape: [2, 256, 256] } }, /got shape \[2, 256, 256\]/);
    expectPromptError({ maskInput: { data: new Float32Array(10), shape: [256, 256] } }, /data length 10/);
    expectPromptError({ maskInput: [1, 2, 3] }, /Float32Array/);
  });

  it('rejects finite but absurd coordinates that float32 cannot carry, naming the field', () => {
    // 1e39 is finite in float64 but Infinity in float32: the decoder would return NaN masks.
    expect(Math.fround(1e39)).toBe(Infinity);
    expectPromptError({ points: [[1e39, 10]], labels: [1] }, /points\[0\].*out-of-range.*x=1e\+39.*≤ 1000000/);
    expectPromptError({ points: [[5, -2e6]], labels: [0] }, /points\[0\].*y=-2000000/);
    expectPromptError({ box: [0, 0, 1e39, 50] }, /box has a non-finite or out-of-range coordinate: \[0, 0, 1e\+39, 50\]/);
    // The bound itself, and everything outside the image below it, stays legal (as in the reference).
    const edge = MAX_PROMPT_COORD;
    expect(() => validatePrompt({ points: [[-edge, edge]], labels: [1] }, W, H)).not.toThrow();
    expect(() => validatePrompt({ box: [-edge, -edge, edge, edge] }, W, H)).not.toThrow();
  });

  it('the bound keeps the 1024-frame coordinates finite in float32 even for a 1-pixel image', () => {
    const d = buildDecoderPrompt({ points: [[MAX_PROMPT_COORD, -MAX_PROMPT_COORD]], labels: [1] }, 1, 1);
    const coords = [...d.point_coords.data];
    expect(coords.slice(0, 2)).toEqual([MAX_PROMPT_COORD * 1024, -MAX_PROMPT_COORD * 1024]);
    expect(coords.every(Number.isFinite)).toBe(true);
  });

  it('rejects NaN or Infinity in a mask input, naming where', () => {
    const m = new Float32Array(65536);
    m[3 * 256 + 7] = NaN;
    expectPromptError({ maskInput: m }, /maskInput holds a non-finite value NaN at row 3, column 7/);
    const t = new Float32Array(65536);
    t[65535] = -Infinity;
    expectPromptError({ maskInput: { data: t, shape: [1, 1, 256, 256] } }, /maskInput.*-Infinity at row 255, column 255/);
  });

  it('rejects bad image sizes and option types', () => {
    expectPromptError({ box: [0, 0, 1, 1] }, /image size/, 0, 10);
    expectPromptError({ box: [0, 0, 1, 1], multimaskOutput: 'yes' }, /multimaskOutput must be a boolean/);
  });
});

describe('buildDecoderPrompt', () => {
  it('points only: appends the (0, 0) / -1 padding point', () => {
    const d = buildDecoderPrompt(
      {
        points: [
          [900, 600],
          [100, 50],
        ],
        labels: [1, 0],
      },
      W,
      H,
    );
    const [a, b] = applyCoords([imagePoint(900, 600), imagePoint(100, 50)], H, W);
    expect(d.point_coords.dims).toEqual([1, 3, 2]);
    expect(Array.from(d.point_coords.data)).toEqual(Array.from(Float32Array.of(...(a ?? []), ...(b ?? []), 0, 0)));
    expect(d.point_labels.dims).toEqual([1, 3]);
    expect(Array.from(d.point_labels.data)).toEqual([1, 0, -1]);
    expect(d.mask_input.dims).toEqual([1, 1, 256, 256]);
    expect(d.mask_input.data.every((v) => v === 0)).toBe(true);
    expect(Array.from(d.has_mask_input.data)).toEqual([0]);
    expect(d.has_mask_input.dims).toEqual([1]);
    expect(Array.from(d.orig_im_size.data)).toEqual([1200, 1800]);
    expect(d.orig_im_size.dims).toEqual([2]);
  });

  it('box: corners with labels 2 and 3 after the points, no padding', () => {
    const d = buildDecoderPrompt({ points: [[10, 20]], labels: [0], box: [100, 200, 700, 900] }, W, H);
    const [p] = applyCoords([imagePoint(10, 20)], H, W);
    const [bx] = applyBoxes([imageBox(100, 200, 700, 900)], H, W);
    expect(d.point_coords.dims).toEqual([1, 3, 2]);
    expect(Array.from(d.point_coords.data)).toEqual(Array.from(Float32Array.of(...(p ?? []), ...(bx ?? []))));
    expect(Array.from(d.point_labels.data)).toEqual([0, 2, 3]);
    const boxOnly = buildDecoderPrompt({ box: [100, 200, 700, 900] }, W, H);
    expect(boxOnly.point_coords.dims).toEqual([1, 2, 2]);
    expect(Array.from(boxOnly.point_labels.data)).toEqual([2, 3]);
  });

  it('box corners land where the ONNX contract expects (1024 space)', () => {
    // 1800×1200 → 1024×683: x scales by 1024/1800, y by 683/1200.
    const d = buildDecoderPrompt({ box: [360, 0, 1260, 1200] }, W, H);
    expect(Array.from(d.point_coords.data)).toEqual(Array.from(Float32Array.of(204.8, 0, 716.8, 683)));
  });

  it('mask input: copied, flagged, padded point (or none with maskOnly: "none")', () => {
    const mask = new Float32Array(65536).fill(-3);
    mask[5] = 7;
    const d = buildDecoderPrompt({ maskInput: mask }, W, H);
    expectSameArray(d.mask_input.data, mask, 'mask_input');
    expect(d.mask_input.data === mask).toBe(false);
    expect(Array.from(d.has_mask_input.data)).toEqual([1]);
    expect(Array.from(d.point_labels.data)).toEqual([-1]);
    const none = buildDecoderPrompt({ maskInput: mask }, W, H, { maskOnly: 'none' });
    expect(none.point_coords.dims).toEqual([1, 0, 2]);
    expect(none.point_labels.dims).toEqual([1, 0]);
    // maskOnly does not affect prompts with points
    expect(buildDecoderPrompt({ maskInput: mask, points: [[1, 1]], labels: [1] }, W, H, { maskOnly: 'none' }).point_labels.dims).toEqual([
      1, 2,
    ]);
  });

  it('validates first', () => {
    expect(() => buildDecoderPrompt({ points: [[NaN, 1]], labels: [1] }, W, H)).toThrow(PromptError);
  });
});

describeFixtures('buildDecoderPrompt on the reference prompt cases', () => {
  const m = manifest();
  for (const c of m.cases) {
    if (c.onnx_contract) {
      it(`${c.model}/${c.image}/${c.id}: mask_input fixture is accepted as a maskInput`, () => {
        const bytes = readFixture(c.inputs.mask_input);
        const arr = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
        expect(arr.shape).toEqual([1, 1, 256, 256]);
        const v = validatePrompt({ maskInput: { data: arr.data, shape: arr.shape } }, c.inputs.orig_im_size[1], c.inputs.orig_im_size[0]);
        expectSameArray(v.maskInput ?? [], arr.data, 'maskInput');
      });
      continue;
    }
    it(`${c.model}/${c.image}/${c.id}`, () => {
      const img = m.images[c.image];
      if (!img) throw new Error(`unknown image ${c.image}`);
      const prompt: PromptInput = { multimaskOutput: c.multimask ?? true };
      if (c.points) prompt.points = c.points;
      if (c.labels) prompt.labels = c.labels;
      if (c.box) prompt.box = c.box;
      const d = buildDecoderPrompt(prompt, img.width, img.height);
      const n = (c.points?.length ?? 0) + (c.box ? 2 : 1);
      expect(d.point_coords.dims).toEqual([1, n, 2]);
      const labels = [...(c.labels ?? []), ...(c.box ? [2, 3] : [-1])];
      expect(Array.from(d.point_labels.data)).toEqual(labels);
      expect(Array.from(d.orig_im_size.data)).toEqual([img.height, img.width]);
      for (let i = 0; i < (c.points?.length ?? 0); i++) {
        const x = d.point_coords.data[2 * i] ?? NaN;
        const y = d.point_coords.data[2 * i + 1] ?? NaN;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1024);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(1024);
      }
    });
  }
});
