// Keeps the catalog current with the disk: full scans (and waiting for them), the watcher's
// batches, library folders that go away (an unplugged drive) and come back, the fallback to
// periodic rescans when the system refuses watches, and the rescan that catches up after a full
// disk. The Library owns one and delegates to it; everything it works with is handed to it.
//
// Scans and watcher batches change the catalog one at a time, in order: every one of them goes
// through `enqueue`, a single chain of promises.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Notice, PhotosChanged } from '../../../shared/api.ts';
import type { Folder } from '../../../shared/domain.ts';
import type { Catalog, PhotoFileRow } from '../catalog/catalog.ts';
import { isDiskFullError } from '../catalog/database.ts';
import type { Indexer } from '../index/indexer.ts';
import { isInside } from '../paths.ts';
import { reconcile, type SeenFile } from '../scan/reconcile.ts';
import { scanFolders, type ScanReport } from '../scan/scan.ts';
import { examinePath, walkFolder } from '../scan/walk.ts';
import { FolderWatcher, type FolderWatcherOptions, type WatchBatch } from './watcher.ts';

export interface SyncReport extends ScanReport {
  indexed: number;
  failedNow: number;
  seconds: number;
}

/** The catalog could not record a change because its disk is full; it catches up later by itself. */
export class DiskFullError extends Error {}
const DISK_FULL_MESSAGE =
  "The disk holding Shoebox's library is full, so changes in your folders cannot be recorded yet. Shoebox catches up by itself once there is room again.";

/** How often an unreachable library folder is looked for. */
const REACHABILITY_CHECK_MS = 2000;

export interface CatalogSyncOptions {
  catalog: Catalog;
  /** Kicked after every change to the catalog; `sync` counts its finished photos. */
  indexer: Pick<Indexer, 'kick' | 'whenIdle' | 'on' | 'off'>;
  /** Real paths never scanned or watched (the library folder itself). */
  excludeRealPaths: readonly string[];
  /** For the folder watcher; its timings also set how long an unmatched removal is held. */
  watcher?: FolderWatcherOptions;
  /** Rescan period once watching has fallen back to polling (default: a minute). */
  rescanIntervalMs?: number;
  /** How long after a full disk every folder is rescanned (default: 30 s). */
  catchUpAfterMs?: number;
  /** Photos the catalog added, changed or removed. */
  onChanges: (change: Partial<PhotosChanged>) => void;
  /** A sentence for the user. */
  notice: (level: Notice['level'], message: string) => void;
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

export class CatalogSync {
  private readonly catalog: Catalog;
  private readonly indexer: CatalogSyncOptions['indexer'];
  /** Scans and watcher batches change the catalog one at a time, in order. */
  private serial: Promise<unknown> = Promise.resolve();
  private watcher: FolderWatcher | null = null;
  private fallbackReason: string | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  /**
   * Removals the watcher saw but no add has matched yet. A rename reaches us as an immediate
   * unlink and an add that waits for the file to be stable; holding the removal briefly lets the
   * two pair up, so the photo keeps its identity.
   */
  private readonly pendingRemovals = new Map<number, { row: PhotoFileRow; since: number }>();
  private pendingRemovalTimer: NodeJS.Timeout | null = null;
  /**
   * Library folders that are not there at all (an unplugged drive, an unmounted share, a folder
   * renamed away). Their photos are unknown, not deleted; they are looked for until they return,
   * and are then watched and rescanned.
   */
  private readonly unreachable = new Set<string>();
  private reachabilityTimer: NodeJS.Timeout | null = null;
  private catchUpTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: CatalogSyncOptions) {
    this.catalog = options.catalog;
    this.indexer = options.indexer;
  }

