// The Library: one catalog, its folders, the scanner, the watcher and the indexer, behind the
// LibraryService face that the desktop app, `shoebox serve` and the CLI all use.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { FailedPhoto, Folder, IndexProgress } from '../../shared/domain.ts';
import { Catalog, type PhotoFileRow } from './catalog/catalog.ts';
import { isDiskFullError } from './catalog/database.ts';
import { openCatalogSafely, recoveryMessage, type CatalogRecovery } from './catalog/recovery.ts';
import { Journal } from './journal/journal.ts';
import type { OsTrashMover } from './trash/os-trash.ts';
import { TrashService } from './trash/service.ts';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { AnalysisService } from './analysis-service.ts';
import {
  fetchModel,
  importModel,
  listModels,
  type ModelListEntry,
  type StoreOptions,
} from './embed/model-store.ts';
import { NoTextModelError, searchByText } from './embed/text-search.ts';
import { ModelManager } from './models.ts';
import type { WorkerTransport } from './index/worker-handle.ts';
import { decodePalette } from './index/feature-records.ts';
import { Indexer } from './index/indexer.ts';
import { thumbnailPath } from './index/thumbnails.ts';
import type {
  LibraryEvents,
  LibraryService,
  LibraryStatus,
  PhotoDetails,
  PhotoPage,
  PhotoSort,
  PhotosChanged,
} from './library-service.ts';
import { isInside, libraryLayout, type LibraryLayout } from './paths.ts';
import { reconcile, type SeenFile } from './scan/reconcile.ts';
import { scanFolders, type ScanReport } from './scan/scan.ts';
import { examinePath, walkFolder } from './scan/walk.ts';
import { FolderWatcher, type FolderWatcherOptions, type WatchBatch } from './watch/watcher.ts';

export { defaultLibraryDir } from './paths.ts';

export interface OpenLibraryOptions {
  /** Watch the folders for changes (the app and `serve`); the CLI's one-shot commands do not. */
  watch?: boolean;
  /** Decode worker processes; default: one per core, at most four. */
  workers?: number;
  /** Rescan period once watching has fallen back to polling. */
  rescanIntervalMs?: number;
  /** How long indexing waits after a full disk before it tries again. */
  indexRetryMs?: number;
  taskTimeoutMs?: number;
  /** Decode in worker processes (default) or threads (hosts that cannot start Node processes). */
  workerTransport?: WorkerTransport;
  watcher?: FolderWatcherOptions;
  /** How emptying the trash reaches the OS trash; the desktop app passes shell.trashItem's. */
  osTrash?: OsTrashMover;
  /** Where models may come from (bundled resources, extra manifests). */
  models?: StoreOptions;
  /** Phrases for zero-shot cluster labels (default: the built-in vocabulary). */
  labelVocabulary?: readonly string[];
}

export interface SyncReport extends ScanReport {
  indexed: number;
  failedNow: number;
  seconds: number;
}

export class FolderError extends Error {}

/** The catalog could not record a change because its disk is full; it catches up later by itself. */
export class DiskFullError extends Error {}
const DISK_FULL_MESSAGE =
  "The disk holding Shoebox's library is full, so changes in your folders cannot be recorded yet. Shoebox catches up by itself once there is room again.";

/** How often an unreachable library folder is looked for. */
const REACHABILITY_CHECK_MS = 2000;

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

