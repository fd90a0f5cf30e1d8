/**
 * A small promise queue: at most `concurrency` jobs run at once, the rest wait in FIFO order; past
 * `maxPending` waiting jobs, `run` rejects with 503 instead of queueing without bound.
 */
import { HttpError } from './errors.js';

export interface QueueStats {
  running: number;
  pending: number;
  /** Jobs finished (resolved or rejected) since start. */
  done: number;
  /** The largest number of jobs that ever ran at the same time. */
  maxRunning: number;
}

export class JobQueue {
  private running = 0;
  private done = 0;
  private maxRunning = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly concurrency = 1,
    readonly maxPending = 256,
  ) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`${name} queue: concurrency must be a positive integer`);
  }

  /** Runs `job` when a slot is free. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.maxPending) {
        throw new HttpError(503, `server busy: ${this.waiting.length} ${this.name} jobs are already waiting; retry later`);
      }
      // A finishing job hands its slot over directly, so `running` never exceeds `concurrency`.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await job();
    } finally {
      this.done++;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get stats(): QueueStats {
    return { running: this.running, pending: this.waiting.length, done: this.done, maxRunning: this.maxRunning };
  }
}
