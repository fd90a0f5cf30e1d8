/**
 * Glue between the store and the engine: decodes the current prompt whenever it has no decoder
 * output yet (after clicks, boxes, undo, redo), runs hover previews, and "everything".
 */
import { decompressRle, rleToMask, type AmgRecord, type CompressedRle, type ImagePx, type Point } from '@tsam/core';
import { maskColor } from '../state/apply.js';
import { argmax, keptMasks, maskArea } from '../state/mask-ops.js';
import { store } from '../state/store.js';
import { promptIsEmpty, promptKey, type Candidate, type ImageInfo } from '../state/types.js';
import { multimaskFor, type EverythingMask } from '../state/ui.js';
import { api } from './api.js';
import { engine, toPromptInput } from './engine.js';

let requestedKey: string | null = null;

function candidatesOf(masks: Uint8Array[], ious: number[]): Candidate[] {
  return masks.map((mask, i) => ({ mask, iou: ious[i] ?? 0 }));
}

/** Requests a decode of the current prompt if it has none (latest prompt wins). */
function ensureDecoded(): void {
  const cur = store.state.doc.current;
  if (!cur || promptIsEmpty(cur.prompt)) return;
  const key = promptKey(cur.prompt, cur.multimask);
  if (cur.decodedFor === key || requestedKey === key) return;
  requestedKey = key;
  const input = toPromptInput(cur.prompt, cur.multimask);
  engine.scheduler.request('decode', async () => {
    try {
      const r = await engine.predict(input);
      store.dispatch({ type: 'decoded', key, candidates: candidatesOf(r.masks, r.iouPredictions) });
    } catch (e) {
      engine.fail(e);
    } finally {
      if (requestedKey === key) requestedKey = null;
    }
  });
}

export function startController(): void {
  store.subscribe(ensureDecoded);
}

/** Live preview: the current prompt plus a positive point under the cursor. */
export function hoverAt(point: Point<ImagePx> | null): void {
  const { doc, ui } = store.state;
  if (!point || !doc.image || ui.tool !== 'segment' || ui.everything) {
    engine.scheduler.cancel('hover');
    if (ui.hover) store.setUi({ hover: null });
    return;
  }
  const p = doc.current?.prompt ?? { points: [], labels: [], box: null };
  const prompt = { ...p, points: [...p.points, point], labels: [...p.labels, 1 as const] };
  const multimask = multimaskFor(ui.multimask, prompt.points.length, prompt.box !== null);
  const image = doc.image;
  engine.scheduler.request('hover', async () => {
    const r = await engine.predict(toPromptInput(prompt, multimask));
    if (store.state.doc.image !== image) return;
    const best = argmax(r.iouPredictions);
    store.setUi({ hover: { point, mask: r.masks[best]!, iou: r.iouPredictions[best] ?? 0 } });
  });
}

function toEverything(records: AmgRecord[]): EverythingMask[] {
  return records.map((r, index) => {
    const seg = r.segmentation as CompressedRle;
    const mask = rleToMask(decompressRle(seg));
    return {
      index,
      mask,
      color: maskColor(index + 101), // another stretch of the palette than the kept masks
      area: maskArea(mask),
      predictedIou: r.predicted_iou,
      stabilityScore: r.stability_score,
      pointCoords: r.point_coords.map(([x, y]): [number, number] => [x, y]),
    };
  });
}

/** The running "everything" job: the image it was started on, and how to cancel it. */
let job: { image: ImageInfo; abort: AbortController } | null = null;

/**
 * "Everything": all automatic masks, from the server or (page-only mode) from the worker. One job
 * at a time (A again while it runs is ignored; Esc cancels it). The results belong to the image
 * they were computed for: if another image was opened meanwhile, they are dropped.
 */
export async function runEverything(): Promise<void> {
  const image = store.state.doc.image;
  if (!image) return;
  if (job) {
    engine.report(`Everything is already running on ${job.image.name}: press Esc to cancel it.`);
    return;
  }
  if (store.state.ui.everything) {
    store.setUi({ everything: null });
    return;
  }
  const abort = new AbortController();
  job = { image, abort };
  try {
    const t0 = performance.now();
    let records: AmgRecord[];
    if (image.id !== null) {
      engine.report('Everything: the server runs the automatic mask generator…');
      const params = { ...store.state.ui.amg };
      records = await engine.withServerImage((id) => api.amg(id, params, abort.signal));
    } else if (engine.canEverythingInPage && engine.rgb) {
      // The worker cannot be interrupted mid-run; a cancelled job's result is dropped below.
      records = (
        await engine.client.amg(engine.rgb, store.state.ui.amg, (p) => {
          if (!abort.signal.aborted) engine.report(`Everything: ${p.done} / ${p.total} prompts decoded in the page`);
        })
      ).records;
    } else {
      throw new Error('“Everything” in page-only mode needs decoder_batched.onnx');
    }
    if (abort.signal.aborted) return;
    if (store.state.doc.image !== image) {
      engine.report(`Everything for ${image.name} dropped: another image was opened while it ran.`, false);
      return;
    }
    const masks = toEverything(records).sort((a, b) => b.area - a.area);
    store.setUi({ everything: { masks, since: Date.now() }, hover: null });
    engine.report(
      `Everything: ${masks.length} masks in ${((performance.now() - t0) / 1000).toFixed(1)} s. Click one to keep it; press A or Esc to leave.`,
      false,
    );
  } catch (e) {
    if (!abort.signal.aborted) engine.fail(e);
  } finally {
    if (job?.abort === abort) job = null;
  }
}

/** Cancels a running "everything" (Esc); returns whether one was running. */
export function cancelEverything(): boolean {
  if (!job) return false;
  const { image, abort } = job;
  job = null;
  abort.abort();
  engine.report(`Everything on ${image.name} cancelled.`, false);
  return true;
}

/** Keeps the "everything" mask under `point` (the smallest one containing it). */
export function keepEverythingAt(point: Point<ImagePx>): boolean {
  const { doc, ui } = store.state;
  const ev = ui.everything;
  if (!ev || !doc.image) return false;
  const idx = Math.floor(point[1]) * doc.image.width + Math.floor(point[0]);
  const kept = keptMasks(doc);
  const hits = ev.masks.filter((m) => !kept.has(m.mask) && m.mask[idx]);
  const pick = hits.sort((a, b) => a.area - b.area)[0];
  if (!pick) return false;
  const now = Date.now();
  store.dispatch({
    type: 'keepMask',
    entry: {
      label: 'object',
      visible: true,
      mask: pick.mask,
      predictedIou: pick.predictedIou,
      stabilityScore: pick.stabilityScore,
      pointCoords: pick.pointCoords,
      clicks: 1,
      seconds: (now - ev.since) / 1000,
      source: 'everything',
    },
  });
  store.setUi({ everything: { ...ev, since: now } });
  return true;
}
