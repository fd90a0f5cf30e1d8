/** A small document for the unit tests: an 8 × 6 image, masks by pixel index, decoder output. */
import type { Action } from '../../src/state/actions.js';
import { promptKey, type Doc } from '../../src/state/types.js';

export const W = 8;
export const H = 6;
export const image = { id: 'img', name: 'a.png', width: W, height: H };

/** A row-major `H × W` mask with the given pixel indices set. */
export const maskOf = (...idx: number[]): Uint8Array => {
  const m = new Uint8Array(W * H);
  for (const i of idx) m[i] = 1;
  return m;
};

/** The decoder's output for `doc`'s current prompt, as the controller dispatches it. */
export function decoded(doc: Doc, masks: Uint8Array[], ious: number[]): Action {
  const cur = doc.current!;
  return { type: 'decoded', key: promptKey(cur.prompt, cur.multimask), candidates: masks.map((mask, i) => ({ mask, iou: ious[i]! })) };
}
