/** Status line: what the app is doing (downloads, encoding in the page, …), runtime, decoder latency. */
import { useStore } from '../state/store.js';

export function StatusBar() {
  const status = useStore((s) => s.ui.status);
  const runtime = useStore((s) => s.ui.runtime);
  const mode = useStore((s) => s.ui.mode);
  return (
    <footer className={`status ${status.error ? 'error' : ''}`}>
      {status.busy && <span className="spinner" />}
      <span data-testid="status">{status.text}</span>
      {status.progress !== undefined && status.busy && <progress max={1} value={status.progress} />}
      <span className="grow" />
      <span className="runtime" data-testid="runtime">
        {mode === 'page' ? 'page-only · ' : mode === 'server' ? 'server embeddings · ' : ''}
        {runtime}
      </span>
    </footer>
  );
}
