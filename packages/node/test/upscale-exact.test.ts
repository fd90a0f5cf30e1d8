/**
 * The upscale is bit-exact with the reference's `postprocess_masks` + `> 0`: every fixture case's
 * own reference low-res logits (every model, every prompt case, every output plane, and the
 * onnx_contract cases' 4 planes at `orig_im_size`), upscaled by the reference emulation
 * (MaskUpscaler, thresholded) and by the fast path (BinaryMaskUpscaler), give exactly the
 * reference's masks: 0 differing pixels per mask and in total. The oracle is the reference's
 * masks, not our other code path.
 */
import { expect, it } from 'vitest';
import { BinaryMaskUpscaler, logitsToMask, MaskUpscaler, parseNpy, rleToMask, type Rle } from '@tsam/core';
import { describeFixtures, manifest, readFixture, readFixtureJson } from '../../../testing/fixtures.js';

const PLANE = 256 * 256;

interface UpscaleCase {
  name: string;
  model: string;
  size: [h: number, w: number];
  lowRes: string; // .npy C×256×256 (or 1×C×256×256)
  masks: string; // JSON list of C RLE at `size`
}

function upscaleCases(): UpscaleCase[] {
  const m = manifest();
  return m.cases.map((c) =>
    c.onnx_contract
      ? { name: c.id, model: c.model, size: c.inputs.orig_im_size, lowRes: c.expected.low_res_masks, masks: c.expected.masks }
      : {
          name: c.id,
          model: c.model,
          size: [m.images[c.image]!.height, m.images[c.image]!.width],
          lowRes: c.expected.low_res_logits,
          masks: c.expected.masks,
        },
  );
}

function countDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describeFixtures("upscaling the reference's low-res logits gives the reference's masks exactly", () => {
  it('every model, case and plane: 0 differing pixels (reference emulation and fast path)', () => {
    let masks = 0;
    let pixels = 0;
    let nonEmpty = 0;
    let differingRef = 0;
    let differingFast = 0;
    const promptSensitiveEmpty: string[] = [];
    for (const c of upscaleCases()) {
      const [h, w] = c.size;
      const low = parseNpy(readFixture(c.lowRes));
      const refRles = readFixtureJson<Rle[]>(c.masks);
      const n = low.data.length / PLANE;
      expect(refRles.length, `${c.model}/${c.name}: one reference mask per plane`).toBe(n);
      const ref = new MaskUpscaler([h, w]);
      const fast = new BinaryMaskUpscaler([h, w]);
      for (let i = 0; i < n; i++) {
        const label = `${c.model}/${c.name} plane ${i} (${h}×${w})`;
        expect(refRles[i]!.size, label).toEqual([h, w]);
        const expected = rleToMask(refRles[i]!);
        const plane = low.data.subarray(i * PLANE, (i + 1) * PLANE);
        const dRef = countDiffering(logitsToMask(ref.run(plane)), expected);
        const dFast = countDiffering(fast.run(plane), expected);
        expect(dRef, `${label}: MaskUpscaler`).toBe(0);
        expect(dFast, `${label}: BinaryMaskUpscaler`).toBe(0);
        differingRef += dRef;
        differingFast += dFast;
        const area = expected.reduce((s, v) => s + v, 0);
        if (area > 0) nonEmpty++;
        // The untrained models answer every prompt with a speckled, non-empty mask; only the
        // trained one's single-mask output may be empty, so agreement is never two empty masks.
        else if (c.model !== 'sam_vit_mini_trained') promptSensitiveEmpty.push(label);
        masks++;
        pixels += h * w;
      }
    }
    console.log(
      `[upscale-exact] ${masks} masks (${nonEmpty} non-empty), ${pixels} pixels compared: ` +
        `${differingRef} differ (MaskUpscaler), ${differingFast} differ (BinaryMaskUpscaler)`,
    );
    expect(promptSensitiveEmpty).toEqual([]);
    expect(masks).toBeGreaterThan(0);
    expect(nonEmpty).toBeGreaterThan(masks / 2);
    expect(differingRef).toBe(0);
    expect(differingFast).toBe(0);
  }, 300_000);
});
