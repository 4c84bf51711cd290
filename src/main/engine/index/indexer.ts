// Runs the persistent job queue through the decode pool. Each job is keyed by the photo; what a
// job computes is keyed by content, so a duplicate, a moved file or a restart reuses finished
// work. The queue lives in the catalog: killing the process loses nothing but the jobs in flight,
// which run again on the next start (and a file that keeps killing the decoder is marked failed).
import { EventEmitter } from 'node:events';
import type { IndexProgress } from '../../../shared/domain.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { isDiskFullError } from '../catalog/database.ts';
import { DecodePool, DecoderUnavailableError, WorkerCrashedError } from './pool.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { WorkerTransport } from './worker-handle.ts';
import {
  decodeMeta,
  embeddingRecord,
  featuresAreCurrent,
  toFeatureRecords,
} from './feature-records.ts';
import type { DecodeOutcome } from './protocol.ts';
import { FaceStore } from '../faces/face-store.ts';

/** A file that took the decoder down this many times is given up on. */
const MAX_ATTEMPTS = 3;
const PROGRESS_INTERVAL_MS = 250;
const RATE_WINDOW_MS = 10_000;
const LIBRARY_DISK_FULL = "the disk holding Shoebox's library is full";

export interface IndexerEvents {
  progress: [IndexProgress];
  /** A photo row reached a final state (indexed or failed). */
  photoDone: [{ photoId: number; status: 'indexed' | 'failed' }];
  idle: [];
  /** Indexing stopped for a reason of the machine's (a full disk); it retries by itself. */
  paused: [string];
  /** A photo was indexed again after a pause. */
  resumed: [];
}

/** The embedding step of the pipeline, present while a model other than the fingerprint is active. */
export interface EmbeddingStep {
  /** The feature kind its vectors are stored under, e.g. `embedding:clip-vit-b32`. */
  kind: string;
  /** The model revision: a new revision re-embeds. */
  version: string;
  embedder: Embedder;
}

export interface IndexerOptions {
  workers: number;
  thumbnailDir: string;
  taskTimeoutMs?: number;
  transport?: WorkerTransport;
  /** After a pause (a full disk), how long before the queue is tried again. */
  retryAfterMs?: number;
  /** Look for faces in every photo (default true; benchmarks compare with it off). */
  faces?: boolean;
}

