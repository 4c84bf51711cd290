// The Library: one catalog, its folders, the scanner, the watcher and the indexer, behind the
// LibraryService face that the desktop app, `shoebox serve` and the CLI all use.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { FailedPhoto, Folder, IndexProgress } from '../../shared/domain.ts';
import { Catalog } from './catalog/catalog.ts';
import { openCatalogSafely, recoveryMessage, type CatalogRecovery } from './catalog/recovery.ts';
import { Journal } from './journal/journal.ts';
import type { OsTrashMover } from './trash/os-trash.ts';
import { TrashService } from './trash/service.ts';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { AnalysisService } from './analysis-service.ts';
import { PeopleService } from './faces/people-service.ts';
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
import { STORED_FEATURE_VERSIONS, decodePalette } from './index/feature-records.ts';
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
import { CatalogSync, type SyncReport } from './watch/catalog-sync.ts';
import type { FolderWatcherOptions } from './watch/watcher.ts';

export { defaultLibraryDir } from './paths.ts';
export { DiskFullError, type SyncReport } from './watch/catalog-sync.ts';

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
  /** Look for faces while indexing (default true; benchmarks measure the cost with it off). */
  faces?: boolean;
}

export class FolderError extends Error {}

/** The catalog setting naming the feature versions every photo was last checked against. */
const FEATURE_VERSIONS_SETTING = 'feature-versions-checked';

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
  /** Faces grouped into people, with the user's names, merges and corrections. */
  readonly people: PeopleService;
  /**
   * Scans, watching and the rest of keeping the catalog current with the disk: scans and watcher
   * batches change the catalog through it, one at a time, in order.
   */
  private readonly catalogSync: CatalogSync;
  /** Real paths never scanned, watched or added as a folder: the library folder itself. */
  private readonly excludeRealPaths: readonly string[];
  private changes: PhotosChanged = { added: [], updated: [], removed: [] };
  private changesTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    layout: LibraryLayout,
    private readonly options: OpenLibraryOptions,
    catalog: Catalog,
    journal: Journal,
    excludeRealPaths: readonly string[],
  ) {
    super();
    this.dir = layout.dir;
    this.layout = layout;
    this.catalog = catalog;
    this.journal = journal;
    this.excludeRealPaths = excludeRealPaths;
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
      faces: options.faces,
    });
    this.people = new PeopleService(this.catalog, this.journal);
    this.catalogSync = new CatalogSync({
      catalog: this.catalog,
      indexer: this.indexer,
      excludeRealPaths,
      watcher: options.watcher,
      rescanIntervalMs: options.rescanIntervalMs,
      // The same pause as indexing takes after a full disk.
      catchUpAfterMs: options.indexRetryMs,
      onChanges: (change) => this.noteChanges(change),
      notice: (level, message) => this.notice(level, message),
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
    const excludeRealPaths = [await realpath(layout.dir)];
    const journal = new Journal(layout.journal);
    let opened;
    try {
      opened = await openCatalogSafely(layout.catalog, (file) => new Catalog(file));
    } catch (error) {
      journal.close();
      throw error;
    }
    const library = new Library(layout, options, opened.catalog, journal, excludeRealPaths);
    library.recovery = opened.recovered;
    const refill = library.reconcileFolders();
    // Moves into, out of and through the trash that a crash interrupted are settled first.
    await library.trash.reconcile();
    if (options.watch) await library.catalogSync.startWatching();
    if (opened.recovered) library.notice('warning', recoveryMessage(opened.recovered));
    if (refill) library.catalogSync.scanInBackground();
    // Jobs left by an interrupted run resume now, and photos the active model has not embedded
    // yet are queued.
    const toEmbed = await library.models.refresh();
    if (toEmbed > 0) {
      library.notice(
        'info',
        `Embedding ${toEmbed} photos with ${library.models.status().id} in the background.`,
      );
    }
    const toUpgrade = library.queueOutdatedFeatures();
    if (toUpgrade > 0) {
      library.notice(
        'info',
        `Updating what Shoebox keeps about ${toUpgrade} photos, in the background.`,
      );
    }
    library.indexer.kick();
    return library;
  }

  /**
   * Queues the photos whose stored features are missing or from an older algorithm (a newer
   * Shoebox added or changed one), so they are analysed again once; they stay visible meanwhile.
   */
  private queueOutdatedFeatures(): number {
    // The look costs a pass over every photo per feature (0.4 s at 7k photos), so it is made
    // once per set of versions: the indexer always writes every feature at the current ones,
    // and the jobs queued here are kept by the catalog until done.
    const versions = JSON.stringify(STORED_FEATURE_VERSIONS);
    if (this.catalog.setting(FEATURE_VERSIONS_SETTING) === versions) return 0;
    const queued = this.catalog.transaction(() => {
      let count = 0;
      for (const [kind, version] of Object.entries(STORED_FEATURE_VERSIONS)) {
        count += this.catalog.enqueueMissingFeature(kind, version);
      }
      this.catalog.setSetting(FEATURE_VERSIONS_SETTING, versions);
      return count;
    });
    return queued;
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
    if (back.length > 0) this.catalogSync.recheckPaths(back);
  }

  // --- folders ---------------------------------------------------------------------------------

  listFolders(): Folder[] {
    return this.catalog.listFolders();
  }

  /** Adds a folder and starts bringing it into the catalog in the background. */
  async addFolder(path: string): Promise<Folder> {
    const folder = await this.registerFolder(path);
    this.catalogSync.scanInBackground([folder]);
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
    await this.catalogSync.rewatch();
    return folder;
  }

  removeFolder(folderId: number): void {
    const removed = this.catalog.photoFilesInFolder(folderId).map((row) => row.id);
    const folder = this.catalog.listFolders().find((f) => f.id === folderId);
    this.catalog.removeFolder(folderId);
    if (folder) this.journal.removeFolder(folder.path);
    this.noteChanges({ removed });
    void this.catalogSync.rewatch();
  }

  setReferenceFolder(folderId: number, isReference: boolean): void {
    this.catalog.setReferenceFolder(folderId, isReference);
    const folder = this.catalog.listFolders().find((f) => f.id === folderId);
    if (folder) this.journal.putFolder(folder.path, isReference, folder.addedAt);
  }

  // --- keeping the catalog current (watch/catalog-sync.ts) -------------------------------------

  /** Scans every folder (or the given ones) and waits until every resulting job is done. */
  sync(folders?: Folder[]): Promise<SyncReport> {
    // A sync usually finds work: the decoders load while the folders are walked.
    this.indexer.warm();
    return this.catalogSync.sync(folders);
  }

  /** Resolves once queued scans and watcher batches are applied and indexing has caught up. */
  whenIdle(): Promise<void> {
    return this.catalogSync.whenIdle();
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
      watchFallback: this.catalogSync.watchFallback,
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
    personId?: number;
  }): PhotoPage {
    const { personId, ...rest } = query;
    if (personId !== undefined)
      return this.people.photosOf({ ...rest, personId, order: query.sort });
    return this.catalog.listPhotos({ ...rest, order: query.sort });
  }

  getPhoto(photoId: number): PhotoDetails | null {
    const found = this.catalog.photoWithOrientation(photoId);
    if (!found) return null;
    const { photo, orientation } = found;
    const palette = photo.contentHash ? this.catalog.feature(photo.contentHash, 'palette') : null;
    return { ...photo, palette: palette ? decodePalette(palette.data) : [], orientation };
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
    this.people.markStale();
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
    if (this.changesTimer) clearTimeout(this.changesTimer);
    await this.analysis.close();
    await this.catalogSync.close();
    await this.indexer.close();
    await this.models.close();
    this.catalog.close();
    this.journal.close();
  }
}

export function openLibrary(dir: string, options?: OpenLibraryOptions): Promise<Library> {
  return Library.open(dir, options);
}
