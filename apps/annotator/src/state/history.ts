/**
 * Undo/redo over actions. Each undo step keeps its action (data) and the document before it;
 * transient actions (decoder output) complete the current step instead of making a new one.
 */
import { RESETS, TRANSIENT, type Action } from './actions.js';
import { apply } from './apply.js';
import { emptyDoc, type Doc } from './types.js';

interface Step {
  action: Action;
  doc: Doc;
}

export class History {
  private doc: Doc = emptyDoc();
  private readonly undoStack: Step[] = []; // doc = before the action
  private readonly redoStack: Step[] = []; // doc = after the action
  /** Every action applied, in order (for tests and debugging). */
  readonly log: Action[] = [];

  get present(): Doc {
    return this.doc;
  }
  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Applies `action`; returns whether the document changed. */
  dispatch(action: Action): boolean {
    const next = apply(this.doc, action);
    if (next === this.doc) return false;
    this.log.push(action);
    if (RESETS.has(action.type)) {
      this.undoStack.length = 0;
      this.redoStack.length = 0;
    } else if (!TRANSIENT.has(action.type)) {
      this.undoStack.push({ action, doc: this.doc });
      this.redoStack.length = 0;
    }
    this.doc = next;
    return true;
  }

  /** Steps back; returns the undone action. */
  undo(): Action | undefined {
    const step = this.undoStack.pop();
    if (!step) return undefined;
    this.redoStack.push({ action: step.action, doc: this.doc });
    this.doc = step.doc;
    return step.action;
  }

  /** Steps forward again; returns the redone action. */
  redo(): Action | undefined {
    const step = this.redoStack.pop();
    if (!step) return undefined;
    this.undoStack.push({ action: step.action, doc: this.doc });
    this.doc = step.doc;
    return step.action;
  }

  /** The actions that undo would step back through, oldest first. */
  undoActions(): Action[] {
    return this.undoStack.map((s) => s.action);
  }
}
