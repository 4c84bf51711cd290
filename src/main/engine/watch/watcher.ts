// Watches the library folders and hands the library batches of touched paths. chokidar waits for
// files to stop growing (a camera import or a copy in progress) before it reports them; we then
// collect events for a short quiet period so a burst of thousands becomes a few reconciles. When
// the system refuses more watches (inotify limits, too many open files), watching stops and the
// library falls back to periodic rescans, and says so.
import { EventEmitter } from 'node:events';
// chokidar is loaded when watching starts: one-shot commands never watch.
import type { FSWatcher, watch } from 'chokidar';
import { isIgnoredPath } from '../scan/candidates.ts';

export interface WatchBatch {
  /** Files added, changed or removed: the library checks each against the disk. */
  paths: string[];
  /** Folders that appeared (walk them) or disappeared (their photos may be gone or moved). */
  addedFolders: string[];
  removedFolders: string[];
}

export interface WatcherEvents {
  batch: [WatchBatch];
  /** Watching is impossible; the reason is one plain sentence for the user. */
  fallback: [string];
}

export interface FolderWatcherOptions {
  /** Quiet time after the last event before a batch is delivered. */
  quietMs?: number;
  /** A batch is delivered at the latest this long after its first event, even mid-burst. */
  maxDelayMs?: number;
  /** How long a file's size must stay still before it counts as written. */
  stabilityMs?: number;
  /** Real paths never to watch (the library folder itself). */
  excludeRealPaths?: readonly string[];
  /** For tests: stands in for chokidar's watch(). */
  createWatcher?: typeof watch;
}

const REFUSED = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

export class FolderWatcher extends EventEmitter<WatcherEvents> {
  private watcher: FSWatcher | null = null;
  private pending: WatchBatch = { paths: [], addedFolders: [], removedFolders: [] };
  private quietTimer: NodeJS.Timeout | null = null;
  private firstEventAt = 0;
  private readonly options: Required<
    Omit<FolderWatcherOptions, 'createWatcher' | 'excludeRealPaths'>
  > &
    FolderWatcherOptions;

  constructor(options: FolderWatcherOptions = {}) {
    super();
    this.options = { quietMs: 300, maxDelayMs: 2000, stabilityMs: 700, ...options };
  }

  /** Watches exactly these folders (replacing any earlier set). Resolves once watching is live. */
  async watchFolders(folders: readonly string[]): Promise<void> {
    const create = this.options.createWatcher ?? (await import('chokidar')).watch;
    await this.stop();
    if (folders.length === 0) return;
    const excluded = new Set(this.options.excludeRealPaths ?? []);
    const roots = new Set(folders);
    const watcher = create([...folders], {
      ignoreInitial: true,
      // The roots themselves are never ignored, even when the user keeps photos in a dot folder.
      ignored: (path: string) => !roots.has(path) && (isIgnoredPath(path) || excluded.has(path)),
      awaitWriteFinish: { stabilityThreshold: this.options.stabilityMs, pollInterval: 100 },
      // Editors and cameras often write a temporary file and rename it over the original.
      atomic: true,
    });
    this.watcher = watcher;
    watcher.on('add', (path) => this.note('paths', path));
    watcher.on('change', (path) => this.note('paths', path));
    watcher.on('unlink', (path) => this.note('paths', path));
    watcher.on('addDir', (path) => this.note('addedFolders', path));
    watcher.on('unlinkDir', (path) => this.note('removedFolders', path));
    watcher.on('error', (error) => this.onError(error as NodeJS.ErrnoException));
    await new Promise<void>((resolve) => {
      watcher.once('ready', () => resolve());
      // A watcher that failed before it was ready will not become ready.
      this.once('fallback', () => resolve());
    });
  }

  async stop(): Promise<void> {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close();
  }

  private note(kind: keyof WatchBatch, path: string): void {
    if (
      this.pending.paths.length +
        this.pending.addedFolders.length +
        this.pending.removedFolders.length ===
      0
    ) {
      this.firstEventAt = Date.now();
    }
    this.pending[kind].push(path);
    if (this.quietTimer) clearTimeout(this.quietTimer);
    const overdue = Date.now() - this.firstEventAt >= this.options.maxDelayMs;
    this.quietTimer = setTimeout(() => this.flush(), overdue ? 0 : this.options.quietMs);
  }

  private flush(): void {
    this.quietTimer = null;
    const batch = this.pending;
    this.pending = { paths: [], addedFolders: [], removedFolders: [] };
    batch.paths = [...new Set(batch.paths)];
    if (batch.paths.length + batch.addedFolders.length + batch.removedFolders.length > 0)
      this.emit('batch', batch);
  }

  private onError(error: NodeJS.ErrnoException): void {
    if (!error.code || !REFUSED.has(error.code)) return; // a single unreadable entry: the scan lists it
    const reason =
      error.code === 'ENOSPC'
        ? 'The system refused to watch more folders (its limit of file watches is reached), so Shoebox rescans your folders every minute instead.'
        : 'The system refused to open more files for watching, so Shoebox rescans your folders every minute instead.';
    void this.stop();
    this.emit('fallback', reason);
  }
}
