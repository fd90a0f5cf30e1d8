/**
 * Key bindings as data: a `KeySpec` both tests a keydown event and names the key in the help
 * overlay and the toolbar's tooltips, so the two cannot disagree.
 */

/** One key binding. Without `ctrl`, Shift is ignored (`?` is Shift+/ on most layouts). */
export interface KeySpec {
  /** `KeyboardEvent.key`: a letter in lower case, or a key name (`Enter`, `Escape`, `Delete`). */
  key: string;
  /** Ctrl, or ⌘ on a Mac. */
  ctrl?: boolean;
  /** With `ctrl` only: Shift must be held (true) or not (false/absent). */
  shift?: boolean;
}

/** The parts of a keydown event a binding looks at. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

/** Whether `e` presses `spec`. */
export function keyTest(spec: KeySpec, e: KeyPress): boolean {
  const mod = e.ctrlKey || e.metaKey;
  if (!spec.ctrl) return !mod && e.key === spec.key;
  return mod && e.key.toLowerCase() === spec.key && e.shiftKey === (spec.shift ?? false);
}

const NAMES: Record<string, string> = { Escape: 'Esc' };

/** How the key is written for people: `N`, `Esc`, `Ctrl+Shift+Z`. */
export function keyLabel(spec: KeySpec): string {
  const name = NAMES[spec.key] ?? (spec.key.length === 1 ? spec.key.toUpperCase() : spec.key);
  return `${spec.ctrl ? 'Ctrl+' : ''}${spec.shift ? 'Shift+' : ''}${name}`;
}
