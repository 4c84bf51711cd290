// Runs a CLIP model in its own child process, so inference never blocks the engine's thread and a
// native crash costs one restart, not the app. Requests from concurrent callers are collected into
// batches (up to `batchSize`, or whatever arrived within `batchWindowMs`); the process starts on
// the first request and is shut down after `idleMs` without work.
//
// Crashes: every request in a batch that was running when the process died is retried once, on
// its own in a fresh process, so one poisonous photo cannot fail its batch-mates; a request that
// crashes the process again on its own fails with a clear reason and the queue goes on.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLIP_INPUT_BYTES, checkImageInputs, type Embedder } from './embedder.ts';
import type { FromWorker, ToWorker, WorkerOptions } from './embedding-protocol.ts';

export interface EmbeddingServiceOptions {
  /** The model's id as stored with its embeddings, and its output dimension. */
  id: string;
  dim: number;
  /** Folder holding the model files (Xenova layout). */
  modelDir: string;
  visionModel?: string;
  textModel?: string;
  /** onnxruntime intra-op threads; default: the machine's available parallelism. */
  threads?: number;
  /** Largest batch sent to the model; default 16. */
  batchSize?: number;
  /** How long a partial batch waits for company; default 5 ms. */
  batchWindowMs?: number;
  /** Shut the process down after this long without work; default 60 s. */
  idleMs?: number;
  /** Batches handed to the process ahead of the one running; default 1 (keeps it busy). */
  prefetch?: number;
  /** Crashes in a row while loading the model after which waiting work is failed; default 3. */
  maxLoadCrashes?: number;
  /** The worker module; default: embedding-worker beside this file (.ts under tsx, else .js). */
  workerEntry?: string;
  /** Node arguments for the worker; default `--import tsx` for a .ts entry, none for .js. */
  execArgv?: string[];
  /** Runtime for the worker; default process.execPath (Electron passes its own). */
  execPath?: string;
}

export interface EmbeddingServiceStats {
  running: boolean;
  pid: number | null;
  starts: number;
  crashes: number;
  batches: number;
  items: number;
  /** Time spent inside the ONNX runs, as reported by the worker. */
  inferenceMs: number;
  lastLoadMs: number | null;
}

/** Why an embedding could not be computed; `crashed` when the model process died on it. */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    readonly crashed = false,
  ) {
    super(message);
    this.name = 'EmbeddingError';
  }
}

type Kind = 'image' | 'text';

interface Item {
  kind: Kind;
  image?: Uint8Array;
  text?: string;
  resolve(v: Float32Array): void;
  reject(e: Error): void;
  /** Set after a crash: the item runs alone, and a second crash fails it. */
  isolated: boolean;
}

interface Batch {
  id: number;
  items: Item[];
}

interface Worker {
  child: ChildProcess;
  inFlight: Map<number, Batch>;
  /** We asked it to stop (idle or close), so its exit is not a crash. */
  stopping: boolean;
  /** The model finished loading: a crash after this is blamed on the inputs it was running. */
  loaded: boolean;
  exited: Promise<void>;
}

