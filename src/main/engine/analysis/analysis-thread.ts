// The engine's side of the analysis worker thread (analysis-worker.ts): one long-lived worker,
// started on the first task, that runs tasks in the order they are given while the engine's own
// thread goes on answering the grid, thumbnails and status. It keeps the last neighbour graph
// (and its HNSW index) between tasks, so it is ended after `idleMs` without work to give the
// memory back, and it never keeps the process alive while idle. close() ends it at once.
import { Worker } from 'node:worker_threads';
import type { AnalysisTask, GraphOutcome, TaskOutcome, TaskProgress } from './analysis-tasks.ts';
import type { ClusterResult } from './clusters.ts';
import { workerThreadTarget } from './worker-thread.ts';

export interface AnalysisWorkerRequest {
  id: number;
  task: AnalysisTask;
}

export type AnalysisWorkerReply =
  | { id: number; type: 'progress'; progress: TaskProgress }
  | { id: number; type: 'done'; result: GraphOutcome | ClusterResult }
  | { id: number; type: 'error'; message: string };

export interface AnalysisThreadOptions {
  /** The worker (and the graph it holds) is ended after this long without a task. Default 60 s. */
  idleMs?: number;
}

interface Pending {
  resolve(result: GraphOutcome | ClusterResult): void;
  reject(error: Error): void;
  onProgress?: (progress: TaskProgress) => void;
}

export class AnalysisThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly idleMs: number;
  /** Workers started so far (a test can tell a reused worker from a new one). */
  started = 0;

  constructor(options: AnalysisThreadOptions = {}) {
    this.idleMs = options.idleMs ?? 60_000;
  }

  /** Whether a worker is running now (busy or idle). */
  get alive(): boolean {
    return this.worker !== null;
  }

  /**
   * Runs a task in the worker. Inputs are posted, not transferred (the engine keeps its copies;
   * embeddings in shared memory cost nothing to post); the result's buffers are transferred.
   */
  run<T extends AnalysisTask>(
    task: T,
    hooks: { onProgress?: (progress: TaskProgress) => void } = {},
  ): Promise<TaskOutcome<T>> {
    if (this.closed) return Promise.reject(closedError());
    const worker = this.ensureWorker();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    worker.ref();
    const id = this.nextId++;
    return new Promise<TaskOutcome<T>>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (result: GraphOutcome | ClusterResult) => void,
        reject,
        onProgress: hooks.onProgress,
      });
      const request: AnalysisWorkerRequest = { id, task };
      try {
        worker.postMessage(request);
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
        this.settled();
      }
    });
  }

  /**
   * Ends the worker; tasks in flight reject with an AbortError. A running build stops at its
   * next step (a graph build inserts into the index in slices of about half a second), so this
   * resolves promptly and nothing is left to hold the process open.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.failAll(closedError());
    await this.stopWorker();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { url, execArgv } = workerThreadTarget('analysis-worker', import.meta.url);
    const worker = new Worker(url, execArgv ? { execArgv } : {});
    this.started += 1;
    this.worker = worker;
    worker.on('message', (reply: AnalysisWorkerReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      if (reply.type === 'progress') {
        pending.onProgress?.(reply.progress);
        return;
      }
      this.pending.delete(reply.id);
      if (reply.type === 'done') pending.resolve(reply.result);
      else pending.reject(new Error(reply.message));
      this.settled();
    });
    worker.on('error', (error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new Error(`The analysis worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new Error(`The analysis worker stopped (exit code ${code}).`));
    });
    return worker;
  }

  /** With nothing left to do, the worker stops holding the process open and is ended later. */
  private settled(): void {
    if (this.pending.size > 0 || !this.worker) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size === 0) void this.stopWorker();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

function closedError(): Error {
  return new DOMException('The analysis was stopped: the library is closing.', 'AbortError');
}
