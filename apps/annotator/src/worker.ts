/** The decoder worker: a core SamPredictor on onnxruntime-web WASM sessions (see @tsam/web). */
import { serveSamWorker, type WorkerScopeLike } from '@tsam/web';

serveSamWorker(self as unknown as WorkerScopeLike);
