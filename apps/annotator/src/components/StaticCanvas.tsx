/** The static layer: the image and the committed masks. Redrawn only when those change. */
import { useEffect, useRef } from 'react';
import { engine } from '../engine/engine.js';
import { STYLE_COMMITTED, STYLE_SELECTED, drawMasks } from '../render/masks.js';
import { useStore } from '../state/store.js';

export function StaticCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  const image = useStore((s) => s.doc.image);
  const masks = useStore((s) => s.doc.masks);
  const selected = useStore((s) => s.ui.selectedMask);

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !image) return;
    const { width: w, height: h } = image;
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, w, h);
    if (engine.bitmap) ctx.drawImage(engine.bitmap, 0, 0);
    const visible = masks.filter((m) => m.visible);
    drawMasks(
      ctx,
      visible.map((m) => ({ mask: m.mask, color: m.color, style: m.id === selected ? STYLE_SELECTED : STYLE_COMMITTED })),
      w,
      h,
    );
  }, [image, masks, selected]);

  return <canvas ref={ref} className="layer static-layer" data-testid="static-canvas" />;
}
