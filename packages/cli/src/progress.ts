/** Step progress for slow one-off work (exporting a checkpoint), on stderr. */
import cliProgress from 'cli-progress';

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
