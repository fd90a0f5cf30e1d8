/** Tools, multimask mode, undo/redo, "everything", keep/clear and help. */
import { runEverything } from '../engine/controller.js';
import { commitCurrent } from '../interaction/keys.js';
import { store, useStore } from '../state/store.js';
import type { MultimaskMode, Tool } from '../state/ui.js';

const TOOLS: { tool: Tool; label: string; key: string }[] = [
  { tool: 'segment', label: 'Segment', key: 'S' },
  { tool: 'brush', label: 'Brush', key: 'B' },
  { tool: 'erase', label: 'Eraser', key: 'E' },
];

export function Toolbar() {
  const ui = useStore((s) => s.ui);
  const canUndo = useStore((s) => s.canUndo);
  const canRedo = useStore((s) => s.canRedo);
  const hasImage = useStore((s) => s.doc.image !== null);
  const hasCurrent = useStore((s) => s.doc.current !== null);

  return (
    <div className="toolbar" role="toolbar">
      <span className="brand">tsam annotator</span>
      {TOOLS.map((t) => (
        <button
          key={t.tool}
          data-testid={`tool-${t.tool}`}
          className={ui.tool === t.tool ? 'active' : ''}
          onClick={() => store.setUi({ tool: t.tool, hover: null })}
          title={`${t.label} (${t.key})`}
        >
          {t.label}
        </button>
      ))}
      {ui.tool !== 'segment' && (
        <label className="inline">
          size
          <input
            type="range"
            min={1}
            max={80}
            value={ui.brushRadius}
            onChange={(e) => store.setUi({ brushRadius: Number(e.target.value) })}
          />
        </label>
      )}
      <label className="inline" title="Multimask output (M)">
        masks
        <select value={ui.multimask} onChange={(e) => store.setUi({ multimask: e.target.value as MultimaskMode })} data-testid="multimask">
          <option value="auto">auto</option>
          <option value="on">3</option>
          <option value="off">1</option>
        </select>
      </label>
      <span className="sep" />
      <button onClick={store.undo} disabled={!canUndo} data-testid="undo" title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button onClick={store.redo} disabled={!canRedo} data-testid="redo" title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <span className="sep" />
      <button onClick={commitCurrent} disabled={!hasCurrent} data-testid="commit" title="Keep the current mask (Enter)">
        Keep mask
      </button>
      <button onClick={() => store.dispatch({ type: 'discard' })} disabled={!hasCurrent} title="Clear (Esc)">
        Clear
      </button>
      <button
        onClick={() => void runEverything()}
        disabled={!hasImage}
        className={ui.everything ? 'active' : ''}
        data-testid="everything"
        title="All masks (A)"
      >
        Everything
      </button>
      <span className="sep" />
      <button onClick={() => store.setUi({ help: !ui.help })} title="Keyboard shortcuts (?)" data-testid="help-button">
        ?
      </button>
    </div>
  );
}
