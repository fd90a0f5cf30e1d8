/** The keyboard shortcut overlay (`?`), generated from the shortcut table. */
import { SHORTCUTS } from '../interaction/keys.js';
import { store, useStore } from '../state/store.js';

export function HelpOverlay() {
  const open = useStore((s) => s.ui.help);
  if (!open) return null;
  return (
    <div className="overlay" onClick={() => store.setUi({ help: false })} data-testid="help">
      <div className="help" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard and mouse</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.label}>
                <td>
                  {s.keys.map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </td>
                <td>{s.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="hint">Hover shows a live preview. Close with Esc or ?.</p>
      </div>
    </div>
  );
}
