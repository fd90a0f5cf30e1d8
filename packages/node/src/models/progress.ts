/**
 * Words for `tsam models pull`: byte counts and the one-line summary of a pull. The library never
 * draws progress; `pullModel` reports through `onProgress` and the CLI draws the bar.
 */
import type { PullResult } from './download.js';

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
