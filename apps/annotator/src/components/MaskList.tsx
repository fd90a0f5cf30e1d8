/** The kept masks: label (editable), visibility, delete, and the effort spent on each. */
import { store, useStore } from '../state/store.js';
import type { MaskEntry } from '../state/types.js';

function Row({ m, selected }: { m: MaskEntry; selected: boolean }) {
  const [r, g, b] = m.color;
  return (
    <li className={selected ? 'selected' : ''} data-testid="mask-row" onClick={() => store.setUi({ selectedMask: selected ? null : m.id })}>
      <span className="swatch" style={{ background: `rgb(${r},${g},${b})` }} />
      <input
        aria-label="label"
        defaultValue={m.label}
        key={m.label}
        onClick={(e) => e.stopPropagation()}
        onBlur={(e) => e.target.value !== m.label && store.dispatch({ type: 'rename', id: m.id, label: e.target.value || 'object' })}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
      <span className="meta" title="clicks · seconds">
        {m.clicks}✕ · {m.seconds.toFixed(1)}s
      </span>
      <input
        type="checkbox"
        title="visible"
        checked={m.visible}
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => store.dispatch({ type: 'setVisible', id: m.id, visible: e.target.checked })}
      />
      <button
        title="delete"
        onClick={(e) => {
          e.stopPropagation();
          store.dispatch({ type: 'delete', id: m.id });
        }}
      >
        ✕
      </button>
    </li>
  );
}

export function MaskList() {
  const masks = useStore((s) => s.doc.masks);
  const selected = useStore((s) => s.ui.selectedMask);
  return (
    <section className="panel">
      <h2>Masks ({masks.length})</h2>
      {masks.length === 0 ? (
        <p className="hint">Click the image, then press Enter to keep a mask.</p>
      ) : (
        <ul className="mask-list">
          {masks.map((m) => (
            <Row key={m.id} m={m} selected={m.id === selected} />
          ))}
        </ul>
      )}
    </section>
  );
}