export class Indexer extends EventEmitter<IndexerEvents> {
  private readonly pool: DecodePool;
  private readonly faceStore: FaceStore;
  private readonly faces: boolean;
  private readonly running = new Set<number>();
  private stopped = false;
  private pumping = false;
  private runDone = 0;
  private runFailed = 0;
  private queued = 0;
  private readonly completions: number[] = [];
  private lastProgressAt = 0;
  private idleWaiters: (() => void)[] = [];
  private embedding: EmbeddingStep | null = null;
  /** Why indexing is paused (the machine's trouble, not a file's), or null. */
  private pausedFor: string | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  private resumePending = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly options: IndexerOptions,
  ) {
    super();
    this.faceStore = new FaceStore(catalog);
    this.faces = options.faces ?? true;
    this.pool = new DecodePool({
      size: options.workers,
      taskTimeoutMs: options.taskTimeoutMs,
      transport: options.transport,
    });
  }

  /** Starts the decode workers ahead of the first job (they take a moment to load). */
  warm(): void {
    if (!this.stopped) this.pool.warm();
  }

  /** Starts working through the queue if it is not already. Call after enqueueing jobs. */
  kick(): void {
    if (this.stopped) return;
    this.queued = this.catalog.queuedJobCount();
    this.pump();
  }

  /** Adds (or, with null, removes) the embedding step for the photos indexed from now on. */
  setEmbedding(step: EmbeddingStep | null): void {
    this.embedding = step;
  }

  /** Analyses a file outside the library with the same decoder, writing nothing. */
  probe(path: string, clipInput: boolean): Promise<DecodeOutcome> {
    return this.pool.probe(path, clipInput);
  }

  /** Resolves when the queue is empty and nothing is running. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  progress(): IndexProgress {
    const now = Date.now();
    while (this.completions.length > 0 && now - this.completions[0]! > RATE_WINDOW_MS)
      this.completions.shift();
    const windowMs = this.completions.length > 1 ? now - this.completions[0]! : 0;
    const rate = windowMs > 0 ? (this.completions.length - 1) / (windowMs / 1000) : 0;
    const remaining = this.queued;
    return {
      done: this.runDone,
      total: this.runDone + remaining,
      failed: this.runFailed,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : null,
      running: !this.isIdle(),
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    await this.pool.close();
    this.resolveIdle();
  }

  private isIdle(): boolean {
    return this.running.size === 0 && (this.stopped || this.queued === 0);
  }

  private pump(): void {
    if (this.pumping || this.pausedFor !== null) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.pausedFor === null && this.running.size < this.pool.capacity) {
        const [job] = this.catalog.nextJobs(1, this.running);
        if (!job) break;
        this.running.add(job.photoId);
        let attempts: number;
        try {
          attempts = this.catalog.recordJobAttempt(job.photoId);
        } catch (error) {
          if (!isDiskFullError(error)) throw error;
          this.running.delete(job.photoId);
          this.pause(null, LIBRARY_DISK_FULL);
          break;
        }
        if (attempts > MAX_ATTEMPTS) {
          this.finish(job.photoId, job.queuedAt, () =>
            this.catalog.markFailed(
              job.photoId,
              'the decoder stopped on this file several times; it may be damaged',
            ),
          );
          continue;
        }
        void this.run(job.photoId, job.path, job.queuedAt);
      }
    } finally {
      this.pumping = false;
    }
    if (this.isIdle()) this.resolveIdle();
  }

  private async run(photoId: number, path: string, queuedAt: number): Promise<void> {
    let outcome: DecodeOutcome;
    const embedding = this.embedding;
    try {
      outcome = await this.pool.decode(
        path,
        this.options.thumbnailDir,
        (hash) => !this.isCurrent(hash, embedding),
        embedding !== null,
        this.faces,
      );
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof DecoderUnavailableError) {
        // Not this file's fault either, and every file would meet it: wait and try again.
        this.pause(photoId, error.message);
        return;
      }
      if (error instanceof WorkerCrashedError && !error.blamesFile) {
        // Not this file's fault (the pool was restarted, or the worker died on the photo before
        // this one): the job stays queued and runs again, and this attempt does not count.
        this.running.delete(photoId);
        this.forgiveAttempt(photoId);
        this.pump();
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      this.finish(photoId, queuedAt, () => this.catalog.markFailed(photoId, reason));
      return;
    }
    if (this.stopped) return;
    if (outcome.retryLater) {
      this.pause(photoId, outcome.failure ?? 'the machine could not store the results');
      return;
    }
    // The embedding step rides on the same decode: the worker sent the CLIP crop along.
    let embedded: { step: EmbeddingStep; vector: Float32Array } | { failure: string } | null = null;
    const clipInput = outcome.features?.clipInput;
    if (embedding && clipInput) {
      try {
        const [vector] = await embedding.embedder.embedImages([clipInput]);
        embedded = { step: embedding, vector: vector! };
      } catch (error) {
        embedded = { failure: error instanceof Error ? error.message : String(error) };
      }
      if (this.stopped) return;
    }
    this.finish(photoId, queuedAt, () => this.apply(photoId, outcome, embedded));
  }

  /**
   * The job stays queued and is not counted against its file; the whole queue waits, because
   * every other file would meet the same full disk, and is tried again after a while.
   */
  private pause(photoId: number | null, reason: string): void {
    if (photoId !== null) {
      this.running.delete(photoId);
      this.forgiveAttempt(photoId);
    }
    if (this.pausedFor !== null) return;
    this.pausedFor = reason;
    this.resumePending = true;
    this.emit('paused', reason);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      this.pausedFor = null;
      this.kick();
    }, this.options.retryAfterMs ?? 30_000);
  }

  private forgiveAttempt(photoId: number): void {
    try {
      this.catalog.forgiveJobAttempt(photoId);
    } catch (error) {
      // The catalog's disk is full too: the attempt stays counted, the job stays queued.
      if (!isDiskFullError(error)) throw error;
    }
  }

  private isCurrent(contentHash: string, embedding: EmbeddingStep | null): boolean {
    const stored = this.catalog.featureVersions(contentHash);
    return (
      featuresAreCurrent(stored, this.faces) &&
      (!embedding || stored.get(embedding.kind) === embedding.version)
    );
  }

  /** Writes one outcome. Returns false when the file changed meanwhile and the result is stale. */
  private apply(
    photoId: number,
    outcome: DecodeOutcome,
    embedded: { step: EmbeddingStep; vector: Float32Array } | { failure: string } | null,
  ): boolean {
    const row = this.catalog.getPhoto(photoId);
    if (!row) return false; // removed while it was being read
    // The bytes we read are not the file the catalog knows: leave the job to run again. (A file
    // that could not even be opened has no size to compare, and its failure stands.)
    const opened = outcome.size >= 0;
    if (opened && (row.size !== outcome.size || row.mtimeMs !== outcome.mtimeMs)) return false;
    if (outcome.failure !== undefined) {
      this.catalog.markFailed(photoId, outcome.failure, outcome.contentHash);
      return true;
    }
    const hash = outcome.contentHash!;
    if (outcome.features) {
      this.catalog.putFeatures(hash, toFeatureRecords(outcome.features));
      if (outcome.features.faces) this.faceStore.putFaces(hash, outcome.features.faces);
    }
    if (embedded && 'failure' in embedded) {
      this.catalog.markFailed(photoId, embedded.failure, hash);
      return true;
    }
    if (embedded) {
      const { step, vector } = embedded;
      this.catalog.putFeatures(hash, [embeddingRecord(step.kind, step.version, vector)]);
    }
    const stored = this.catalog.feature(hash, 'meta');
    if (!stored) {
      this.catalog.markFailed(photoId, 'its features could not be stored');
      return true;
    }
    const meta = decodeMeta(stored.data);
    this.catalog.markIndexed(photoId, hash, meta);
    return true;
  }

  private finish(photoId: number, queuedAt: number, write: () => boolean | void): void {
    let applied = true;
    let dequeued = false;
    try {
      this.catalog.transaction(() => {
        applied = write() !== false;
        if (applied) dequeued = this.catalog.finishJob(photoId, queuedAt);
      });
    } catch (error) {
      // The transaction rolled back: the job is still queued and runs again after the pause.
      if (!isDiskFullError(error)) throw error;
      this.pause(photoId, LIBRARY_DISK_FULL);
      return;
    }
    this.running.delete(photoId);
    if (applied) {
      const status = this.catalog.getPhoto(photoId)?.status;
      this.runDone += 1;
      if (status === 'failed') this.runFailed += 1;
      this.completions.push(Date.now());
      if (status === 'indexed' || status === 'failed') this.emit('photoDone', { photoId, status });
      if (status === 'indexed' && this.resumePending) {
        this.resumePending = false;
        this.emit('resumed');
      }
    }
    // Counted down here rather than by COUNT(*) per photo, which grows with the queue; kick()
    // recounts whenever jobs are added.
    if (dequeued) this.queued = Math.max(0, this.queued - 1);
    this.reportProgress(false);
    this.pump();
  }

  private reportProgress(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < PROGRESS_INTERVAL_MS && !this.isIdle()) return;
    this.lastProgressAt = now;
    this.emit('progress', this.progress());
  }

  private resolveIdle(): void {
    if (this.runDone > 0 || this.idleWaiters.length > 0) this.reportProgress(true);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.emit('idle');
  }
}
