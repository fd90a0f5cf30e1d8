/** Layout: toolbar, image sources, the canvas stack, candidates, mask list, export, status. */
import { useState, type DragEvent } from 'react';
import { AmgSettings } from './components/AmgSettings.js';
import { CanvasStack } from './components/CanvasStack.js';
import { ExportPanel } from './components/ExportPanel.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { ImagePicker } from './components/ImagePicker.js';
import { MaskList } from './components/MaskList.js';
import { StatusBar } from './components/StatusBar.js';
import { Toolbar } from './components/Toolbar.js';
import { engine } from './engine/engine.js';
import { useKeyboard } from './interaction/keyboard.js';

export function App() {
  useKeyboard();
  const [dropping, setDropping] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDropping(false);
    const file = [...e.dataTransfer.files].find((f) => f.type.startsWith('image/'));
    if (file) engine.openFile(file).catch((err: unknown) => engine.fail(err));
  };
  return (
    <div
      className={`app ${dropping ? 'dropping' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={onDrop}
    >
      <Toolbar />
      <main>
        <aside className="left">
          <ImagePicker />
          <AmgSettings />
        </aside>
        <CanvasStack />
        <aside className="right">
          <MaskList />
          <ExportPanel />
        </aside>
      </main>
      <StatusBar />
      <HelpOverlay />
    </div>
  );
}
