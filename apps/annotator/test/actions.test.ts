/**
 * The action table: every key the help overlay shows dispatches its action (parsed from the
 * label people read, not from the binding), no key is bound twice, and every action does
 * something observable on a real store.
 */
import { imagePoint } from '@tsam/core';
import { describe, expect, it } from 'vitest';
import { ACTIONS, actionForKey, keyRows, type ActionContext, type AppAction } from '../src/interaction/actions.js';
import { keyTest, type KeyPress } from '../src/interaction/keys.js';
import { Store, type Snapshot } from '../src/state/store.js';
import { decoded, image, maskOf } from './helpers/doc.js';

/** The keydown a browser sends for a key written as in the help overlay (`N`, `Esc`, `Ctrl+Shift+Z`, `?`). */
function pressOf(written: string): KeyPress {
  const parts = written.split('+');
  const name = parts.at(-1)!;
  const ctrl = parts.includes('Ctrl');
  const shift = parts.slice(0, -1).includes('Shift') || name === '?';
  const key = name === 'Esc' ? 'Escape' : /^[A-Z]$/.test(name) && !shift ? name.toLowerCase() : name;
  return { key, ctrlKey: ctrl, metaKey: false, shiftKey: shift };
}

function decode(store: Store, masks: Uint8Array[], ious: number[]): void {
  store.dispatch(decoded(store.state.doc, masks, ious));
}

/** An image with one kept mask (selected in the list) and a decoded 3-candidate prompt, best = 1. */
function ready(): { store: Store; ctx: ActionContext; calls: string[] } {
  const store = new Store();
  const calls: string[] = [];
  store.dispatch({ type: 'openImage', image });
  store.dispatch({ type: 'addPoint', point: imagePoint(1, 1), label: 1, multimask: false, at: 1000 });
  decode(store, [maskOf(9, 10)], [0.8]);
  store.dispatch({ type: 'commit', label: 'cat', at: 2000 });
  store.dispatch({ type: 'addPoint', point: imagePoint(4, 3), label: 1, multimask: true, at: 3000 });
  decode(store, [maskOf(28), maskOf(28, 29), maskOf(20, 28, 29)], [0.5, 0.9, 0.7]);
  store.setUi({ selectedMask: store.state.doc.masks[0]!.id });
  const ctx: ActionContext = {
    store,
    report: (text) => calls.push(`report: ${text}`),
    runEverything: () => calls.push('runEverything'),
    cancelEverything: () => (calls.push('cancelEverything'), false),
  };
  return { store, ctx, calls };
}

type Check = (before: Snapshot, after: Snapshot, calls: string[]) => void;
const byName = (name: string): AppAction => ACTIONS.find((a) => a.name === name)!;

/** Per action: an optional step that makes it non-trivial, and what it must change. */
const EFFECTS: Record<string, { prepare?: (ctx: ActionContext) => void; check: Check }> = {
  pickCandidate1: { check: (_, a) => expect(a.doc.current!.selected).toBe(0) },
  pickCandidate2: { prepare: (c) => byName('pickCandidate1').perform(c), check: (_, a) => expect(a.doc.current!.selected).toBe(1) },
  pickCandidate3: { check: (_, a) => expect(a.doc.current!.selected).toBe(2) },
  keep: {
    check: (b, a) => {
      expect(a.doc.masks).toHaveLength(b.doc.masks.length + 1);
      expect(a.doc.masks.at(-1)).toMatchObject({ label: 'cat', mask: maskOf(28, 29) });
      expect(a.doc.current).toBeNull();
    },
  },
  escape: {
    check: (_, a, calls) => {
      expect(calls).toEqual(['cancelEverything']);
      expect(a.doc.current).toBeNull();
    },
  },
  undo: {
    // The decoder's output completed the second point's step: undo takes both back.
    check: (b, a) => {
      expect(b.doc.current!.candidates).toHaveLength(3);
      expect(a.doc.current).toBeNull();
      expect(a.canRedo).toBe(true);
    },
  },
  redo: { prepare: (c) => c.store.undo(), check: (_, a) => expect(a.doc.current!.candidates).toHaveLength(3) },
  'tool-segment': { prepare: (c) => c.store.setUi({ tool: 'erase' }), check: (_, a) => expect(a.ui.tool).toBe('segment') },
  'tool-brush': { check: (_, a) => expect(a.ui.tool).toBe('brush') },
  'tool-erase': { check: (_, a) => expect(a.ui.tool).toBe('erase') },
  brushSmaller: { check: (b, a) => expect([b.ui.brushRadius, a.ui.brushRadius]).toEqual([12, 10]) },
  brushLarger: { check: (b, a) => expect([b.ui.brushRadius, a.ui.brushRadius]).toEqual([12, 15]) },
  everything: { check: (_, __, calls) => expect(calls).toEqual(['runEverything']) },
  multimask: { check: (_, a) => expect(a.ui.multimask).toBe('on') },
  deleteMask: {
    check: (_, a) => {
      expect(a.doc.masks).toHaveLength(0);
      expect(a.ui.selectedMask).toBeNull();
    },
  },
  help: { check: (b, a) => expect([b.ui.help, a.ui.help]).toEqual([false, true]) },
};

