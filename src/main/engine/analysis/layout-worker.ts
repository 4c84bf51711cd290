// Worker thread entry for the map layout: receives one LayoutWorkerRequest, posts progress
// messages while UMAP runs, then the result with its coordinate buffer transferred (not copied).
import { parentPort } from 'node:worker_threads';
import {
  computeLayout,
  type LayoutProgress,
  type LayoutWorkerMessage,
  type LayoutWorkerRequest,
} from './layout.ts';

const port = parentPort;
if (!port) throw new Error('layout-worker.ts must run as a worker thread');

port.once('message', (request: LayoutWorkerRequest) => {
  try {
    // Progress is throttled to ~10 messages a second: the UI needs a bar, not every epoch.
    let last = 0;
    const onProgress = (progress: LayoutProgress) => {
      const t = performance.now();
      const final = progress.done === progress.total;
      if (!final && t - last < 100) return;
      last = t;
      const msg: LayoutWorkerMessage = { type: 'progress', progress };
      port.postMessage(msg);
    };
    const result = computeLayout(request.embeddings, request.params, onProgress);
    const msg: LayoutWorkerMessage = { type: 'done', result };
    port.postMessage(msg, [result.coords.buffer as ArrayBuffer, result.ids.buffer as ArrayBuffer]);
  } catch (err) {
    const msg: LayoutWorkerMessage = {
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
    };
    port.postMessage(msg);
  }
});