/** The worker module beside this one: .ts when running from source, .js when built. */
function defaultEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./embedding-worker.${ext}`, import.meta.url));
}

/**
 * Running from source (tests, tsx, benchmarks), the worker needs tsx's loader too. Resolved to an
 * absolute URL because `--import` resolves bare names against the working directory.
 */
function tsxArgv(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/** A suspect item is running: nothing else may share the process with it. */
function runsIsolated(worker: Worker): boolean {
  for (const batch of worker.inFlight.values()) if (batch.items[0]?.isolated) return true;
  return false;
}

export class EmbeddingService implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly opts: Required<
    Pick<
      EmbeddingServiceOptions,
      'threads' | 'batchSize' | 'batchWindowMs' | 'idleMs' | 'prefetch' | 'maxLoadCrashes'
    >
  >;
  /** Suspects from a crashed batch, run one at a time before anything else. */
  private readonly suspects = new Fifo<Item>();
  /** Text goes before images: a search typed during a library re-embed should not wait for it. */
  private readonly queues: Record<Kind, Fifo<Item>> = { text: new Fifo(), image: new Fifo() };
  /** Set while the batch window timer fires, so a partial batch is sent. */
  private windowClosed = false;
  private worker: Worker | null = null;
  private batchTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextBatchId = 1;
  private loadCrashes = 0;
  private closed = false;
  private readonly counters: Omit<EmbeddingServiceStats, 'running' | 'pid'> = {
    starts: 0,
    crashes: 0,
    batches: 0,
    items: 0,
    inferenceMs: 0,
    lastLoadMs: null,
  };

  constructor(private readonly options: EmbeddingServiceOptions) {
    this.id = options.id;
    this.dim = options.dim;
    this.opts = {
      threads: options.threads ?? availableParallelism(),
      batchSize: Math.max(1, options.batchSize ?? 16),
      batchWindowMs: options.batchWindowMs ?? 5,
      idleMs: options.idleMs ?? 60_000,
      prefetch: Math.max(0, options.prefetch ?? 1),
      maxLoadCrashes: options.maxLoadCrashes ?? 3,
    };
  }

  /** A service for a model installed by the model store (see model-store.ts). */
  static forModel(
    model: { id: string; dim: number; dir: string; visionModel: string; textModel: string },
    options: Omit<
      EmbeddingServiceOptions,
      'id' | 'dim' | 'modelDir' | 'visionModel' | 'textModel'
    > = {},
  ): EmbeddingService {
    return new EmbeddingService({
      ...options,
      id: model.id,
      dim: model.dim,
      modelDir: model.dir,
      visionModel: model.visionModel,
      textModel: model.textModel,
    });
  }

  embedImages(inputs: Uint8Array[]): Promise<Float32Array[]> {
    try {
      // Checked here so one malformed input fails its own call, not a batch of other callers.
      checkImageInputs(inputs);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.enqueue(inputs.map((image) => ({ kind: 'image', image })));
  }

  embedText(texts: string[]): Promise<Float32Array[]> {
    return this.enqueue(texts.map((text) => ({ kind: 'text', text })));
  }

  stats(): EmbeddingServiceStats {
    return {
      ...this.counters,
      running: this.worker !== null,
      pid: this.worker?.child.pid ?? null,
    };
  }

  /** Fails queued work, stops the process and waits for it to exit. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    this.failAll(new EmbeddingError('the embedding service was closed'));
    const w = this.worker;
    if (w) {
      this.stopWorker(w);
      await w.exited;
    }
  }

  /** Queues one call's inputs together (so they share batches), then sends what can go. */
  private enqueue(parts: Pick<Item, 'kind' | 'image' | 'text'>[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new EmbeddingError('the embedding service was closed'));
    const results = parts.map(
      (part) =>
        new Promise<Float32Array>((resolve, reject) => {
          this.queues[part.kind].push({ ...part, resolve, reject, isolated: false });
        }),
    );
    this.pump();
    return Promise.all(results);
  }

  private clearTimers(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.batchTimer = null;
    this.idleTimer = null;
  }

  private queued(): number {
    return this.suspects.length + this.queues.text.length + this.queues.image.length;
  }

  /** Sends batches while there is work and room in the pipeline. */
  private pump(): void {
    if (this.closed) return;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    while (this.queued() > 0) {
      const worker = this.worker ?? this.startWorker();
      // A suspect runs alone, with nothing else in flight to share its fate.
      if (runsIsolated(worker)) return;
      if (this.suspects.length > 0) {
        if (worker.inFlight.size > 0) return;
        this.sendBatch(worker, [this.suspects.shift()!]);
        continue;
      }
      if (worker.inFlight.size > this.opts.prefetch) return;
      if (this.queues.text.length > 0) {
        // Texts come from people waiting on a search, a call's texts all at once: no window.
        this.sendBatch(worker, this.queues.text.take(this.opts.batchSize));
        continue;
      }
      const queue = this.queues.image;
      if (queue.length < this.opts.batchSize && this.opts.batchWindowMs > 0 && !this.windowClosed) {
        // Images come one call per photo from concurrent indexing jobs: a partial batch waits
        // briefly for company; a full one goes now.
        this.batchTimer ??= setTimeout(() => {
          this.batchTimer = null;
          this.windowClosed = true;
          try {
            this.pump();
          } finally {
            this.windowClosed = false;
          }
        }, this.opts.batchWindowMs);
        return;
      }
      this.sendBatch(worker, queue.take(this.opts.batchSize));
    }
    this.armIdle();
  }

  private sendBatch(worker: Worker, items: Item[]): void {
    const id = this.nextBatchId++;
    const kind = items[0]!.kind;
    let message: ToWorker;
    if (kind === 'image') {
      // One contiguous buffer per batch: one copy, and no pooled Buffer's neighbours cloned along.
      const pixels = new Uint8Array(items.length * CLIP_INPUT_BYTES);
      items.forEach((item, i) => pixels.set(item.image!, i * CLIP_INPUT_BYTES));
      message = { type: 'embed', id, kind, pixels, count: items.length };
    } else {
      message = { type: 'embed', id, kind, texts: items.map((i) => i.text!), count: items.length };
    }
    worker.inFlight.set(id, { id, items });
    worker.child.send(message);
  }

  private startWorker(): Worker {
    const entry = this.options.workerEntry ?? defaultEntry();
    const execArgv = this.options.execArgv ?? (entry.endsWith('.ts') ? tsxArgv() : []);
    const workerOptions: WorkerOptions = {
      modelDir: this.options.modelDir,
      visionModel: this.options.visionModel,
      textModel: this.options.textModel,
      threads: this.opts.threads,
    };
    const child = fork(entry, [JSON.stringify(workerOptions)], {
      serialization: 'advanced',
      execArgv,
      ...(this.options.execPath ? { execPath: this.options.execPath } : {}),
      // stdout stays clean for `--json` output of the CLI; warnings still reach stderr.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let onExit: () => void = () => undefined;
    const worker: Worker = {
      child,
      inFlight: new Map(),
      stopping: false,
      loaded: false,
      exited: new Promise<void>((resolve) => (onExit = resolve)),
    };
    this.counters.starts++;
    this.worker = worker;
    child.on('message', (msg: FromWorker) => this.onMessage(worker, msg));
    child.on('error', () => undefined); // 'exit' follows and does the accounting.
    child.on('exit', (code, signal) => {
      onExit();
      this.onExit(worker, code, signal);
    });
    return worker;
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (msg.type === 'loaded') {
      worker.loaded = true;
      this.loadCrashes = 0;
      this.counters.lastLoadMs = msg.loadMs;
      if (msg.dim !== null && msg.dim !== this.dim) {
        this.failWorker(
          worker,
          new EmbeddingError(
            `model ${this.id} gives ${msg.dim}-dimensional vectors, not ${this.dim}`,
          ),
        );
      }
      return;
    }
    if (msg.type === 'error' && msg.fatal) {
      this.failWorker(
        worker,
        new EmbeddingError(`could not load model ${this.id}: ${msg.message}`),
      );
      return;
    }
    if (msg.id === null) return;
    const batch = worker.inFlight.get(msg.id);
    if (!batch) return;
    worker.inFlight.delete(msg.id);
    if (msg.type === 'error') {
      for (const item of batch.items) item.reject(new EmbeddingError(msg.message));
    } else if (msg.dim !== this.dim) {
      const err = new EmbeddingError(
        `model ${this.id} gives ${msg.dim}-dimensional vectors, not ${this.dim}`,
      );
      for (const item of batch.items) item.reject(err);
    } else {
      this.counters.batches++;
      this.counters.items += batch.items.length;
      this.counters.inferenceMs += msg.inferenceMs;
      batch.items.forEach((item, i) =>
        item.resolve(msg.vectors.slice(i * msg.dim, (i + 1) * msg.dim)),
      );
    }
    this.pump();
  }

  /** The model cannot run in this process at all: fail everything waiting and stop it. */
  private failWorker(worker: Worker, err: Error): void {
    for (const batch of worker.inFlight.values()) for (const item of batch.items) item.reject(err);
    worker.inFlight.clear();
    this.failAll(err);
    this.stopWorker(worker);
  }

  private failAll(err: Error): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    for (const queue of [this.suspects, this.queues.text, this.queues.image]) {
      for (const item of queue.take(Infinity)) item.reject(err);
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.worker === worker) this.worker = null;
    const lost = [...worker.inFlight.values()].flatMap((b) => b.items);
    worker.inFlight.clear();
    if (this.closed) {
      const err = new EmbeddingError('the embedding service was closed');
      for (const item of lost) item.reject(err);
      return;
    }
    if (worker.stopping && lost.length === 0) {
      this.pump();
      return;
    }
    this.counters.crashes++;
    const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
    if (!worker.loaded) {
      // It died before the model was up, so no input is to blame: retry the same work in a new
      // process, but not forever (a broken runtime or model file would crash every time).
      if (++this.loadCrashes >= this.opts.maxLoadCrashes) {
        const err = new EmbeddingError(
          `the embedding process crashed ${this.loadCrashes} times in a row while loading model ${this.id} (last: it ${how})`,
          true,
        );
        this.loadCrashes = 0;
        for (const item of lost) item.reject(err);
        this.failAll(err);
        return;
      }
      for (const kind of ['image', 'text'] as const) {
        this.queues[kind].unshift(lost.filter((item) => item.kind === kind));
      }
      this.pump();
      return;
    }
    const retry: Item[] = [];
    for (const item of lost) {
      if (item.isolated) {
        item.reject(
          new EmbeddingError(
            `the embedding process crashed while embedding this ${item.kind === 'image' ? 'image' : 'text'} (it ${how})`,
            true,
          ),
        );
      } else {
        item.isolated = true;
        retry.push(item);
      }
    }
    this.suspects.unshift(retry);
    this.pump();
  }

  private stopWorker(worker: Worker): void {
    if (worker.stopping) return;
    worker.stopping = true;
    if (this.worker === worker) this.worker = null;
    if (worker.child.connected) {
      worker.child.send({ type: 'shutdown' } satisfies ToWorker);
      // A worker stuck in a native call would ignore the request; don't wait on it forever.
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
      timer.unref();
      void worker.exited.then(() => clearTimeout(timer));
    } else {
      worker.child.kill('SIGKILL');
    }
  }

  private armIdle(): void {
    const worker = this.worker;
    if (!worker || worker.inFlight.size > 0 || this.queued() > 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker === worker && worker.inFlight.size === 0 && this.queued() === 0) {
        this.stopWorker(worker);
      }
    }, this.opts.idleMs);
    // An idle model process must not keep the CLI alive.
    this.idleTimer.unref();
  }
}

/** A FIFO with O(1) amortised shift, for queues that may hold a whole library's photos. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    this.compact();
    return item;
  }

  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  /** Puts items back at the front, in their order (rare: after a crash). */
  unshift(items: T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
