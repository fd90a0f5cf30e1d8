/** "Everything" parameters: grid points per side and the two quality filters (0 switches one off). */
import { store, useStore } from '../state/store.js';
import type { AmgSettings as Settings } from '../state/ui.js';

const FIELDS: { key: keyof Settings; label: string; step: number; min: number; max: number }[] = [
  { key: 'pointsPerSide', label: 'grid points per side', step: 1, min: 1, max: 64 },
  { key: 'predIouThresh', label: 'min predicted IoU', step: 0.01, min: 0, max: 1 },
  { key: 'stabilityScoreThresh', label: 'min stability', step: 0.01, min: 0, max: 1 },
];

export function AmgSettings() {
  const amg = useStore((s) => s.ui.amg);
  return (
    <section className="panel">
      <h2>Everything</h2>
      {FIELDS.map((f) => (
        <label key={f.key} className="field">
          <span>{f.label}</span>
          <input
            type="number"
            step={f.step}
            min={f.min}
            max={f.max}
            value={amg[f.key]}
            data-testid={`amg-${f.key}`}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (Number.isFinite(v)) store.setUi((u) => ({ amg: { ...u.amg, [f.key]: Math.min(f.max, Math.max(f.min, v)) } }));
            }}
          />
        </label>
      ))}
      <p className="hint">Press A or “Everything”; click a mask to keep it.</p>
    </section>
  );
}
