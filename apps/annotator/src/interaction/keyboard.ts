/** The action table bound to this page's store and engine, and the window's keydown handler. */
import { useEffect } from 'react';
import { cancelEverything, runEverything } from '../engine/controller.js';
import { engine } from '../engine/engine.js';
import { store } from '../state/store.js';
import { actionForKey, type ActionContext, type AppAction } from './actions.js';

const context: ActionContext = {
  store,
  report: (text) => engine.report(text, false),
  runEverything: () => void runEverything(),
  cancelEverything,
};

/** Runs `action` on the page's store (the toolbar's buttons). */
export function perform(action: AppAction): void {
  action.perform(context);
}

/** Installs the shortcuts on the window (ignored while typing in a text field, except Esc). */
export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') && e.key !== 'Escape') return;
      const action = actionForKey(e);
      if (!action) return;
      e.preventDefault();
      perform(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
