/**
 * `tsam models pull`'s bar: bytes / total, speed and ETA, fed by `pullModel`'s `onProgress`.
 * Restarts when the phase changes (verifying a resumed prefix, then downloading). Imported only
 * inside that command's action (it loads @tsam/node).
 */
import cliProgress from 'cli-progress';
import { formatBytes, type PullProgress } from '@tsam/node';

export interface PullProgressBar {
  onProgress: (p: PullProgress) => void;
  /** Finishes the bar line; safe to call more than once. */
  stop: () => void;
}

export function pullProgress(opts: { stream?: NodeJS.WritableStream; label?: string } = {}): PullProgressBar {
  const label = opts.label ? `${opts.label} ` : '';
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream ?? process.stderr,
      format: `${label}{phase} [{bar}] {percentage}% | {value}/{total} | {speed} | ETA {eta_formatted}`,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? formatBytes(v) : String(v)),
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: PullProgress['phase'] | undefined;
  let startTime = 0;
  let startBytes = 0;
  return {
    onProgress(p) {
      const total = p.total ?? Math.max(p.bytes, 1);
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        startTime = Date.now();
        startBytes = p.bytes;
        bar.start(total, p.bytes, { phase: p.phase === 'verify' ? 'verifying  ' : 'downloading', speed: '-' });
      }
      const secs = (Date.now() - startTime) / 1000;
      const speed = secs > 0.2 ? `${formatBytes((p.bytes - startBytes) / secs)}/s` : '-';
      if (bar.getTotal() !== total) bar.setTotal(total);
      bar.update(p.bytes, { speed });
    },
    stop() {
      if (phase) bar.stop();
      phase = undefined;
    },
  };
}
