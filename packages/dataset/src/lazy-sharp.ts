/**
 * sharp, loaded on first use: only drawing overlays and writing images need it, so `import
 * '@tsam/dataset'` (e.g. `tsam dataset validate`) does not load the native codec.
 */
import type sharpFn from 'sharp';

let loaded: Promise<typeof sharpFn> | undefined;

export function loadSharp(): Promise<typeof sharpFn> {
  loaded ??= import('sharp').then((m) => m.default);
  return loaded;
}
