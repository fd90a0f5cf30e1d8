/**
 * `window.__tsam`: read-only hooks for the end-to-end tests (and curious users in the console).
 * Masks come back as uncompressed COCO RLE, exactly the pixels the interactive canvas shows:
 * both compute them with `interactiveMasks` from the store (no drag is in progress while a test reads).
 */
import { imagePoint, maskToRle, type Rle } from '@tsam/core';
import { engine } from './engine/engine.js';
import { imageToClient } from './interaction/geometry.js';
import { interactiveMasks } from './render/scene.js';
import { store } from './state/store.js';

function rle(mask: Uint8Array | null): Rle | null {
  const img = store.state.doc.image;
  return mask && img ? maskToRle(mask, img.height, img.width) : null;
}

/** The interactive canvas's masks for the current state, with the pointer up. */
const shownMasks = () => interactiveMasks(store.state.doc, store.state.ui, false);

/** Every distinct status text, in order (installTestHooks records them). */
const statusLog: string[] = [];

const hooks = {
  /** Mode, image, prompt, candidates, masks and history in plain JSON. */
  state() {
    const { doc, ui, canUndo, canRedo } = store.state;
    const cur = doc.current;
    return {
      mode: ui.mode,
      runtime: ui.runtime,
      status: ui.status,
      image: doc.image,
      current: cur && {
        points: cur.prompt.points.map(([x, y]) => [x, y]),
        labels: cur.prompt.labels,
        box: cur.prompt.box && [...cur.prompt.box],
        multimask: cur.multimask,
        decoded: cur.decodedFor !== null,
        ious: cur.candidates.map((c) => c.iou),
        selected: cur.selected,
        strokes: cur.strokes.length,
        clicks: cur.clicks,
      },
      masks: doc.masks.map((m) => ({
        id: m.id,
        label: m.label,
        visible: m.visible,
        clicks: m.clicks,
        seconds: m.seconds,
        source: m.source,
      })),
      everything: ui.everything?.masks.length ?? null,
      canUndo,
      canRedo,
      actions: store.history.log.map((a) => a.type),
    };
  },
  /** The current mask as shown (candidate + strokes), or null. */
  currentMask: () => rle(shownMasks().current),
  /** The hover preview as shown, with the point it was decoded for. */
  previewMask: () => {
    const h = store.state.ui.hover;
    const preview = shownMasks().preview;
    return h && preview ? { point: [h.point[0], h.point[1]], iou: h.iou, rle: rle(preview) } : null;
  },
  /** Client (CSS px) position of an image pixel on the interactive canvas. */
  imageToClient(x: number, y: number) {
    const el = document.querySelector('[data-testid="interactive-canvas"]');
    const img = store.state.doc.image;
    if (!el || !img) throw new Error('no image open');
    return imageToClient(imagePoint(x, y), el, img.width, img.height);
  },
  /** Resolves when no decoder request runs or waits. */
  idle: () => engine.scheduler.idle(),
  /** Every status text shown so far, in order. */
  statusLog: () => [...statusLog],
  /** The kept masks, in list order, as uncompressed RLE. */
  masksRle: () => store.state.doc.masks.map((m) => rle(m.mask)),
  /** The "everything" masks on show, as uncompressed RLE. */
  everythingRle: () => (store.state.ui.everything?.masks ?? []).map((m) => rle(m.mask)),
  /** Decoder latencies (ms): in the worker, and page round trips. */
  latency: () => ({ worker: [...engine.latency.worker], roundTrip: [...engine.latency.roundTrip] }),
};

export type TsamTestHooks = typeof hooks;

export function installTestHooks(): void {
  store.subscribe(() => {
    const text = store.state.ui.status.text;
    if (statusLog.at(-1) !== text) statusLog.push(text);
  });
  (window as unknown as { __tsam: TsamTestHooks }).__tsam = hooks;
}
