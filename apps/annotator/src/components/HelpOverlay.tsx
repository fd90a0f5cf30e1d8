/** The shortcut overlay (`?`), generated from the action table and the pointer's gestures. */
import { keyRows } from '../interaction/actions.js';
import { GESTURES } from '../interaction/pointer.js';
import { store, useStore } from '../state/store.js';

function Row({ inputs, label }: { inputs: readonly string[]; label: string }) {
  return (
    <tr>
      <td>
        {inputs.map((k) => (
          <kbd key={k}>{k}</kbd>
        ))}
      </td>
      <td>{label}</td>
    </tr>
  );
}

export function HelpOverlay() {
  const open = useStore((s) => s.ui.help);
  if (!open) return null;
  return (
    <div className="overlay" onClick={() => store.setUi({ help: false })} data-testid="help">
      <div className="help" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard and mouse</h2>
        <table>
          <tbody>
            {GESTURES.map((g) => (
              <Row key={g.label} inputs={g.inputs} label={g.label} />
            ))}
            {keyRows().map((r) => (
              <Row key={r.name} inputs={r.inputs} label={r.label} />
            ))}
          </tbody>
        </table>
        <p className="hint">Hover shows a live preview. Close with Esc or ?.</p>
      </div>
    </div>
  );
}