export class Library extends EventEmitter<LibraryEvents> implements LibraryService {
  readonly dir: string;
  private readonly layout: LibraryLayout;
  private readonly catalog: Catalog;
  /** Trash records, decisions and the folder list: what a catalog rebuild must not lose. */
  readonly journal: Journal;
  readonly trash: TrashService;
  /** Set when the catalog was damaged at open and was set aside and rebuilt. */
  recovery: CatalogRecovery | null = null;
  private readonly indexer: Indexer;
  readonly models: ModelManager;
  readonly analysis: AnalysisService;
  private watcher: FolderWatcher | null = null;
  private watchFallback: string | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private excludeRealPaths: string[] = [];
  /** Scans and watcher batches change the catalog one at a time, in order. */
  private serial: Promise<unknown> = Promise.resolve();
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
  private changes: PhotosChanged = { added: [], updated: [], removed: [] };
  private changesTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    layout: LibraryLayout,
    private readonly options: OpenLibraryOptions,
    catalog: Catalog,
    journal: Journal,
  ) {
    super();
    this.dir = layout.dir;
    this.layout = layout;
    this.catalog = catalog;
    this.journal = journal;
    this.trash = new TrashService(journal, {
      roots: () => this.catalog.listFolders().map((folder) => folder.path),
      isReferenceFolder: (path) => this.isInReferenceFolder(path),
      expectationFor: (path) => {
        const row = this.catalog.photoFileByPath(path);
        return row?.contentHash
          ? { size: row.size, mtimeMs: row.mtimeMs, contentHash: row.contentHash }
          : null;
      },
      osTrash: options.osTrash,
      onPathsChanged: (paths) => this.trashMoved(paths),
    });
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism()));
    this.indexer = new Indexer(this.catalog, {
      workers,
      thumbnailDir: layout.thumbnails,
      taskTimeoutMs: options.taskTimeoutMs,
      transport: options.workerTransport,
      retryAfterMs: options.indexRetryMs,
    });
    this.models = new ModelManager(layout.dir, this.catalog, this.indexer, options.models);
    this.analysis = new AnalysisService({
      catalog: this.catalog,
      journal: this.journal,
      models: this.models,
      probe: (path, clipInput) => this.indexer.probe(path, clipInput),
      isReferenceFolder: (path) => this.isInReferenceFolder(path),
      labelVocabulary: options.labelVocabulary,
    });
    this.indexer.on('progress', (progress) => this.emit('progress', progress));
    this.indexer.on('paused', (reason) => {
      this.notice(
        'error',
        `Indexing is paused: ${reason}. Shoebox keeps trying, and carries on by itself once this is put right.`,
      );
      this.emit('indexingPaused', reason);
    });
    this.indexer.on('resumed', () => this.notice('info', 'Indexing has resumed.'));
    this.indexer.on('photoDone', ({ photoId, status }) => {
      if (status === 'indexed') this.noteChanges({ added: [photoId] });
    });
  }

  static async open(dir: string, options: OpenLibraryOptions = {}): Promise<Library> {
    const layout = libraryLayout(resolve(dir));
    await mkdir(layout.thumbnails, { recursive: true });
    const journal = new Journal(layout.journal);
    let opened;
    try {
      opened = await openCatalogSafely(layout.catalog, (file) => new Catalog(file));
    } catch (error) {
      journal.close();
      throw error;
    }
    const library = new Library(layout, options, opened.catalog, journal);
    library.recovery = opened.recovered;
    library.excludeRealPaths = [await realpath(layout.dir)];
    const refill = library.reconcileFolders();
    // Moves into, out of and through the trash that a crash interrupted are settled first.
    await library.trash.reconcile();
    if (options.watch) await library.startWatching();
    if (opened.recovered) library.notice('warning', recoveryMessage(opened.recovered));
    if (refill) {
      void library
        .enqueue(() => library.scan(library.catalog.listFolders()))
        .catch((error) => library.reportError(error));
    }
    // Jobs left by an interrupted run resume now, and photos the active model has not embedded
    // yet are queued.
    const toEmbed = await library.models.refresh();
    if (toEmbed > 0) {
      library.notice(
        'info',
        `Embedding ${toEmbed} photos with ${library.models.status().id} in the background.`,
      );
    }
    library.indexer.kick();
    return library;
  }

  /**
   * Keeps the journal's folder list and the catalog's in step. A catalog with no folders while
   * the journal lists some was rebuilt (or lost): the folders come back from the journal, and
   * true is returned so the caller rescans them.
   */
  private reconcileFolders(): boolean {
    const inCatalog = this.catalog.listFolders();
    const inJournal = this.journal.listFolders();
    if (inCatalog.length === 0 && inJournal.length > 0) {
      this.catalog.transaction(() => {
        for (const folder of inJournal) {
          const added = this.catalog.addFolder(folder.path, folder.addedAt);
          if (folder.isReference) this.catalog.setReferenceFolder(added.id, true);
        }
      });
      return true;
    }
    const known = new Set(inCatalog.map((folder) => folder.path));
    for (const folder of inJournal)
      if (!known.has(folder.path)) this.journal.removeFolder(folder.path);
    for (const folder of inCatalog)
      this.journal.putFolder(folder.path, folder.isReference, folder.addedAt);
    return false;
  }

  /** The trash moved photos away or back: drop the rows of the gone, re-index the returned. */
  private trashMoved(paths: string[]): void {
    const gone: number[] = [];
    const back: string[] = [];
    for (const path of paths) {
      if (existsSync(path)) back.push(path);
      else {
        const row = this.catalog.photoFileByPath(path);
        if (row) gone.push(row.id);
      }
    }
    if (gone.length > 0) {
      this.catalog.deletePhotos(gone);
      this.noteChanges({ removed: gone });
    }
    if (back.length > 0) {
      void this.enqueue(() =>
        this.applyBatch({ paths: back, addedFolders: [], removedFolders: [] }),
      ).catch((error) => this.reportError(error));
    }
  }

  // --- folders ---------------------------------------------------------------------------------

  listFolders(): Folder[] {
    return this.catalog.listFolders();
  }

  /** Adds a folder and starts bringing it into the catalog in the background. */
  async addFolder(path: string): Promise<Folder> {
    const folder = await this.registerFolder(path);
    void this.enqueue(() => this.scan([folder])).catch((error) => this.reportError(error));
    return folder;
  }

  /**
   * Validates and records a folder. A folder inside one already in the library is already
   * covered; a folder that contains library folders absorbs them (their photos keep their ids).
   */
  async registerFolder(path: string): Promise<Folder> {
    const absolute = resolve(path);
    const facts = await stat(absolute).catch(() => null);
    if (!facts) throw new FolderError(`${absolute} does not exist.`);
    if (!facts.isDirectory()) throw new FolderError(`${absolute} is not a folder.`);
    await access(absolute, constants.R_OK | constants.X_OK).catch(() => {
      throw new FolderError(`Shoebox does not have permission to read ${absolute}.`);
    });
    const real = await realpath(absolute);
    if (
      this.excludeRealPaths.some((excluded) => isInside(excluded, real) || isInside(real, excluded))
    ) {
      throw new FolderError(
        `${absolute} holds Shoebox's own library files and cannot be added as a photo folder.`,
      );
    }
    const existing = this.catalog.listFolders();
    const covering = existing.find((folder) => isInside(absolute, folder.path));
    if (covering) return covering;
    const folder = this.catalog.transaction(() => {
      const added = this.catalog.addFolder(absolute);
      for (const inner of existing.filter((f) => isInside(f.path, absolute))) {
        for (const row of this.catalog.photoFilesInFolder(inner.id))
          this.catalog.movePhoto(row.id, added.id, row);
        this.catalog.removeFolder(inner.id);
        this.journal.removeFolder(inner.path);
      }
      return added;
    });
    this.journal.putFolder(folder.path, folder.isReference, folder.addedAt);
    await this.rewatch();
    return folder;
  }

  removeFolder(folderId: number): void {
    const removed = this.catalog.photoFilesInFolder(folderId).map((row) => row.id);
    const folder = this.catalog.listFolders().find((f) => f.id === folderId);
    this.catalog.removeFolder(folderId);
    if (folder) this.journal.removeFolder(folder.path);
    this.noteChanges({ removed });
    void this.rewatch();
  }

  setReferenceFolder(folderId: number, isReference: boolean): void {
    this.catalog.setReferenceFolder(folderId, isReference);
    const folder = this.catalog.listFolders().find((f) => f.id === folderId);
    if (folder) this.journal.putFolder(folder.path, isReference, folder.addedAt);
  }

  // --- keeping the catalog current -------------------------------------------------------------

  /** Scans every folder (or the given ones) and waits until every resulting job is done. */
  async sync(folders?: Folder[]): Promise<SyncReport> {
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

  whenIdle(): Promise<void> {
    return this.serial.then(() => this.indexer.whenIdle());
  }

  private async scan(folders: readonly Folder[]): Promise<ScanReport> {
    const report = await scanFolders(this.catalog, folders, {
      excludeRealPaths: this.excludeRealPaths,
    });
    for (const error of report.folderErrors)
      this.notice('warning', `${error.path}: ${error.reason}.`);
    this.noteChanges({ updated: [...report.changed, ...report.moved], removed: report.removed });
    this.indexer.kick();
    return report;
  }

  private async startWatching(): Promise<void> {
    this.watcher = new FolderWatcher({
      ...this.options.watcher,
      excludeRealPaths: this.excludeRealPaths,
    });
    this.watcher.on('batch', (batch) => {
      void this.enqueue(() => this.applyBatch(batch)).catch((error) => this.reportError(error));
    });
    this.watcher.on('fallback', (reason) => this.fallBackToRescans(reason));
    await this.rewatch();
  }

  private async rewatch(): Promise<void> {
    if (!this.watcher || this.watchFallback || this.closed) return;
    const folders = this.catalog.listFolders();
    await this.watcher.watchFolders(folders.map((folder) => folder.path));
    for (const folder of folders) if (!(await isFolder(folder.path))) this.awaitReturn(folder.path);
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

  private fallBackToRescans(reason: string): void {
    if (this.watchFallback) return;
    this.watchFallback = reason;
    this.notice('warning', reason);
    const every = this.options.rescanIntervalMs ?? 60_000;
    this.rescanTimer = setInterval(() => {
      void this.enqueue(() => this.scan(this.catalog.listFolders())).catch((error) =>
        this.reportError(error),
      );
    }, every);
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
        this.notice(
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
      for await (const entry of walkFolder(dir, { excludeRealPaths: this.excludeRealPaths })) {
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
    if (this.pendingRemovals.size > 0 && !this.pendingRemovalTimer) {
      this.pendingRemovalTimer = setTimeout(() => {
        this.pendingRemovalTimer = null;
        const settle = { paths: [], addedFolders: [], removedFolders: [] };
        void this.enqueue(() => this.applyBatch(settle)).catch((error) => this.reportError(error));
      }, grace + 50);
    }
    this.noteChanges({ updated: [...result.changed, ...result.moved], removed: result.removed });
    this.indexer.kick();
  }

  private removalGraceMs(): number {
    const watcher = this.options.watcher ?? {};
    return (watcher.stabilityMs ?? 700) + (watcher.quietMs ?? 300) + 1500;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    // Every change to the catalog comes through here, so this is where a full disk is caught:
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

  /** Rescans every folder after a pause, for the changes a full disk kept from the catalog. */
  private catchUpLater(): void {
    if (this.catchUpTimer || this.closed) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = null;
      void this.enqueue(() => this.scan(this.catalog.listFolders())).catch((error) =>
        this.reportError(error),
      );
    }, this.options.indexRetryMs ?? 30_000);
  }

  private reportError(error: unknown): void {
    this.notice('error', error instanceof DiskFullError ? error.message : String(error));
  }

  // --- reading ---------------------------------------------------------------------------------

  status(): LibraryStatus {
    const counts = this.catalog.countByStatus();
    const model = this.models.status();
    return {
      folders: this.catalog.listFolders().map((folder) => folder.path),
      photos: counts.indexed,
      failed: counts.failed,
      pending: counts.pending,
      model: { id: model.id, dim: model.dim },
      modelProgress: { embedded: model.embedded, total: model.total },
      watchFallback: this.watchFallback,
      catalogRecovery: this.recovery ? recoveryMessage(this.recovery) : null,
    };
  }

  progress(): IndexProgress {
    return this.indexer.progress();
  }

  listPhotos(query: {
    sort: PhotoSort;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
  }): PhotoPage {
    return this.catalog.listPhotos({ ...query, order: query.sort });
  }

  getPhoto(photoId: number): PhotoDetails | null {
    const photo = this.catalog.getPhoto(photoId);
    if (!photo) return null;
    const palette = photo.contentHash ? this.catalog.feature(photo.contentHash, 'palette') : null;
    return {
      ...photo,
      palette: palette ? decodePalette(palette.data) : [],
      orientation: this.catalog.photoOrientation(photoId),
    };
  }

  listFailures(folderIds?: number[]): FailedPhoto[] {
    return this.catalog.listFailures(folderIds);
  }

  thumbnailPath(photoId: number): string | null {
    const hash = this.catalog.getPhoto(photoId)?.contentHash;
    if (!hash) return null;
    const file = thumbnailPath(this.layout.thumbnails, hash);
    return existsSync(file) ? file : null;
  }

  /** The indexed photo at this path, if any (to tell a library photo from an outside file). */
  photoIdByPath(path: string): number | null {
    const row = this.catalog.photoFileByPath(path);
    return row && row.status === 'indexed' ? row.id : null;
  }

  photoPathsById(ids: readonly number[]): Map<number, string> {
    return new Map([...this.catalog.photosByIds(ids)].map(([id, photo]) => [id, photo.path]));
  }

  photoPath(photoId: number): string | null {
    return this.catalog.getPhoto(photoId)?.path ?? null;
  }

  /** Photos best matching a text, by the active CLIP model. */
  async searchText(text: string, k: number): Promise<ScoredPhoto[]> {
    const space = this.models.activeSpace();
    const embedder = this.models.embedder();
    if (!space || !embedder) throw new NoTextModelError(this.models.status().id);
    const hits = await searchByText(text, this.models.loadSet(space), embedder, k);
    return hits.flatMap(({ id, score }) => {
      const photo = this.catalog.getPhoto(id);
      return photo ? [{ photo, score }] : [];
    });
  }

  /** Makes an installed model the active one; the library is re-embedded in the background. */
  async useModel(id: string): Promise<number> {
    return this.models.use(id);
  }

  listModels(): Promise<ModelListEntry[]> {
    return listModels(this.dir, this.options.models);
  }

  async importModel(dir: string): Promise<void> {
    await importModel(dir, this.dir, { ...this.options.models, activate: true });
    await this.models.refresh();
  }

  async fetchModel(id: string, onProgress?: (fraction: number) => void): Promise<void> {
    await fetchModel(id, this.dir, {
      ...this.options.models,
      activate: true,
      onProgress: (p) => onProgress?.(p.total > 0 ? p.bytes / p.total : 0),
    });
    await this.models.refresh();
  }

  // --- events and shutdown ---------------------------------------------------------------------

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.emit('notice', { level, message });
  }

  private isInReferenceFolder(path: string): boolean {
    return this.catalog
      .listFolders()
      .some((folder) => folder.isReference && isInside(path, folder.path));
  }

  private noteChanges(change: Partial<PhotosChanged>): void {
    this.analysis.invalidate();
    this.changes.added.push(...(change.added ?? []));
    this.changes.updated.push(...(change.updated ?? []));
    this.changes.removed.push(...(change.removed ?? []));
    if (this.changesTimer || this.closed) return;
    // Coalesced: a burst of thousands reaches the UI as a few events.
    this.changesTimer = setTimeout(() => {
      this.changesTimer = null;
      const changes = this.changes;
      this.changes = { added: [], updated: [], removed: [] };
      if (changes.added.length + changes.updated.length + changes.removed.length > 0)
        this.emit('photosChanged', changes);
    }, 250);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.changesTimer) clearTimeout(this.changesTimer);
    if (this.pendingRemovalTimer) clearTimeout(this.pendingRemovalTimer);
    if (this.reachabilityTimer) clearInterval(this.reachabilityTimer);
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    await this.watcher?.stop();
    await this.serial;
    await this.indexer.close();
    await this.models.close();
    this.catalog.close();
    this.journal.close();
  }
}

export function openLibrary(dir: string, options?: OpenLibraryOptions): Promise<Library> {
  return Library.open(dir, options);
}
