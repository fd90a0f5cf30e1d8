/** Keyboard shortcuts: one table drives both the handler and the help overlay (`?`). */
import { useEffect } from 'react';
import { cancelEverything, runEverything } from '../engine/controller.js';
import { engine } from '../engine/engine.js';
import { finalMask, maskArea } from '../state/mask-ops.js';
import { store } from '../state/store.js';
import { promptIsEmpty } from '../state/types.js';
import type { MultimaskMode } from '../state/ui.js';

export interface Shortcut {
  keys: string[];
  /** Shown in the help overlay. */
  label: string;
  /** Matches a keydown event. */
  match(e: KeyboardEvent): boolean;
  run(): void;
}

const key =
  (...ks: string[]) =>
  (e: KeyboardEvent) =>
    !e.ctrlKey && !e.metaKey && ks.includes(e.key);
const ctrl =
  (k: string, shift = false) =>
  (e: KeyboardEvent) =>
    (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === k && e.shiftKey === shift;

const NEXT_MULTIMASK: Record<MultimaskMode, MultimaskMode> = { auto: 'on', on: 'off', off: 'auto' };

/** Keeps the current mask; an empty one is not kept, and the prompt stays so it can be fixed. */
export function commitCurrent(): void {
  const { current, image } = store.state.doc;
  if (!current || !image) return;
  if (!promptIsEmpty(current.prompt) && current.decodedFor === null) {
    engine.report('Still decoding the prompt: press Enter again when its mask shows.', false);
    return;
  }
  if (maskArea(finalMask(current, image.width, image.height)) === 0) {
    engine.report('The mask is empty, so nothing was kept: add points, pick another candidate or brush it in (Esc clears).', false);
    return;
  }
  const label = store.state.doc.masks.length ? (store.state.doc.masks.at(-1)?.label ?? 'object') : 'object';
  store.dispatch({ type: 'commit', label, at: Date.now() });
}

function pick(i: number): Shortcut {
  return {
    keys: [String(i + 1)],
    label: `Pick candidate ${i + 1}`,
    match: key(String(i + 1)),
    run: () => store.dispatch({ type: 'selectCandidate', index: i }),
  };
}

export const SHORTCUTS: Shortcut[] = [
  { keys: ['Click'], label: 'Add a positive point', match: () => false, run: () => {} },
  { keys: ['Right click', 'Alt+Click'], label: 'Add a negative point', match: () => false, run: () => {} },
  { keys: ['Drag'], label: 'Draw a box', match: () => false, run: () => {} },
  pick(0),
  pick(1),
  pick(2),
  { keys: ['Enter', 'N'], label: 'Keep the current mask (add it to the list)', match: key('Enter', 'n'), run: commitCurrent },
  { keys: ['Esc'], label: 'Clear the current mask / cancel or leave “everything” / close help', match: key('Escape'), run: escape },
  { keys: ['Ctrl+Z'], label: 'Undo', match: ctrl('z'), run: () => store.undo() },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], label: 'Redo', match: (e) => ctrl('z', true)(e) || ctrl('y')(e), run: () => store.redo() },
  { keys: ['S'], label: 'Segment tool (points and boxes)', match: key('s'), run: () => store.setUi({ tool: 'segment' }) },
  { keys: ['B'], label: 'Brush: paint into the current mask', match: key('b'), run: () => store.setUi({ tool: 'brush', hover: null }) },
  { keys: ['E'], label: 'Eraser: remove from the current mask', match: key('e'), run: () => store.setUi({ tool: 'erase', hover: null }) },
  { keys: ['[', ']'], label: 'Brush size − / +', match: key('[', ']'), run: () => {} },
  { keys: ['A'], label: '“Everything”: show all automatic masks', match: key('a'), run: () => void runEverything() },
  {
    keys: ['M'],
    label: 'Multimask: auto → on → off',
    match: key('m'),
    run: () => store.setUi((u) => ({ multimask: NEXT_MULTIMASK[u.multimask] })),
  },
  { keys: ['Delete'], label: 'Delete the selected mask in the list', match: key('Delete', 'Backspace'), run: deleteSelected },
  { keys: ['?'], label: 'Show / hide this help', match: key('?'), run: () => store.setUi((u) => ({ help: !u.help })) },
];

function escape(): void {
  const { ui } = store.state;
  if (ui.help) store.setUi({ help: false });
  else if (cancelEverything()) return;
  else if (ui.everything) store.setUi({ everything: null });
  else store.dispatch({ type: 'discard' });
}

function deleteSelected(): void {
  const id = store.state.ui.selectedMask;
  if (id !== null) {
    store.dispatch({ type: 'delete', id });
    store.setUi({ selectedMask: null });
  }
}

function resizeBrush(e: KeyboardEvent): boolean {
  if (e.key !== '[' && e.key !== ']') return false;
  store.setUi((u) => ({ brushRadius: Math.max(1, Math.min(200, Math.round(u.brushRadius * (e.key === ']' ? 1.25 : 0.8)))) }));
  return true;
}

/** Installs the shortcuts on the window (ignored while typing in a text field). */
export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') && e.key !== 'Escape') return;
      if (resizeBrush(e)) return;
      const s = SHORTCUTS.find((sc) => sc.match(e));
      if (!s) return;
      e.preventDefault();
      s.run();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
