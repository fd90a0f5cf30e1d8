/**
 * Kept masks per image, in this page: opening another image sets the current image's masks aside,
 * and opening it again brings them back. Also knows which masks were exported, so closing or
 * reloading the page can warn about the others (`beforeunload`).
 */
import type { Doc, ImageInfo, KeptMasks, MaskEntry } from './types.js';

/** The server's content-hash id, or (page-only mode) name and size. */
export function imageKey(image: ImageInfo): string {
  return image.id ?? `${image.name}|${image.width}x${image.height}`;
}

export class MaskShelf {
  private readonly kept = new Map<string, KeptMasks>();
  /** Mask lists as they were when last exported (a list is never mutated, so identity is enough). */
  private readonly exported = new WeakSet<readonly MaskEntry[]>();

  /** Sets `doc`'s masks aside under its image. */
  stash(doc: Doc): void {
    if (doc.image) this.kept.set(imageKey(doc.image), { masks: doc.masks, nextId: doc.nextId });
  }

  /** The masks kept earlier on `image`, if any. */
  restore(image: ImageInfo): KeptMasks | undefined {
    const k = this.kept.get(imageKey(image));
    return k && k.masks.length > 0 ? k : undefined;
  }

  markExported(masks: readonly MaskEntry[]): void {
    this.exported.add(masks);
  }

  /** Whether some image (the open one included) has kept masks not exported as they are. */
  hasUnsaved(doc: Doc): boolean {
    const dirty = (masks: readonly MaskEntry[]) => masks.length > 0 && !this.exported.has(masks);
    if (doc.image && dirty(doc.masks)) return true;
    const open = doc.image ? imageKey(doc.image) : null;
    for (const [key, k] of this.kept) if (key !== open && dirty(k.masks)) return true;
    return false;
  }
}

export const shelf = new MaskShelf();
