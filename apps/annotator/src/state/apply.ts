/** The pure reducer: `apply(doc, action)` → the next document (inputs are never mutated). */
import type { Action } from './actions.js';
import { argmax, finalMask, maskArea } from './mask-ops.js';
import { emptyDoc, emptyPrompt, promptKey, type Current, type Doc, type MaskEntry, type Prompt, type Rgb } from './types.js';

/** Distinct colours: golden-angle hues, fixed saturation and lightness. */
export function maskColor(id: number): Rgb {
  const h = ((id * 137.508) % 360) / 60;
  const s = 0.75;
  const l = 0.55;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

function startCurrent(doc: Doc, at: number): Current {
  return (
    doc.current ?? {
      prompt: emptyPrompt(),
      multimask: true,
      decodedFor: null,
      candidates: [],
      selected: 0,
      strokes: [],
      clicks: 0,
      startedAt: at,
    }
  );
}

function withPrompt(doc: Doc, prompt: Prompt, multimask: boolean, at: number): Doc {
  const cur = startCurrent(doc, at);
  return { ...doc, current: { ...cur, prompt, multimask, clicks: cur.clicks + 1 } };
}

function updateMask(doc: Doc, id: number, f: (m: MaskEntry) => MaskEntry): Doc {
  return { ...doc, masks: doc.masks.map((m) => (m.id === id ? f(m) : m)) };
}

export function apply(doc: Doc, action: Action): Doc {
  switch (action.type) {
    case 'openImage':
      return { ...emptyDoc(), image: action.image, ...(action.restore && { masks: action.restore.masks, nextId: action.restore.nextId }) };
    case 'addPoint': {
      const p = doc.current?.prompt ?? emptyPrompt();
      return withPrompt(
        doc,
        { ...p, points: [...p.points, action.point], labels: [...p.labels, action.label] },
        action.multimask,
        action.at,
      );
    }
    case 'setBox': {
      const p = doc.current?.prompt ?? emptyPrompt();
      return withPrompt(doc, { ...p, box: action.box }, action.multimask, action.at);
    }
    case 'decoded': {
      const cur = doc.current;
      if (!cur || promptKey(cur.prompt, cur.multimask) !== action.key) return doc;
      const selected = argmax(action.candidates.map((c) => c.iou));
      return { ...doc, current: { ...cur, decodedFor: action.key, candidates: action.candidates, selected } };
    }
    case 'selectCandidate': {
      const cur = doc.current;
      if (!cur || action.index < 0 || action.index >= cur.candidates.length) return doc;
      return { ...doc, current: { ...cur, selected: action.index, clicks: cur.clicks + 1 } };
    }
    case 'stroke': {
      const cur = startCurrent(doc, action.at);
      return { ...doc, current: { ...cur, strokes: [...cur.strokes, action.stroke], clicks: cur.clicks + 1 } };
    }
    case 'commit': {
      const cur = doc.current;
      if (!cur || !doc.image) return doc;
      const mask = finalMask(cur, doc.image.width, doc.image.height);
      if (maskArea(mask) === 0) return doc; // nothing to keep: the prompt stays (the UI says why)
      const pointCoords = cur.prompt.points.filter((_, i) => cur.prompt.labels[i] === 1).map(([x, y]): [number, number] => [x, y]);
      const entry: MaskEntry = {
        id: doc.nextId,
        label: action.label,
        visible: true,
        color: maskColor(doc.nextId),
        mask,
        predictedIou: cur.candidates[cur.selected]?.iou ?? 1,
        stabilityScore: null,
        pointCoords,
        clicks: cur.clicks,
        seconds: Math.max(0, (action.at - cur.startedAt) / 1000),
        source: 'interactive',
      };
      return { ...doc, masks: [...doc.masks, entry], current: null, nextId: doc.nextId + 1 };
    }
    case 'discard':
      return doc.current ? { ...doc, current: null } : doc;
    case 'keepMask': {
      const entry: MaskEntry = { ...action.entry, id: doc.nextId, color: maskColor(doc.nextId) };
      return { ...doc, masks: [...doc.masks, entry], nextId: doc.nextId + 1 };
    }
    case 'rename':
      return updateMask(doc, action.id, (m) => ({ ...m, label: action.label }));
    case 'setVisible':
      return updateMask(doc, action.id, (m) => ({ ...m, visible: action.visible }));
    case 'delete':
      return { ...doc, masks: doc.masks.filter((m) => m.id !== action.id) };
  }
}
