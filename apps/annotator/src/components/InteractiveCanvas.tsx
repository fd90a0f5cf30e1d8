/**
 * The interactive layer: current mask, hover preview, "everything" masks, prompt points, the box
 * being dragged, the stroke being painted and the cursor. The mask pixels are composed once per
 * change into an offscreen layer; pointer moves only redraw the marks on top.
 */
import { useEffect, useMemo, useRef } from 'react';
import { cssScale, toModel } from '../interaction/geometry.js';
import { usePointer } from '../interaction/pointer.js';
import { drawBox, drawCursor, drawPoints, drawStroke } from '../render/marks.js';
import { drawMasks } from '../render/masks.js';
import { interactiveMasks } from '../render/scene.js';
import { useStore } from '../state/store.js';
import { modelToLowRes, type ImagePx, type Point } from '@tsam/core';

export function InteractiveCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  const image = useStore((s) => s.doc.image);
  const current = useStore((s) => s.doc.current);
  const masks = useStore((s) => s.doc.masks);
  const hover = useStore((s) => s.ui.hover);
  const everything = useStore((s) => s.ui.everything);
  const tool = useStore((s) => s.ui.tool);
  const radius = useStore((s) => s.ui.brushRadius);
  const { local, handlers } = usePointer(ref);
  const dragging = local.dragging || local.stroke !== null;

  const layer = useMemo(() => {
    if (!image) return null;
    const { width: w, height: h } = image;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    drawMasks(canvas.getContext('2d')!, interactiveMasks({ image, current, masks }, { hover, everything }, dragging).layers, w, h);
    return canvas;
    // `masks` is a dependency: keeping or un-keeping an "everything" mask changes what shows.
  }, [image, current, masks, hover, everything, dragging]);

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !image) return;
    const { width: w, height: h } = image;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, w, h);
    if (layer) ctx.drawImage(layer, 0, 0);
    const px = 1 / cssScale(canvas, w); // image px per CSS px
    if (current) {
      drawPoints(ctx, current.prompt.points, current.prompt.labels, px);
      if (current.prompt.box) drawBox(ctx, current.prompt.box, px, false);
    }
    if (local.box) drawBox(ctx, local.box, px, true);
    if (local.stroke && tool !== 'segment') drawStroke(ctx, local.stroke, tool, radius);
    if (local.cursor) drawCursor(ctx, local.cursor, tool, radius, px);
  }, [image, layer, current, local, tool, radius]);

  return (
    <>
      <canvas
        ref={ref}
        className={`layer interactive-layer tool-${tool}`}
        data-testid="interactive-canvas"
        {...handlers}
        onContextMenu={(e) => e.preventDefault()}
      />
      {local.cursor && image && <CursorReadout p={local.cursor} w={image.width} h={image.height} />}
    </>
  );
}

/** The cursor in the three coordinate spaces: image px, 1024 model px, 256 low-res px. */
function CursorReadout({ p, w, h }: { p: Point<ImagePx>; w: number; h: number }) {
  const m = toModel(p, w, h);
  const l = modelToLowRes(m);
  const f = (q: readonly [number, number]) => `${q[0].toFixed(0)}, ${q[1].toFixed(0)}`;
  return (
    <div className="readout">
      image {f(p)} · model {f(m)} · low-res {f(l)}
    </div>
  );
}
