/** The multimask candidates of the current prompt, with predicted IoU; click or 1/2/3 picks one. */
import { useEffect, useRef } from 'react';
import { store, useStore } from '../state/store.js';

function Thumb({ mask, w, h }: { mask: Uint8Array; w: number; h: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const scale = Math.min(1, 96 / Math.max(w, h));
    c.width = Math.max(1, Math.round(w * scale));
    c.height = Math.max(1, Math.round(h * scale));
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(c.width, c.height);
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const on = mask[Math.min(h - 1, Math.floor(y / scale)) * w + Math.min(w - 1, Math.floor(x / scale))];
        const o = (y * c.width + x) * 4;
        img.data.set(on ? [30, 144, 255, 255] : [40, 44, 52, 255], o);
      }
    }
    ctx.putImageData(img, 0, 0);
  }, [mask, w, h]);
  return <canvas ref={ref} className="thumb" />;
}

/** The strip's height is reserved even when empty, so the canvas above never moves or shrinks. */
export function Candidates() {
  const current = useStore((s) => s.doc.current);
  const image = useStore((s) => s.doc.image);
  if (!current || !image || current.candidates.length < 2) return <div className="candidates" />;
  return (
    <div className="candidates" data-testid="candidates">
      {current.candidates.map((c, i) => (
        <button
          key={i}
          className={`candidate ${i === current.selected ? 'active' : ''}`}
          data-testid={`candidate-${i + 1}`}
          onClick={() => store.dispatch({ type: 'selectCandidate', index: i })}
          title={`Candidate ${i + 1} (key ${i + 1})`}
        >
          <Thumb mask={c.mask} w={image.width} h={image.height} />
          <span>
            {i + 1} · IoU {c.iou.toFixed(3)}
          </span>
        </button>
      ))}
    </div>
  );
}