describe('action table', () => {
  const rows = keyRows();

  it('every key in the help overlay dispatches its own action, and only that one', () => {
    const written = rows.flatMap((r) => r.inputs);
    expect(written.length).toBeGreaterThanOrEqual(ACTIONS.length);
    for (const row of rows) {
      expect(row.inputs.length, `${row.name} has a key`).toBeGreaterThan(0);
      for (const w of row.inputs) {
        const press = pressOf(w);
        expect(actionForKey(press)?.name, `${w} (${JSON.stringify(press)})`).toBe(row.name);
        const bound = ACTIONS.filter((a) => a.keys.some((k) => keyTest(k, press))).map((a) => a.name);
        expect(bound, `${w} is bound once`).toEqual([row.name]);
      }
    }
    expect(new Set(written).size, 'no key written twice').toBe(written.length);
    expect(new Set(ACTIONS.map((a) => a.name)).size, 'names are unique').toBe(ACTIONS.length);
  });

  it('modifiers are part of the key: Ctrl+N, Ctrl+B and Ctrl+[ are not N, B and [; Ctrl+Z is not redo', () => {
    for (const key of ['n', 'b', '[', '1']) expect(actionForKey({ key, ctrlKey: true, metaKey: false, shiftKey: false })).toBeUndefined();
    expect(actionForKey({ key: 'z', ctrlKey: false, metaKey: true, shiftKey: false })?.name).toBe('undo');
    expect(actionForKey({ key: 'Z', ctrlKey: true, metaKey: false, shiftKey: true })?.name).toBe('redo');
    expect(actionForKey({ key: 'x', ctrlKey: false, metaKey: false, shiftKey: false })).toBeUndefined();
  });

  it('every action does what its label says on a real store', () => {
    expect(Object.keys(EFFECTS).sort()).toEqual(ACTIONS.map((a) => a.name).sort());
    for (const action of ACTIONS) {
      const { store, ctx, calls } = ready();
      const effect = EFFECTS[action.name]!;
      effect.prepare?.(ctx);
      const before = store.state;
      actionForKey(pressOf(keyRows().find((r) => r.name === action.name)!.inputs[0]!))!.perform(ctx);
      effect.check(before, store.state, calls);
    }
  });

  it('Enter on an empty mask keeps nothing and says so; Esc closes help before anything else', () => {
    const { store, ctx, calls } = ready();
    store.dispatch({ type: 'selectCandidate', index: 0 });
    store.dispatch({ type: 'stroke', stroke: { mode: 'erase', radius: 20, points: [imagePoint(4, 3)] }, at: 4000 });
    const masks = store.state.doc.masks;
    byName('keep').perform(ctx);
    expect(store.state.doc.masks).toBe(masks);
    expect(store.state.doc.current).not.toBeNull();
    expect(calls).toEqual([expect.stringMatching(/^report: The mask is empty/)]);
    store.setUi({ help: true });
    byName('escape').perform(ctx);
    expect(store.state.ui.help).toBe(false);
    expect(store.state.doc.current).not.toBeNull();
  });
});