  // --- one change at a time --------------------------------------------------------------------

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    // Every change a scan or a watcher batch makes to the catalog comes through here (folder
    // registration and the trash write directly), so this is where a full disk is caught:
    // SQLite has rolled the change back, and a rescan once there is room finds it again.
    const guarded = async (): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (!isDiskFullError(error)) throw error;
        this.catchUpLater();
        throw new DiskFullError(DISK_FULL_MESSAGE, { cause: error });
      }
    };
    const next = this.serial.then(guarded, guarded);
    this.serial = next.catch(() => undefined);
    return next;
  }

  /** Resolves once queued scans and batches are applied and every resulting job is done. */
  whenIdle(): Promise<void> {
    return this.serial.then(() => this.indexer.whenIdle());
  }

  /** Rescans every folder after a pause, for the changes a full disk kept from the catalog. */
  private catchUpLater(): void {
    if (this.catchUpTimer || this.closed) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = null;
      this.scanInBackground();
    }, this.options.catchUpAfterMs ?? 30_000);
  }

  private reportError(error: unknown): void {
    this.options.notice('error', error instanceof DiskFullError ? error.message : String(error));
  }

  // --- full scans ------------------------------------------------------------------------------

  /** Scans every folder (or the given ones) and waits until every resulting job is done. */
  async sync(folders?: readonly Folder[]): Promise<SyncReport> {
    const started = Date.now();
    let indexed = 0;
    let failedNow = 0;
    const count = ({ status }: { status: 'indexed' | 'failed' }): void => {
      if (status === 'indexed') indexed += 1;
      else failedNow += 1;
    };
    this.indexer.on('photoDone', count);
    try {
      const report = await this.enqueue(() => this.scan(folders ?? this.catalog.listFolders()));
      await this.indexer.whenIdle();
      return { ...report, indexed, failedNow, seconds: (Date.now() - started) / 1000 };
    } finally {
      this.indexer.off('photoDone', count);
    }
  }

  /**
   * Queues a scan of the given folders, or of every folder as the list stands when the scan
   * runs; failures are reported as notices.
   */
  scanInBackground(folders?: readonly Folder[]): void {
    void this.enqueue(() => this.scan(folders ?? this.catalog.listFolders())).catch((error) =>
      this.reportError(error),
    );
  }

  private async scan(folders: readonly Folder[]): Promise<ScanReport> {
    const report = await scanFolders(this.catalog, folders, {
      excludeRealPaths: this.options.excludeRealPaths,
    });
    for (const error of report.folderErrors)
      this.options.notice('warning', `${error.path}: ${error.reason}.`);
    this.options.onChanges({
      updated: [...report.changed, ...report.moved],
      removed: report.removed,
    });
    this.indexer.kick();
    return report;
  }

  // --- watching --------------------------------------------------------------------------------

  /** Why watching gave way to periodic rescans; null while watching works or was never started. */
  get watchFallback(): string | null {
    return this.fallbackReason;
  }

  async startWatching(): Promise<void> {
    this.watcher = new FolderWatcher({
      ...this.options.watcher,
      excludeRealPaths: this.options.excludeRealPaths,
    });
    this.watcher.on('batch', (batch) => this.applyInBackground(batch));
    this.watcher.on('fallback', (reason) => this.fallBackToRescans(reason));
    await this.rewatch();
  }

  /** Watches the catalog's folders as they are now (after one was added or removed). */
  async rewatch(): Promise<void> {
    if (!this.watcher || this.fallbackReason || this.closed) return;
    const folders = this.catalog.listFolders();
    await this.watcher.watchFolders(folders.map((folder) => folder.path));
    for (const folder of folders) if (!(await isFolder(folder.path))) this.awaitReturn(folder.path);
  }

  private fallBackToRescans(reason: string): void {
    if (this.fallbackReason) return;
    this.fallbackReason = reason;
    this.options.notice('warning', reason);
    const every = this.options.rescanIntervalMs ?? 60_000;
    this.rescanTimer = setInterval(() => this.scanInBackground(), every);
  }

  /** Looks every few seconds for an unreachable library folder; once back, watches and rescans it. */
  private awaitReturn(path: string): void {
    this.unreachable.add(path);
    if (this.reachabilityTimer || this.closed) return;
    this.reachabilityTimer = setInterval(() => {
      void this.enqueue(async () => {
        const returned: Folder[] = [];
        const folders = this.catalog.listFolders();
        for (const path of [...this.unreachable]) {
          const folder = folders.find((f) => f.path === path);
          if (!folder)
            this.unreachable.delete(path); // removed from the library meanwhile
          else if (await isFolder(path)) {
            this.unreachable.delete(path);
            returned.push(folder);
          }
        }
        if (this.unreachable.size === 0 && this.reachabilityTimer) {
          clearInterval(this.reachabilityTimer);
          this.reachabilityTimer = null;
        }
        if (returned.length === 0) return;
        // A watch on a folder that went away is dead; what changed while it was away is found by
        // the scan.
        await this.rewatch();
        await this.scan(returned);
      }).catch((error) => this.reportError(error));
    }, REACHABILITY_CHECK_MS);
  }

  // --- batches of touched paths ----------------------------------------------------------------

  /** Queues a check of these paths against the disk (files the trash moved away or back). */
  recheckPaths(paths: string[]): void {
    this.applyInBackground({ paths, addedFolders: [], removedFolders: [] });
  }

  private applyInBackground(batch: WatchBatch): void {
    void this.enqueue(() => this.applyBatch(batch)).catch((error) => this.reportError(error));
  }

  /** Checks each touched path against the disk and reconciles them together, so renames pair up. */
  private async applyBatch(batch: WatchBatch): Promise<void> {
    // Events under a library folder that is itself gone say nothing about its photos (the drive
    // was unplugged, not emptied): they are skipped, and the folder is looked for until it returns.
    const folders: Folder[] = [];
    for (const folder of this.catalog.listFolders()) {
      if (await isFolder(folder.path)) folders.push(folder);
      else if (!this.unreachable.has(folder.path)) {
        this.awaitReturn(folder.path);
        this.options.notice(
          'warning',
          `${folder.path} is not reachable; its photos are kept as they were.`,
        );
      }
    }
    const folderOf = (path: string): Folder | undefined =>
      folders.find((folder) => isInside(path, folder.path));
    const seen = new Map<string, SeenFile>();
    const vanished = new Map<number, PhotoFileRow>();
    const unreadable: { folderId: number; path: string; reason: string }[] = [];

    const walkInto = async (dir: string, folder: Folder): Promise<void> => {
      for await (const entry of walkFolder(dir, {
        excludeRealPaths: this.options.excludeRealPaths,
      })) {
        if (entry.kind === 'file')
          seen.set(entry.file.path, { folderId: folder.id, file: entry.file });
        else if (entry.kind === 'unreadable')
          unreadable.push({ folderId: folder.id, path: entry.path, reason: entry.reason });
      }
    };

    for (const path of batch.paths) {
      const folder = folderOf(path);
      if (!folder) continue;
      const entry = await examinePath(path);
      if (entry === 'folder') await walkInto(path, folder);
      else if (entry?.kind === 'file') seen.set(path, { folderId: folder.id, file: entry.file });
      else if (entry?.kind === 'unreadable')
        unreadable.push({ folderId: folder.id, path, reason: entry.reason });
      else {
        const row = this.catalog.photoFileByPath(path);
        if (row) vanished.set(row.id, row);
      }
    }
    for (const dir of batch.addedFolders) {
      const folder = folderOf(dir);
      if (folder) await walkInto(dir, folder);
    }
    for (const dir of batch.removedFolders) {
      if (existsSync(dir) || !folderOf(dir)) continue;
      for (const row of this.catalog.photoFilesUnder(dir))
        if (!seen.has(row.path)) vanished.set(row.id, row);
    }
    for (const [id, pending] of this.pendingRemovals)
      if (folderOf(pending.row.path)) vanished.set(id, pending.row);
    // A path can be both reported gone and found again within one batch (an atomic save).
    for (const [id, row] of vanished) if (seen.has(row.path)) vanished.delete(id);

    const now = Date.now();
    const grace = this.removalGraceMs();
    const sinceOf = (id: number): number => this.pendingRemovals.get(id)?.since ?? now;
    const result = reconcile(
      this.catalog,
      { seen: [...seen.values()], vanished: [...vanished.values()], unreadable },
      { now, deferRemoval: (row) => now - sinceOf(row.id) < grace },
    );
    const stillPending = result.deferred.map((row) => ({ row, since: sinceOf(row.id) }));
    this.pendingRemovals.clear();
    for (const pending of stillPending) this.pendingRemovals.set(pending.row.id, pending);
    // Not once closing: a batch can still run while close() waits for the queue, and a timer set
    // then would fire on a closed catalog.
    if (this.pendingRemovals.size > 0 && !this.pendingRemovalTimer && !this.closed) {
      // An empty batch settles the held removals once their grace is over.
      this.pendingRemovalTimer = setTimeout(() => {
        this.pendingRemovalTimer = null;
        if (this.closed) return;
        this.applyInBackground({ paths: [], addedFolders: [], removedFolders: [] });
      }, grace + 50);
    }
    this.options.onChanges({
      updated: [...result.changed, ...result.moved],
      removed: result.removed,
    });
    this.indexer.kick();
  }

  /** How long an unmatched removal is held: long enough for the watcher to report the add. */
  private removalGraceMs(): number {
    const watcher = this.options.watcher ?? {};
    return (watcher.stabilityMs ?? 700) + (watcher.quietMs ?? 300) + 1500;
  }

  // --- shutdown --------------------------------------------------------------------------------

  /** Stops watching and every timer, and waits for the change under way and those queued. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.pendingRemovalTimer) clearTimeout(this.pendingRemovalTimer);
    if (this.reachabilityTimer) clearInterval(this.reachabilityTimer);
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    await this.watcher?.stop();
    await this.serial;
  }
}
