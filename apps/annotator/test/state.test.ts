/** The document reducer and undo/redo: actions are data, applied by a pure function. */
import { imageBox, imagePoint } from '@tsam/core';
import { describe, expect, it } from 'vitest';
import type { Action } from '../src/state/actions.js';
import { apply } from '../src/state/apply.js';
import { History } from '../src/state/history.js';
import { applyStroke, finalMask } from '../src/state/mask-ops.js';
import { emptyDoc, promptKey } from '../src/state/types.js';
import { H, W, decoded, image, maskOf } from './helpers/doc.js';

function decodedFor(h: History, masks: Uint8Array[], ious: number[]): void {
  h.dispatch(decoded(h.present, masks, ious));
}

describe('document actions', () => {
  it('a point starts a mask; decoder output picks the best candidate; commit keeps clicks and seconds', () => {
    const h = new History();
    h.dispatch({ type: 'openImage', image });
    h.dispatch({ type: 'addPoint', point: imagePoint(2, 3), label: 1, multimask: true, at: 1000 });
    decodedFor(h, [maskOf(1), maskOf(2, 3), maskOf(4)], [0.5, 0.9, 0.7]);
    expect(h.present.current!.selected).toBe(1);
    h.dispatch({ type: 'selectCandidate', index: 2 });
    h.dispatch({ type: 'commit', label: 'cat', at: 4500 });
    const [m] = h.present.masks;
    expect(m).toMatchObject({
      id: 1,
      label: 'cat',
      clicks: 2,
      seconds: 3.5,
      predictedIou: 0.7,
      pointCoords: [[2, 3]],
      source: 'interactive',
    });
    expect(Array.from(m!.mask)).toEqual(Array.from(maskOf(4)));
    expect(h.present.current).toBeNull();
  });

  it('commit of an empty mask keeps nothing and leaves the prompt in place', () => {
    const h = new History();
    h.dispatch({ type: 'openImage', image });
    h.dispatch({ type: 'addPoint', point: imagePoint(2, 3), label: 1, multimask: false, at: 0 });
    decodedFor(h, [maskOf()], [0.1]);
    const before = h.present;
    expect(h.dispatch({ type: 'commit', label: 'x', at: 10 })).toBe(false);
    expect(h.present).toBe(before);
    expect(h.present.current!.prompt.points).toHaveLength(1);
  });

  it('openImage with kept masks brings them back, ids continuing', () => {
    let doc = apply(emptyDoc(), { type: 'openImage', image });
    doc = apply(doc, { type: 'addPoint', point: imagePoint(2, 3), label: 1, multimask: false, at: 0 });
    doc = apply(doc, { type: 'decoded', key: promptKey(doc.current!.prompt, false), candidates: [{ mask: maskOf(5), iou: 1 }] });
    doc = apply(doc, { type: 'commit', label: 'a', at: 1 });
    const other = apply(doc, { type: 'openImage', image: { ...image, id: 'other' } });
    expect(other.masks).toEqual([]);
    const back = apply(other, { type: 'openImage', image, restore: { masks: doc.masks, nextId: doc.nextId } });
    expect(back.masks).toBe(doc.masks);
    expect(back.nextId).toBe(2);
    expect(back.current).toBeNull();
  });

  it('drops decoder output for a prompt that has moved on', () => {
    let doc = apply(emptyDoc(), { type: 'openImage', image });
    doc = apply(doc, { type: 'addPoint', point: imagePoint(1, 1), label: 1, multimask: true, at: 0 });
    const stale = promptKey(doc.current!.prompt, true);
    doc = apply(doc, { type: 'addPoint', point: imagePoint(5, 5), label: 0, multimask: false, at: 1 });
    const next = apply(doc, { type: 'decoded', key: stale, candidates: [{ mask: maskOf(0), iou: 1 }] });
    expect(next).toBe(doc);
  });

  it('undo and redo step over actions; decoder output belongs to its step', () => {
    const h = new History();
    h.dispatch({ type: 'openImage', image });
    h.dispatch({ type: 'addPoint', point: imagePoint(2, 3), label: 1, multimask: true, at: 0 });
    decodedFor(h, [maskOf(1), maskOf(2), maskOf(3)], [0.1, 0.2, 0.3]);
    h.dispatch({ type: 'setBox', box: imageBox(0, 0, 4, 4), multimask: false, at: 1 });
    expect(h.undoActions().map((a) => a.type)).toEqual(['addPoint', 'setBox']);
    h.undo();
    expect(h.present.current!.prompt.box).toBeNull();
    expect(h.present.current!.candidates).toHaveLength(3); // the decoded step comes back whole
    h.undo();
    expect(h.present.current).toBeNull();
    expect(h.canUndo).toBe(false);
    h.redo();
    h.redo();
    expect(h.present.current!.prompt.box).toEqual([0, 0, 4, 4]);
    expect(h.canRedo).toBe(false);
    h.undo();
    h.dispatch({ type: 'addPoint', point: imagePoint(1, 1), label: 0, multimask: false, at: 2 });
    expect(h.canRedo).toBe(false); // a new action clears the redo stack
    expect(h.log.map((a: Action) => a.type)).toEqual(['openImage', 'addPoint', 'decoded', 'setBox', 'addPoint']);
  });

  it('opening an image clears the history', () => {
    const h = new History();
    h.dispatch({ type: 'openImage', image });
    h.dispatch({ type: 'stroke', stroke: { mode: 'brush', radius: 1, points: [imagePoint(1, 1)] }, at: 0 });
    expect(h.canUndo).toBe(true);
    h.dispatch({ type: 'openImage', image: { ...image, id: 'other' } });
    expect(h.canUndo).toBe(false);
    expect(h.present.current).toBeNull();
  });

  it('rename, hide and delete masks', () => {
    let doc = apply(emptyDoc(), { type: 'openImage', image });
    const entry = {
      label: 'x',
      visible: true,
      mask: maskOf(1),
      predictedIou: 0.9,
      stabilityScore: 0.97,
      pointCoords: [[1, 0]] as [number, number][],
      clicks: 1,
      seconds: 2,
      source: 'everything' as const,
    };
    doc = apply(doc, { type: 'keepMask', entry });
    doc = apply(doc, { type: 'rename', id: 1, label: 'dog' });
    doc = apply(doc, { type: 'setVisible', id: 1, visible: false });
    expect(doc.masks[0]).toMatchObject({ id: 1, label: 'dog', visible: false });
    expect(apply(doc, { type: 'delete', id: 1 }).masks).toEqual([]);
  });
});

