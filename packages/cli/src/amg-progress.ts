/**
 * Progress of `tsam amg` on stderr. On a terminal: an images bar (folders; it moves within an
 * image too, from the generator's prompt progress) and a prompts bar for the current image, with
 * the per-image lines printed above them. The ETA appears only once an image is done: before
 * that, cli-progress has no rate to go on and would show `ETA NULL`/`INF`. Elsewhere (logs,
 * pipes): the lines only.
 */
import cliProgress from 'cli-progress';

const WITH_ETA = 'images  [{bar}] {images}/{total} | {duration_formatted} | ETA {eta_formatted}';
const NO_ETA = 'images  [{bar}] {images}/{total} | {duration_formatted} | ETA after the first image';

export class AmgProgress {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly overall: cliProgress.SingleBar | undefined;
  private current: cliProgress.SingleBar | undefined;
  private done = 0;

  constructor(
    total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (!stream.isTTY) return;
    this.multi = new cliProgress.MultiBar(
      { stream, hideCursor: true, clearOnComplete: true, fps: 5, etaBuffer: 100, autopadding: true },
      cliProgress.Presets.shades_classic,
    );
    if (total > 1) {
      this.overall = this.multi.create(
        total,
        0,
        { images: 0 },
        {
          format: (options, params, payload: { images: number }) =>
            cliProgress.Format.Formatter({ ...options, format: payload.images > 0 ? WITH_ETA : NO_ETA }, params, payload),
        },
      );
    }
  }

  /** A new image: a fresh prompts bar named after it. */
  startImage(name: string): void {
    this.current = this.multi?.create(1, 0, { name }, { format: '{name} [{bar}] {value}/{total} prompts' });
  }

  /** The generator's `onProgress` for the current image. */
  readonly onProgress = (done: number, total: number): void => {
    this.current?.setTotal(total);
    this.current?.update(done);
    this.overall?.update(this.done + (total > 0 ? done / total : 0), { images: this.done });
  };

  /** The current image is finished (done, skipped or failed). */
  finishImage(): void {
    this.done++;
    if (this.current) this.multi?.remove(this.current);
    this.current = undefined;
    this.overall?.update(this.done, { images: this.done });
  }

  /** Prints one line above the bars. */
  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  /** Stops the bars (idempotent: the interrupt handler and the normal end may both call it). */
  stop(): void {
    if (!this.multi) return;
    this.multi.update(); // flush the logged lines
    this.multi.stop();
  }
}
