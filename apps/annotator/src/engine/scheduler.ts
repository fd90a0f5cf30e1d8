/**
 * Decoder requests, latest wins: one runs at a time; while it runs, a newer request of the same
 * kind replaces the waiting one. Prompt decodes (clicks, boxes) go before hover previews.
 */
export type Kind = 'decode' | 'hover';

interface Slot {
  run: () => Promise<void>;
}

export class LatestWins {
  private readonly slots: Record<Kind, Slot | undefined> = { decode: undefined, hover: undefined };
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  /** Queues `run` as the latest request of `kind` (dropping an older waiting one). */
  request(kind: Kind, run: () => Promise<void>): void {
    this.slots[kind] = { run };
    void this.pump();
  }

  /** Drops the waiting hover request (e.g. the cursor left the image). */
  cancel(kind: Kind): void {
    this.slots[kind] = undefined;
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    if (!this.busy && !this.slots.decode && !this.slots.hover) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const kind: Kind | undefined = this.slots.decode ? 'decode' : this.slots.hover ? 'hover' : undefined;
        if (!kind) break;
        const slot = this.slots[kind]!;
        this.slots[kind] = undefined;
        try {
          await slot.run();
        } catch (e) {
          console.error(e);
        }
      }
    } finally {
      this.busy = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
