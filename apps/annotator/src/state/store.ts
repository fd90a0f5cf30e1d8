/** The app store: the document (with history) plus UI state, observable by React. */
import { useSyncExternalStore } from 'react';
import type { Action } from './actions.js';
import { History } from './history.js';
import type { Doc } from './types.js';
import { initialUi, type Ui } from './ui.js';

export interface Snapshot {
  doc: Doc;
  ui: Ui;
  canUndo: boolean;
  canRedo: boolean;
}

export class Store {
  readonly history = new History();
  private ui: Ui = initialUi();
  private snap: Snapshot;
  private readonly listeners = new Set<() => void>();

  constructor() {
    this.snap = this.build();
  }

  private build(): Snapshot {
    const h = this.history;
    return { doc: h.present, ui: this.ui, canUndo: h.canUndo, canRedo: h.canRedo };
  }

  private emit(): void {
    this.snap = this.build();
    for (const l of this.listeners) l();
  }

  get state(): Snapshot {
    return this.snap;
  }

  dispatch = (action: Action): void => {
    if (this.history.dispatch(action)) this.emit();
  };

  undo = (): void => {
    if (this.history.undo()) this.emit();
  };

  redo = (): void => {
    if (this.history.redo()) this.emit();
  };

  setUi = (patch: Partial<Ui> | ((ui: Ui) => Partial<Ui>)): void => {
    const p = typeof patch === 'function' ? patch(this.ui) : patch;
    this.ui = { ...this.ui, ...p };
    this.emit();
  };

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

export const store = new Store();

/** Re-renders when the selected slice changes (compared with ===). */
export function useStore<T>(select: (s: Snapshot) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.state));
}
