// Worker thread entry for the analysis engine's heavy steps (analysis-tasks.ts): receives
// { id, task } messages one at a time, posts progress while clustering, then the result with its
// buffers transferred (not copied). It keeps the last neighbour graph it built, HNSW index
// included, so the next update is incremental; analysis-thread.ts ends it when idle.
import { parentPort } from 'node:worker_threads';
import {
  GraphKeeper,
  runClusterTask,
  transferablesOf,
  type TaskProgress,
} from './analysis-tasks.ts';
import type { AnalysisWorkerReply, AnalysisWorkerRequest } from './analysis-thread.ts';

const port = parentPort;
if (!port) throw new Error('analysis-worker.ts must run as a worker thread');

const keeper = new GraphKeeper();

port.on('message', ({ id, task }: AnalysisWorkerRequest) => {
  try {
    let result;
    if (task.kind === 'graph') {
      result = keeper.run(task);
    } else {
      // Throttled to ~10 messages a second: a progress bar needs no more.
      let last = 0;
      const onProgress = (progress: TaskProgress) => {
        const t = performance.now();
        if (progress.done < progress.total && t - last < 100) return;
        last = t;
        const reply: AnalysisWorkerReply = { id, type: 'progress', progress };
        port.postMessage(reply);
      };
      result = runClusterTask(task, onProgress);
    }
    const reply: AnalysisWorkerReply = { id, type: 'done', result };
    port.postMessage(reply, transferablesOf(result));
  } catch (err) {
    const reply: AnalysisWorkerReply = {
      id,
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
    };
    port.postMessage(reply);
  }
});
