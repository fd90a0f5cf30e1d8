/**
 * Ctrl-C: one "interrupted" line on stderr and exit status 130 (128 + SIGINT), instead of a silent
 * death. Partial files are the commands' business: downloads keep their `.part` (resumable),
 * everything else writes only after the work is done. `tsam serve` replaces this with its own
 * graceful shutdown.
 */
let installed = false;

function onSigint(): void {
  process.stderr.write('\ntsam: interrupted (Ctrl-C)\n');
  process.exit(130);
}

export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSigint);
}

export function removeInterruptHandler(): void {
  installed = false;
  process.off('SIGINT', onSigint);
}
