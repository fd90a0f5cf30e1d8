/** Where images (and, in page-only mode, the model) come from: file picker, server list. */
import { useEffect, useState } from 'react';
import { api, type ServerImage } from '../engine/api.js';
import { engine } from '../engine/engine.js';
import { useStore } from '../state/store.js';

function act(p: Promise<unknown>): void {
  p.catch((e: unknown) => engine.fail(e));
}

export function ImagePicker() {
  const mode = useStore((s) => s.ui.mode);
  const current = useStore((s) => s.doc.image);
  const [images, setImages] = useState<ServerImage[]>([]);

  useEffect(() => {
    if (mode === 'server') act(api.listImages().then(setImages));
  }, [mode, current]);

  return (
    <section className="panel">
      <h2>Image</h2>
      {mode === 'none' && (
        <label className="file">
          Model files (encoder.onnx, decoder.onnx, decoder_batched.onnx)
          <input
            type="file"
            multiple
            accept=".onnx"
            data-testid="model-files"
            onChange={(e) => act(engine.loadModelFiles([...(e.target.files ?? [])]))}
          />
        </label>
      )}
      <label className="file">
        Open an image (or drop one anywhere)
        <input
          type="file"
          accept="image/*"
          disabled={mode === 'none'}
          data-testid="open-file"
          onChange={(e) => e.target.files?.[0] && act(engine.openFile(e.target.files[0]))}
        />
      </label>
      {mode === 'server' && (
        <ul className="image-list" data-testid="server-images">
          {images.map((img) => (
            <li key={img.id}>
              <button
                className={current?.id === img.id ? 'active' : ''}
                onClick={() => act(engine.openServerImage(img))}
                data-testid="server-image"
              >
                {img.name} <span className="meta">{`${img.width}×${img.height}`}</span>
              </button>
            </li>
          ))}
          {images.length === 0 && <li className="hint">The server has no images yet.</li>}
        </ul>
      )}
    </section>
  );
}
