/**
 * A cli-progress bar on stderr for dataset passes, fed by the readers' `(done, total)` callbacks.
 * Byte counts (tar shards) are shown in MiB. The library itself never prints: the CLI opts in.
 */
import cliProgress from 'cli-progress';

export interface PassProgress {
  onProgress: (done: number, total: number) => void;
  stop: () => void;
}

export function progressBar(
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
