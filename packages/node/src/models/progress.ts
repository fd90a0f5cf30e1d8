/**
 * Terminal progress for `tsam models pull`. Kept apart from `pullModel` so the
 * library never writes to the console; the CLI opts in by passing `onProgress`.
 */
import cliProgress from 'cli-progress';
import type { PullProgress, PullResult } from './download.js';

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export interface ProgressBarReporter {
  onProgress: (p: PullProgress) => void;
  /** Finishes the bar line; safe to call more than once. */
  stop: () => void;
}

/**
 * A cli-progress bar on stderr showing bytes / total, speed and ETA.
 * Re-starts the bar when the phase changes (verifying a resumed prefix, then downloading).
 */
export function progressBarReporter(opts: { stream?: NodeJS.WritableStream; label?: string } = {}): ProgressBarReporter {
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

/** One-line human summary of a pull, for the CLI. */
export function describePullResult(r: PullResult): string {
  const what = r.name ?? r.url;
  const size = formatBytes(r.bytes);
  if (r.cached) {
    return r.verified
      ? `${what} is already downloaded and verified (${size}): ${r.path}`
      : `${what} is already downloaded (${size}, sha256 ${r.sha256}): ${r.path}`;
  }
  const how = r.resumed ? 'Resumed and downloaded' : 'Downloaded';
  const check = r.verified ? 'SHA-256 verified' : `sha256 ${r.sha256} (no known hash to verify against)`;
  return `${how} ${what} (${size}, ${check}): ${r.path}`;
}
