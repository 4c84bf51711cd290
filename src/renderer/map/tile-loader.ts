// Loads the map's thumbnail tiles on demand: a few at a time, the most wanted first, and each
// fetch aborted (AbortController) as soon as its photo leaves the view. A tile that failed (a
// network error, an engine restarting, a photo not yet indexed) is asked for again later, each
// time after twice as long, so a broken photo costs a request a minute at most. The fetching and
// decoding themselves are given (map/thumbnail-layer.ts's loadTile), so this is tested with fakes.

export interface TileLoaderOptions<T> {
  /** Fetches and decodes one photo's tile; null when the photo has none. Honours the signal. */
  load(id: number, signal: AbortSignal): Promise<T | null>;
  /** Each tile as it arrives. Not called for fetches aborted or cleared meanwhile. */
  onTile(id: number, tile: T): void;
  /** A tile that came too late to be wanted: its resources go (ImageBitmap.close). */
  discard(tile: T): void;
  /** Failed tiles may be asked for again now: the owner should call want() soon. */
  onRetry(): void;
  /** Fetches at once, at most. */
  concurrency: number;
  /** The wait before a failed tile is asked for again; doubled at each failure. */
  retryMs: number;
  /** The longest wait between retries. */
  maxRetryMs: number;
  now?: () => number;
}

interface Failure {
  at: number;
  wait: number;
}

export class TileLoader<T> {
  private readonly inFlight = new Map<number, AbortController>();
  private readonly failures = new Map<number, Failure>();
  private queue: number[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDue = Infinity;
  private readonly now: () => number;

  constructor(private readonly options: TileLoaderOptions<T>) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Fetches running now. */
  get loading(): number {
    return this.inFlight.size;
  }

  /** Whether the tile is being fetched. */
  isLoading(id: number): boolean {
    return this.inFlight.has(id);
  }

  /**
   * The tiles wanted now, most wanted first, leaving out those already at hand. Fetches of tiles
   * no longer wanted are aborted; the rest wait their turn (at most `concurrency` at once).
   */
  want(ids: readonly number[]): void {
    const wanted = new Set(ids);
    for (const [id, controller] of this.inFlight) {
      if (wanted.has(id)) continue;
      this.inFlight.delete(id);
      controller.abort();
    }
    const now = this.now();
    let nextRetry = Infinity;
    this.queue = [];
    for (const id of ids) {
      if (this.inFlight.has(id)) continue;
      const failure = this.failures.get(id);
      if (failure && now < failure.at + failure.wait) {
        nextRetry = Math.min(nextRetry, failure.at + failure.wait);
        continue;
      }
      this.queue.push(id);
    }
    if (nextRetry < Infinity) this.armRetry(nextRetry - now);
    this.pump();
  }

  /** Aborts every fetch and forgets every failure. */
  clear(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    this.failures.clear();
    this.queue = [];
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryDue = Infinity;
  }

  /** Calls onRetry after `delay` ms, unless a call is already due sooner. */
  private armRetry(delay: number): void {
    const due = this.now() + Math.max(0, delay);
    if (this.retryTimer !== null) {
      if (this.retryDue <= due) return;
      clearTimeout(this.retryTimer);
    }
    this.retryDue = due;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        this.retryDue = Infinity;
        this.options.onRetry();
      },
      Math.max(0, delay),
    );
  }

  private pump(): void {
    while (this.inFlight.size < this.options.concurrency && this.queue.length > 0) {
      this.start(this.queue.shift() as number);
    }
  }

  private start(id: number): void {
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    const current = () => this.inFlight.get(id) === controller;
    let pending: Promise<T | null>;
    try {
      pending = this.options.load(id, controller.signal);
    } catch (error) {
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    pending
      .then(
        (tile) => {
          if (!current()) {
            if (tile !== null) this.options.discard(tile);
            return;
          }
          this.inFlight.delete(id);
          if (tile === null) {
            this.fail(id);
            return;
          }
          this.failures.delete(id);
          this.options.onTile(id, tile);
        },
        () => {
          if (!current()) return;
          this.inFlight.delete(id);
          this.fail(id);
        },
      )
      .finally(() => this.pump());
  }

  private fail(id: number): void {
    const previous = this.failures.get(id);
    const wait = previous
      ? Math.min(this.options.maxRetryMs, previous.wait * 2)
      : this.options.retryMs;
    this.failures.set(id, { at: this.now(), wait });
    this.armRetry(wait);
  }
}
