/**
 * The annotator's actions as data (excalidraw's `register({ name, perform, keyTest })`): each
 * has a name, a label, its key bindings and `perform`. The keyboard handler, the toolbar and the
 * help overlay (`?`) all read this one table. Actions reach the engine only through
 * `ActionContext`, so the table loads without a worker or a DOM.
 */
import { finalMask, maskArea } from '../state/mask-ops.js';
import type { Store } from '../state/store.js';
import { promptIsEmpty } from '../state/types.js';
import type { MultimaskMode, Tool } from '../state/ui.js';
import { keyLabel, keyTest, type KeyPress, type KeySpec } from './keys.js';

/** What actions act on: the store, plus the engine's status line and "everything" jobs. */
export interface ActionContext {
  store: Store;
  /** Shows `text` in the status bar (not busy). */
  report(text: string): void;
  runEverything(): void;
  /** Cancels a running "everything"; returns whether one was running. */
  cancelEverything(): boolean;
}

export interface AppAction {
  /** Stable identifier (tests and the toolbar refer to actions by name). */
  name: string;
  /** Shown in the help overlay. */
  label: string;
  keys: readonly KeySpec[];
  perform(ctx: ActionContext): void;
}

/** Every action, in help-overlay order. */
export const ACTIONS: AppAction[] = [];

function register(action: AppAction): AppAction {
  ACTIONS.push(action);
  return action;
}

/** The action bound to `e`, if any. */
export function actionForKey(e: KeyPress): AppAction | undefined {
  return ACTIONS.find((a) => a.keys.some((k) => keyTest(k, e)));
}

/** The help overlay's keyboard rows: each action's keys as written for people, and its label. */
export function keyRows(): { name: string; inputs: string[]; label: string }[] {
  return ACTIONS.map((a) => ({ name: a.name, inputs: a.keys.map(keyLabel), label: a.label }));
}

/** `label (key)` for a button's tooltip. */
export function titleOf(action: AppAction, label = action.label): string {
  const k = action.keys[0];
  return k ? `${label} (${keyLabel(k)})` : label;
}

const NEXT_MULTIMASK: Record<MultimaskMode, MultimaskMode> = { auto: 'on', on: 'off', off: 'auto' };
const BRUSH_MIN = 1;
const BRUSH_MAX = 200;

const pick = (i: number) =>
  register({
    name: `pickCandidate${i + 1}`,
    label: `Pick candidate ${i + 1}`,
    keys: [{ key: String(i + 1) }],
    perform: ({ store }) => store.dispatch({ type: 'selectCandidate', index: i }),
  });
export const pickCandidate = [pick(0), pick(1), pick(2)] as const;

/** Keeps the current mask; an empty one is not kept, and the prompt stays so it can be fixed. */
export const keep = register({
  name: 'keep',
  label: 'Keep the current mask (add it to the list)',
  keys: [{ key: 'Enter' }, { key: 'n' }],
  perform: ({ store, report }) => {
    const { current, image, masks } = store.state.doc;
    if (!current || !image) return;
    if (!promptIsEmpty(current.prompt) && current.decodedFor === null) {
      report('Still decoding the prompt: press Enter again when its mask shows.');
      return;
    }
    if (maskArea(finalMask(current, image.width, image.height)) === 0) {
      report('The mask is empty, so nothing was kept: add points, pick another candidate or brush it in (Esc clears).');
      return;
    }
    store.dispatch({ type: 'commit', label: masks.at(-1)?.label ?? 'object', at: Date.now() });
  },
});

export const escape = register({
  name: 'escape',
  label: 'Clear the current mask / cancel or leave “everything” / close help',
  keys: [{ key: 'Escape' }],
  perform: ({ store, cancelEverything }) => {
    const { ui } = store.state;
    if (ui.help) store.setUi({ help: false });
    else if (cancelEverything()) return;
    else if (ui.everything) store.setUi({ everything: null });
    else store.dispatch({ type: 'discard' });
  },
});

export const undo = register({ name: 'undo', label: 'Undo', keys: [{ key: 'z', ctrl: true }], perform: ({ store }) => store.undo() });

export const redo = register({
  name: 'redo',
  label: 'Redo',
  keys: [
    { key: 'z', ctrl: true, shift: true },
    { key: 'y', ctrl: true },
  ],
  perform: ({ store }) => store.redo(),
});

const tool = (t: Tool, key: string, label: string) =>
  register({
    name: `tool-${t}`,
    label,
    keys: [{ key }],
    // The brush and eraser have no hover preview.
    perform: ({ store }) => store.setUi(t === 'segment' ? { tool: t } : { tool: t, hover: null }),
  });
export const tools: Record<Tool, AppAction> = {
  segment: tool('segment', 's', 'Segment tool (points and boxes)'),
  brush: tool('brush', 'b', 'Brush: paint into the current mask'),
  erase: tool('erase', 'e', 'Eraser: remove from the current mask'),
};

const resize = (name: string, key: string, label: string, factor: number) =>
  register({
    name,
    label,
    keys: [{ key }],
    perform: ({ store }) =>
      store.setUi((u) => ({ brushRadius: Math.max(BRUSH_MIN, Math.min(BRUSH_MAX, Math.round(u.brushRadius * factor))) })),
  });
resize('brushSmaller', '[', 'Brush size −', 0.8);
resize('brushLarger', ']', 'Brush size +', 1.25);

export const everything = register({
  name: 'everything',
  label: '“Everything”: show all automatic masks',
  keys: [{ key: 'a' }],
  perform: ({ runEverything }) => runEverything(),
});

register({
  name: 'multimask',
  label: 'Multimask: auto → on → off',
  keys: [{ key: 'm' }],
  perform: ({ store }) => store.setUi((u) => ({ multimask: NEXT_MULTIMASK[u.multimask] })),
});

register({
  name: 'deleteMask',
  label: 'Delete the selected mask in the list',
  keys: [{ key: 'Delete' }, { key: 'Backspace' }],
  perform: ({ store }) => {
    const id = store.state.ui.selectedMask;
    if (id === null) return;
    store.dispatch({ type: 'delete', id });
    store.setUi({ selectedMask: null });
  },
});

export const help = register({
  name: 'help',
  label: 'Show / hide this help',
  keys: [{ key: '?' }],
  perform: ({ store }) => store.setUi((u) => ({ help: !u.help })),
});
