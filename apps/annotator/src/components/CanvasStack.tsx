/** The two canvases stacked over each other, scaled together to fit the view (image aspect kept). */
import { useLayoutEffect, useRef, useState } from 'react';
import { useStore } from '../state/store.js';
import { Candidates } from './Candidates.js';
import { InteractiveCanvas } from './InteractiveCanvas.js';
import { StaticCanvas } from './StaticCanvas.js';

function useFit(w: number, h: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fit = () => {
      const s = Math.min(el.clientWidth / w, el.clientHeight / h);
      setSize({ width: Math.floor(w * s), height: Math.floor(h * s) });
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, [w, h]);
  return { ref, size };
}

export function CanvasStack() {
  const image = useStore((s) => s.doc.image);
  const bitmap = useStore((s) => s.ui.bitmap);
  const masks = useStore((s) => s.doc.masks);
  const selected = useStore((s) => s.ui.selectedMask);
  const { ref, size } = useFit(image?.width ?? 1, image?.height ?? 1);
  return (
    <div className="stage-wrap">
      <div className={`stage ${image ? '' : 'empty'}`} ref={ref}>
        {image ? (
          <div className="stack" style={size}>
            <StaticCanvas bitmap={bitmap} width={image.width} height={image.height} masks={masks} selected={selected} />
            <InteractiveCanvas />
          </div>
        ) : (
          <p>Open an image: use the file picker, drop a file here, or pick one of the server’s images.</p>
        )}
      </div>
      <Candidates />
    </div>
  );
}
