/**
 * The CLI's progress bars on stderr (cli-progress). Libraries only report through callbacks
 * (`onStep`, `onProgress(done, total)`); this module draws them. `tsam amg`'s two-level bar is in
 * amg-progress.ts, `tsam models pull`'s byte bar in pull-progress.ts.
 */
import cliProgress from 'cli-progress';

/** Step progress for slow one-off work (exporting a checkpoint). */
export function stepProgress(title: string): { onStep: (step: string, index: number, total: number) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  return {
    onStep(step, index, total) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: `${title} [{bar}] {value}/{total} {step}`, stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { step });
      }
      bar.update(index, { step });
    },
    stop() {
      if (bar) {
        bar.update(bar.getTotal(), { step: 'done' });
        bar.stop();
      }
    },
  };
}

export interface PassProgress {
  onProgress: (done: number, total: number) => void;
  /** Finishes the bar line; safe to call more than once. */
  stop: () => void;
}

/**
 * A bar for one pass over a dataset, fed by @tsam/dataset's `(done, total)` callbacks. Byte counts
 * (tar shards) are shown in MiB.
 */
export function passProgress(
  label: string,
  unit: 'files' | 'bytes' | 'images',
  stream: NodeJS.WritableStream = process.stderr,
): PassProgress {
  const mib = unit === 'bytes';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${mib ? 'MiB' : unit} | ETA {eta_formatted}`,
      hideCursor: true,
      fps: 5,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const scale = (v: number) => (mib ? Math.round((v / 2 ** 20) * 10) / 10 : v);
  return {
    onProgress(done, total) {
      if (!started) {
        bar.start(scale(total), 0);
        started = true;
      }
      bar.setTotal(scale(total));
      bar.update(scale(done));
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