describe('brush and eraser', () => {
  it('paint discs along the stroke, on a copy', () => {
    const empty = new Uint8Array(W * H);
    const line = applyStroke(empty, W, H, { mode: 'brush', radius: 0.5, points: [imagePoint(0.5, 2.5), imagePoint(7.5, 2.5)] });
    expect(Array.from(line.subarray(2 * W, 3 * W))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(line.reduce((a, b) => a + b, 0)).toBe(8);
    expect(empty.every((v) => v === 0)).toBe(true);
    const erased = applyStroke(line, W, H, { mode: 'erase', radius: 1, points: [imagePoint(4, 3)] });
    expect(Array.from(erased.subarray(2 * W, 3 * W))).toEqual([1, 1, 1, 0, 0, 1, 1, 1]);
  });

  it('the final mask is the picked candidate with the strokes applied', () => {
    let doc = apply(emptyDoc(), { type: 'openImage', image });
    doc = apply(doc, { type: 'addPoint', point: imagePoint(0, 0), label: 1, multimask: false, at: 0 });
    doc = apply(doc, { type: 'decoded', key: promptKey(doc.current!.prompt, false), candidates: [{ mask: maskOf(0, 1), iou: 1 }] });
    doc = apply(doc, { type: 'stroke', stroke: { mode: 'erase', radius: 0.5, points: [imagePoint(0.5, 0.5)] }, at: 1 });
    expect(Array.from(finalMask(doc.current!, W, H))).toEqual(Array.from(maskOf(1)));
  });
});
