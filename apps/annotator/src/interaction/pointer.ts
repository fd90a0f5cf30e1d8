/**
 * Pointer input on the interactive canvas. Segment tool: hover previews, left click = positive
 * point, right click or Alt+click = negative point, drag = box; in "everything" mode a click keeps
 * the mask under it. Brush / eraser: drag paints a stroke.
 */
import { imageBox, type Box, type ImagePx, type Point } from '@tsam/core';
import { useCallback, useRef, useState, type PointerEvent, type RefObject } from 'react';
import { hoverAt, keepEverythingAt } from '../engine/controller.js';
import { store } from '../state/store.js';
import { multimaskFor } from '../state/ui.js';
import { clientToImage, insideImage } from './geometry.js';

/** The gestures this module handles, as the help overlay lists them. */
export const GESTURES: readonly { inputs: readonly string[]; label: string }[] = [
  { inputs: ['Click'], label: 'Add a positive point' },
  { inputs: ['Right click', 'Alt+Click'], label: 'Add a negative point' },
  { inputs: ['Drag'], label: 'Draw a box (brush / eraser: paint)' },
  { inputs: ['Click'], label: 'In “everything”: keep the mask under the cursor' },
];

/** Screen pixels the pointer must travel before a press becomes a box drag. */
const DRAG_THRESHOLD = 5;

export interface LocalPointer {
  cursor: Point<ImagePx> | null;
  box: Box<ImagePx> | null;
  dragging: boolean;
  stroke: Point<ImagePx>[] | null;
}

interface Press {
  clientX: number;
  clientY: number;
  start: Point<ImagePx>;
  button: number;
  alt: boolean;
}

const NONE: LocalPointer = { cursor: null, box: null, dragging: false, stroke: null };

export function usePointer(ref: RefObject<HTMLCanvasElement | null>) {
  const [local, setLocal] = useState<LocalPointer>(NONE);
  const press = useRef<Press | null>(null);
  const stroke = useRef<Point<ImagePx>[] | null>(null);

  const toImage = useCallback(
    (e: PointerEvent): Point<ImagePx> | null => {
      const img = store.state.doc.image;
      return ref.current && img ? clientToImage(e.clientX, e.clientY, ref.current, img.width, img.height) : null;
    },
    [ref],
  );

  const onPointerDown = (e: PointerEvent) => {
    const p = toImage(e);
    if (!p) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    press.current = { clientX: e.clientX, clientY: e.clientY, start: p, button: e.button, alt: e.altKey };
    if (store.state.ui.tool !== 'segment') {
      stroke.current = [p];
      setLocal({ ...NONE, cursor: p, stroke: stroke.current });
    }
  };

  const onPointerMove = (e: PointerEvent) => {
    const p = toImage(e);
    if (!p) return;
    const pr = press.current;
    if (stroke.current) {
      stroke.current = [...stroke.current, p];
      setLocal({ ...NONE, cursor: p, stroke: stroke.current });
      return;
    }
    if (
      pr &&
      pr.button === 0 &&
      !store.state.ui.everything &&
      Math.hypot(e.clientX - pr.clientX, e.clientY - pr.clientY) > DRAG_THRESHOLD
    ) {
      const [x0, y0] = pr.start;
      const box = imageBox(Math.min(x0, p[0]), Math.min(y0, p[1]), Math.max(x0, p[0]), Math.max(y0, p[1]));
      setLocal({ ...NONE, cursor: p, box, dragging: true });
      return;
    }
    setLocal({ ...NONE, cursor: p });
    if (!pr) {
      const img = store.state.doc.image;
      hoverAt(img && insideImage(p, img.width, img.height) ? p : null);
    }
  };

  const onPointerUp = (e: PointerEvent) => {
    const p = toImage(e);
    const pr = press.current;
    press.current = null;
    const { ui, doc } = store.state;
    const at = Date.now();
    if (stroke.current) {
      const points = stroke.current;
      stroke.current = null;
      setLocal({ ...NONE, cursor: p });
      if (ui.tool !== 'segment') store.dispatch({ type: 'stroke', stroke: { mode: ui.tool, radius: ui.brushRadius, points }, at });
      return;
    }
    if (!pr || !p) return;
    const pts = doc.current?.prompt.points.length ?? 0;
    if (local.dragging && local.box) {
      setLocal({ ...NONE, cursor: p });
      const [x0, y0, x1, y1] = local.box;
      if (x1 - x0 >= 2 && y1 - y0 >= 2)
        store.dispatch({ type: 'setBox', box: local.box, multimask: multimaskFor(ui.multimask, pts, true), at });
      return;
    }
    if (ui.everything) {
      keepEverythingAt(p);
      return;
    }
    const label = pr.button === 2 || pr.alt ? 0 : 1;
    if (pr.button !== 0 && pr.button !== 2) return;
    store.dispatch({
      type: 'addPoint',
      point: pr.start,
      label,
      multimask: multimaskFor(ui.multimask, pts + 1, !!doc.current?.prompt.box),
      at,
    });
  };

  const onPointerLeave = () => {
    if (press.current) return;
    setLocal(NONE);
    hoverAt(null);
  };

  return { local, handlers: { onPointerDown, onPointerMove, onPointerUp, onPointerLeave } };
}
