/** Tools, multimask mode, undo/redo, "everything", keep/clear and help. */
import { everything, help, keep, redo, titleOf, tools, undo } from '../interaction/actions.js';
import { perform } from '../interaction/keyboard.js';
import { store, useStore } from '../state/store.js';
import type { MultimaskMode, Tool } from '../state/ui.js';

const TOOLS: { tool: Tool; label: string }[] = [
  { tool: 'segment', label: 'Segment' },
  { tool: 'brush', label: 'Brush' },
  { tool: 'erase', label: 'Eraser' },
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
          onClick={() => perform(tools[t.tool])}
          title={titleOf(tools[t.tool], t.label)}
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
      <button onClick={() => perform(undo)} disabled={!canUndo} data-testid="undo" title={titleOf(undo)}>
        Undo
      </button>
      <button onClick={() => perform(redo)} disabled={!canRedo} data-testid="redo" title={titleOf(redo)}>
        Redo
      </button>
      <span className="sep" />
      <button onClick={() => perform(keep)} disabled={!hasCurrent} data-testid="commit" title={titleOf(keep, 'Keep the current mask')}>
        Keep mask
      </button>
      <button onClick={() => store.dispatch({ type: 'discard' })} disabled={!hasCurrent} title="Clear (Esc)">
        Clear
      </button>
      <button
        onClick={() => perform(everything)}
        disabled={!hasImage}
        className={ui.everything ? 'active' : ''}
        data-testid="everything"
        title={titleOf(everything, 'All masks')}
      >
        Everything
      </button>
      <span className="sep" />
      <button onClick={() => perform(help)} title={titleOf(help, 'Keyboard shortcuts')} data-testid="help-button">
        ?
      </button>
    </div>
  );
}
