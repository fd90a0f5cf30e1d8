import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startController } from './engine/controller.js';
import { engine } from './engine/engine.js';
import { installTestHooks } from './testing-hooks.js';
import './styles.css';

startController();
installTestHooks();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
engine.start().catch((e: unknown) => engine.fail(e));
