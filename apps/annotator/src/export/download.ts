/** Building the export files and handing them to the browser as downloads. */
import type { ImageInfo, MaskEntry } from '../state/types.js';
import { toCoco, toSa1b } from './formats.js';
import { maskToPng, zip } from './binary.js';

export type ExportKind = 'coco' | 'sa1b' | 'png';

const stem = (name: string) => name.replace(/\.[^.]+$/, '') || 'image';

export interface ExportFile {
  name: string;
  type: string;
  data: Uint8Array | string;
}

/** The file for one export kind. */
export async function buildExport(kind: ExportKind, image: ImageInfo, masks: readonly MaskEntry[], polygons: boolean): Promise<ExportFile> {
  const base = stem(image.name);
  if (kind === 'coco') {
    return { name: `${base}_coco.json`, type: 'application/json', data: JSON.stringify(toCoco(image, masks, { polygons })) };
  }
  if (kind === 'sa1b') return { name: `${base}_sa1b.json`, type: 'application/json', data: JSON.stringify(toSa1b(image, masks)) };
  const entries = await Promise.all(
    masks.map(async (m, i) => ({
      name: `${base}_mask_${String(i + 1).padStart(3, '0')}_${m.label.replace(/[^\w-]+/g, '_')}.png`,
      data: await maskToPng(m.mask, image.width, image.height),
    })),
  );
  return { name: `${base}_masks.zip`, type: 'application/zip', data: zip(entries) };
}

export function download(file: ExportFile): void {
  const blob = new Blob([file.data as BlobPart], { type: file.type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
