// A pool of decode worker processes. Separate processes (not threads) because a native decoder
// crash or a runaway allocation must cost one file, not the app: a worker that dies or overruns
// its time is replaced and the task it was on reported as failed.
//
// Each worker holds two tasks: it analyses one while it reads and hashes the next, and while the
// engine checks that next photo's hash, so it starts each decode the moment the last one ends
// instead of waiting for the engine to hear of it, store it and send more. It analyses them one at
// a time in the order they came, so the oldest task it has not answered is the one it is on: a
// crash or a timeout is that task's, and the other one goes back to the queue, blaming nothing.
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
/** Tasks a worker holds at once: the one it analyses and the one it reads meanwhile. */
const TASKS_PER_WORKER = 2;

interface Running {
  task: DecodeTask;
  needsAnalysis: (contentHash: string) => boolean;
  resolve: (outcome: DecodeOutcome) => void;
  reject: (error: Error) => void;
  /** The task's time runs only while it is the worker's oldest: before, it waits its turn. */
  timer: NodeJS.Timeout | null;
}

interface Worker {
  handle: WorkerHandle;
  /** Oldest first: the first is the one being analysed (or, before that, read). */
  running: Running[];
  /** Callers given this worker who have not sent their task yet. */
  promised: number;
  tasksDone: number;
  /** Resolves when the worker says 'ready'; rejects if it is retired before that. */
  ready: Promise<void>;
  isReady: boolean;
  failStart: (error: Error) => void;
}

/** Tasks a worker has, or has been promised. */
const loadOf = (worker: Worker): number => worker.running.length + worker.promised;

interface Waiter {
  resolve: (worker: Worker) => void;
  reject: (error: Error) => void;
}

export class DecodePool {
  private readonly workers: Worker[] = [];
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

  /** Tasks the pool can hold at once: a caller keeping this many going keeps every worker busy. */
  get capacity(): number {
    return this.options.size * TASKS_PER_WORKER;
  }

  /** Analyses a file that is not in the library: every feature, nothing written anywhere. */
  probe(path: string, clipInput = false): Promise<DecodeOutcome> {
    return this.decode(path, null, () => true, clipInput, false);
  }

  /** Decodes one file. `needsAnalysis` is asked once the content hash is known. */
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
      worker.promised -= 1;
      const running: Running = { task, needsAnalysis, resolve, reject, timer: null };
      worker.running.push(running);
      if (worker.running.length === 1) this.startClock(worker, running);
      this.sendTo(worker, { type: 'task', task });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const worker of this.workers) {
      for (const running of worker.running.splice(0)) {
        if (running.timer) clearTimeout(running.timer);
        running.reject(new WorkerCrashedError('the indexer was stopped'));
      }
    }
    await Promise.all(this.workers.map((worker) => worker.handle.stop()));
  }

  private startClock(worker: Worker, running: Running): void {
    running.timer = setTimeout(() => {
      this.retire(
        worker,
        new TaskTimeoutError(
          `took longer than ${Math.round(this.options.taskTimeoutMs / 1000)} seconds to read`,
        ),
      );
    }, this.options.taskTimeoutMs);
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new WorkerCrashedError('the indexer was stopped'));
    this.warm();
    // After the pool gave up starting workers, a new request tries again from scratch.
    if (this.workers.length === 0) {
      this.startFailures = 0;
      this.startWorkers();
    }
    const worker = this.leastBusy();
    if (worker) {
      worker.promised += 1;
      return Promise.resolve(worker);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The worker with the fewest tasks that can take one more, if any. */
  private leastBusy(): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.workers) {
      const load = loadOf(worker);
      const worn = worker.tasksDone + load >= this.options.recycleAfter;
      if (load < TASKS_PER_WORKER && !worn && (!best || load < loadOf(best))) best = worker;
    }
    return best;
  }

  /** A worker has room for another task: a waiting caller gets it, or a worn-out worker goes. */
  private release(worker: Worker): void {
    if (this.closed || !this.workers.includes(worker)) return;
    if (worker.tasksDone >= this.options.recycleAfter) {
      if (loadOf(worker) === 0) this.retire(worker, null);
      return;
    }
    for (let free = TASKS_PER_WORKER - loadOf(worker); free > 0; free--) {
      const waiter = this.waiters.shift();
      if (!waiter) break;
      worker.promised += 1;
      waiter.resolve(worker);
    }
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
      running: [],
      promised: 0,
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
    const index = worker.running.findIndex((r) => r.task.taskId === message.taskId);
    const running = worker.running[index];
    if (!running) return;
    if (message.type === 'hashed') {
      this.sendTo(worker, {
        type: 'proceed',
        taskId: message.taskId,
        analyse: running.needsAnalysis(message.contentHash),
      });
      return;
    }
    if (running.timer) clearTimeout(running.timer);
    worker.running.splice(index, 1);
    // The next task's time starts now that it is the one the worker is on.
    const next = worker.running[0];
    if (index === 0 && next) this.startClock(worker, next);
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
    const [current, ...waiting] = worker.running.splice(0);
    if (current) {
      if (current.timer) clearTimeout(current.timer);
      current.reject(error ?? new WorkerCrashedError('the decoder was restarted'));
    }
    // Tasks that had not had their turn: not their fault; they go back to the queue.
    for (const queued of waiting)
      queued.reject(new WorkerCrashedError('the decoder was restarted'));
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
    for (const waiter of this.waiters.splice(0)) waiter.reject(unavailable);
  }

  private sendTo(worker: Worker, message: ToWorker): void {
    worker.handle.send(message);
  }
}
