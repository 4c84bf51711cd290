// A pool of decode worker processes, one task at a time each. Separate processes (not threads)
// because a native decoder crash or a runaway allocation must cost one file, not the app: a
// worker that dies or overruns its time is replaced and its task reported as failed.
import type { DecodeOutcome, DecodeTask, FromWorker, ToWorker } from './protocol.ts';
import { resolveWorkerEntry } from './worker-entry.ts';
import { startWorker, type WorkerHandle, type WorkerTransport } from './worker-handle.ts';

export interface PoolOptions {
  size: number;
  /** A task running longer than this is stopped and its file marked failed. */
  taskTimeoutMs?: number;
  /** Restart a worker after this many tasks, so native heap fragmentation cannot pile up. */
  recycleAfter?: number;
  /** Heap limit of each worker's JavaScript side; image buffers live outside it. */
  maxOldSpaceMb?: number;
  /** Worker processes (default) or threads (hosts that cannot start Node processes). */
  transport?: WorkerTransport;
}

/** A worker ended under a task. `blamesFile`: it died on that file, rather than being stopped. */
export class WorkerCrashedError extends Error {
  constructor(
    message: string,
    readonly blamesFile = false,
  ) {
    super(message);
  }
}
export class TaskTimeoutError extends Error {}
/**
 * Workers keep dying before they are ready (a broken install, a machine out of memory): no
 * photo is to blame, and starting more would only loop. The message says why, in one sentence.
 */
export class DecoderUnavailableError extends Error {}

/** Workers in a row that may die before saying 'ready' before the pool stops starting them. */
const MAX_START_FAILURES = 3;

interface Running {
  task: DecodeTask;
  needsAnalysis: (contentHash: string) => boolean;
  resolve: (outcome: DecodeOutcome) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Worker {
  handle: WorkerHandle;
  running: Running | null;
  tasksDone: number;
  /** Resolves when the worker says 'ready'; rejects if it is retired before that. */
  ready: Promise<void>;
  isReady: boolean;
  failStart: (error: Error) => void;
}

interface Waiter {
  resolve: (worker: Worker) => void;
  reject: (error: Error) => void;
}

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiters: Waiter[] = [];
  /** Workers that died before they were ready, in a row. */
  private startFailures = 0;
  private nextTaskId = 1;
  private closed = false;
  private started = false;
  private readonly options: Required<PoolOptions>;

  constructor(options: PoolOptions) {
    this.options = {
      size: options.size,
      taskTimeoutMs: options.taskTimeoutMs ?? 120_000,
      recycleAfter: options.recycleAfter ?? 1000,
      maxOldSpaceMb: options.maxOldSpaceMb ?? 256,
      transport: options.transport ?? 'process',
    };
  }

  /**
   * Starts the workers, if they are not running yet. The first decode does this anyway; a
   * caller that knows work is coming (a scan) calls it early so the workers load while it
   * scans. A library opened only to be read (`shoebox status`) never starts them.
   */
  warm(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.startWorkers();
  }

  private startWorkers(): void {
    for (let i = 0; i < this.options.size; i += 1) this.addWorker();
  }

  get size(): number {
    return this.options.size;
  }

  /** Decodes one file. `needsAnalysis` is asked once the content hash is known. */
  /** Analyses a file that is not in the library: every feature, nothing written anywhere. */
  probe(path: string, clipInput = false): Promise<DecodeOutcome> {
    return this.decode(path, null, () => true, clipInput, false);
  }

