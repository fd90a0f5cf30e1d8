/** Export buttons: COCO JSON (RLE or polygons), SA-1B JSON, PNG masks (zip). */
import { buildExport, download, type ExportKind } from '../export/download.js';
import { shelf } from '../state/shelf.js';
import { store, useStore } from '../state/store.js';

async function run(kind: ExportKind): Promise<void> {
  const { doc, ui } = store.state;
  if (!doc.image) return;
  download(await buildExport(kind, doc.image, doc.masks, ui.exportPolygons));
  shelf.markExported(doc.masks);
}

export function ExportPanel() {
  const polygons = useStore((s) => s.ui.exportPolygons);
  const count = useStore((s) => s.doc.masks.length);
  return (
    <section className="panel">
      <h2>Export</h2>
      <label className="inline">
        <input
          type="checkbox"
          checked={polygons}
          onChange={(e) => store.setUi({ exportPolygons: e.target.checked })}
          data-testid="export-polygons"
        />
        COCO polygons (else RLE)
      </label>
      <div className="row">
        <button disabled={!count} onClick={() => void run('coco')} data-testid="export-coco">
          COCO
        </button>
        <button disabled={!count} onClick={() => void run('sa1b')} data-testid="export-sa1b">
          SA-1B
        </button>
        <button disabled={!count} onClick={() => void run('png')} data-testid="export-png">
          PNG masks
        </button>
      </div>
    </section>
  );
}
