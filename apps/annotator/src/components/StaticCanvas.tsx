/**
 * The static layer: the image and the kept masks, a pure function of its props (memoised, so
 * hovers and pointer moves never redraw it).
 */
import { memo, useEffect, useRef } from 'react';
import { renderStaticScene, type StaticScene } from '../render/scene.js';

export const StaticCanvas = memo(function StaticCanvas({ bitmap, width, height, masks, selected }: StaticScene) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) renderStaticScene(ref.current, { bitmap, width, height, masks, selected });
  }, [bitmap, width, height, masks, selected]);
  return <canvas ref={ref} className="layer static-layer" data-testid="static-canvas" />;
});
