import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startController } from './engine/controller.js';
import { engine } from './engine/engine.js';
import { shelf } from './state/shelf.js';
import { store } from './state/store.js';
import { installTestHooks } from './testing-hooks.js';
import './styles.css';

startController();
installTestHooks();
// Kept masks live in this page only: ask before a reload or close would lose unexported ones.
window.addEventListener('beforeunload', (e) => {
  if (!shelf.hasUnsaved(store.state.doc)) return;
  e.preventDefault();
  e.returnValue = ''; // older Chromium needs it set as well
});
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
engine.start().catch((e: unknown) => engine.fail(e));