  async decode(
    path: string,
    thumbnailDir: string | null,
    needsAnalysis: (contentHash: string) => boolean,
    clipInput = false,
    faces = false,
  ): Promise<DecodeOutcome> {
    let worker: Worker;
    for (;;) {
      worker = await this.acquire();
      try {
        await worker.ready;
        break;
      } catch (error) {
        // It died before it was ready: another is starting, unless the pool gave up.
        if (error instanceof DecoderUnavailableError || this.closed) throw error;
      }
    }
    const task: DecodeTask = { taskId: this.nextTaskId++, path, thumbnailDir, clipInput, faces };
    return new Promise<DecodeOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.retire(
          worker,
          new TaskTimeoutError(
            `took longer than ${Math.round(this.options.taskTimeoutMs / 1000)} seconds to read`,
          ),
        );
      }, this.options.taskTimeoutMs);
      worker.running = { task, needsAnalysis, resolve, reject, timer };
      this.sendTo(worker, { type: 'task', task });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const worker of this.workers) {
      worker.running?.reject(new WorkerCrashedError('the indexer was stopped'));
    }
    await Promise.all(this.workers.map((worker) => worker.handle.stop()));
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new WorkerCrashedError('the indexer was stopped'));
    this.warm();
    // After the pool gave up starting workers, a new request tries again from scratch.
    if (this.workers.length === 0) {
      this.startFailures = 0;
      this.startWorkers();
    }
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(worker: Worker): void {
    if (this.closed || !this.workers.includes(worker)) return;
    if (worker.tasksDone >= this.options.recycleAfter) {
      this.retire(worker, null);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(worker);
    else this.idle.push(worker);
  }

  private addWorker(): void {
    const entry = resolveWorkerEntry(import.meta.url, 'decode-worker');
    const handle = startWorker(entry, this.options.transport, {
      maxOldSpaceMb: this.options.maxOldSpaceMb,
    });
    let markReady: () => void = () => {};
    let failStart: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    // Nobody may be waiting when a worker dies on start.
    ready.catch(() => undefined);
    const worker: Worker = {
      handle,
      running: null,
      tasksDone: 0,
      ready,
      isReady: false,
      failStart,
    };
    handle.onMessage((message) => {
      const typed = message as FromWorker;
      if (typed.type === 'ready') {
        worker.isReady = true;
        this.startFailures = 0;
        markReady();
      } else this.onMessage(worker, typed);
    });
    handle.onExit((crash) => {
      if (!this.workers.includes(worker)) return;
      this.retire(worker, new WorkerCrashedError(crash ?? 'the decoder stopped', crash !== null));
    });
    this.workers.push(worker);
    this.release(worker);
  }

  private onMessage(worker: Worker, message: Exclude<FromWorker, { type: 'ready' }>): void {
    const running = worker.running;
    if (!running || running.task.taskId !== message.taskId) return;
    if (message.type === 'hashed') {
      this.sendTo(worker, {
        type: 'proceed',
        taskId: message.taskId,
        analyse: running.needsAnalysis(message.contentHash),
      });
      return;
    }
    clearTimeout(running.timer);
    worker.running = null;
    worker.tasksDone += 1;
    if (message.type === 'done') {
      running.resolve({
        contentHash: message.contentHash,
        size: message.size,
        mtimeMs: message.mtimeMs,
        features: message.features,
      });
    } else {
      running.resolve({
        contentHash: message.contentHash,
        size: message.size,
        mtimeMs: message.mtimeMs,
        failure: message.reason,
        ...(message.retryLater ? { retryLater: true } : {}),
      });
    }
    this.release(worker);
  }

  /** Takes a worker out of service (crashed, timed out or worn) and starts a fresh one. */
  private retire(worker: Worker, error: Error | null): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.workers.splice(index, 1);
    const idleIndex = this.idle.indexOf(worker);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    if (worker.running) {
      clearTimeout(worker.running.timer);
      worker.running.reject(error ?? new WorkerCrashedError('the decoder was restarted'));
      worker.running = null;
    }
    worker.handle.kill();
    if (!this.closed && !worker.isReady && error) {
      this.startFailures += 1;
      if (this.startFailures >= MAX_START_FAILURES) {
        this.giveUpStarting(worker, error.message);
        return;
      }
    }
    if (!worker.isReady)
      worker.failStart(error ?? new WorkerCrashedError('the decoder was restarted'));
    if (!this.closed) this.addWorker();
  }

  /**
   * Stops replacing workers that die on start: whoever waits for one is told why, in one
   * sentence, and the next request starts afresh (the indexer pauses and tries again later).
   */
  private giveUpStarting(last: Worker, reason: string): void {
    // Some workers run: the pool carries on with those, and whoever waited on this one takes one.
    if (this.workers.some((w) => w.isReady)) {
      last.failStart(new WorkerCrashedError(reason));
      return;
    }
    // The handle's reason ends with what the system said: "(exit code 1)", "(SIGSEGV)".
    const detail = /\(([^()]*)\)$/.exec(reason)?.[1] ?? reason;
    const unavailable = new DecoderUnavailableError(
      `the photo decoder could not start (it stopped ${MAX_START_FAILURES} times in a row: ${detail})`,
    );
    last.failStart(unavailable);
    for (const worker of this.workers.splice(0)) {
      worker.handle.kill();
      worker.failStart(unavailable);
    }
    this.idle.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter.reject(unavailable);
  }

  private sendTo(worker: Worker, message: ToWorker): void {
    worker.handle.send(message);
  }
}
