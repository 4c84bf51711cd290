// The catalog's queries, in one place, so the rest of the engine speaks in domain terms and never
// writes SQL. Every method is synchronous (better-sqlite3); multi-row changes run in transactions.
import type {
  Folder,
  FailedPhoto,
  ImageFormat,
  Photo,
  PhotoStatus,
} from '../../../shared/domain.ts';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type CatalogDb } from './database.ts';

/** What the file system says about one file: enough to notice a change or a move. */
export interface FileFacts {
  path: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

/** A photo row as the scanner needs it. */
export interface PhotoFileRow extends FileFacts {
  id: number;
  folderId: number;
  status: PhotoStatus;
  contentHash: string | null;
}

export interface PhotoMetadata {
  format: ImageFormat;
  width: number;
  height: number;
  takenAt: number | null;
  camera: string | null;
  orientation: number | null;
}

export interface FeatureRecord {
  kind: string;
  version: string;
  data: Uint8Array;
}

export type PhotoOrder = 'takenAt' | 'name' | 'size';

interface PhotoRowDb {
  id: number;
  folder_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  dev: number | null;
  ino: number | null;
  content_hash: string | null;
  format: string | null;
  width: number | null;
  height: number | null;
  taken_at: number | null;
  camera: string | null;
  orientation: number | null;
  status: PhotoStatus;
  failure: string | null;
}

function toPhoto(row: PhotoRowDb): Photo {
  return {
    id: row.id,
    folderId: row.folder_id,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    contentHash: row.content_hash,
    format: row.format as ImageFormat | null,
    width: row.width,
    height: row.height,
    takenAt: row.taken_at,
    camera: row.camera,
    status: row.status,
    failure: row.failure,
  };
}

function toFileRow(row: PhotoRowDb): PhotoFileRow {
  return {
    id: row.id,
    folderId: row.folder_id,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    dev: row.dev ?? -1,
    ino: row.ino ?? -1,
    status: row.status,
    contentHash: row.content_hash,
  };
}

const orderColumns: Record<PhotoOrder, string> = {
  // Photos without a date sort after dated ones, by name, so the order is total and stable.
  takenAt: 'taken_at IS NULL, taken_at {dir}, path {dir}',
  name: 'path {dir}',
  size: 'size {dir}, path {dir}',
};

export class Catalog {
  readonly db: CatalogDb;
  /**
   * Prepared statements by SQL text. Preparing compiles the SQL each time, which was most of the
   * cost of the many small queries a duplicates view makes (one per member); the few texts built
   * at run time (IN lists of up to 500 ids, grid filters) are bounded too.
   */
  private readonly statements = new Map<string, Statement>();

  constructor(file: string) {
    this.db = openDatabase(file);
  }

  private statement(sql: string): Statement {
    let found = this.statements.get(sql);
    if (!found) {
      found = this.db.prepare(sql);
      this.statements.set(sql, found);
    }
    return found;
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // --- folders ---------------------------------------------------------------------------------

  addFolder(path: string, now = Date.now()): Folder {
    this.statement(`INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)`).run(path, now);
    return this.folderByPath(path)!;
  }

  folderByPath(path: string): Folder | null {
    const row = this.statement(`SELECT * FROM folders WHERE path = ?`).get(path) as
      { id: number; path: string; is_reference: number; added_at: number } | undefined;
    return row
      ? { id: row.id, path: row.path, isReference: row.is_reference === 1, addedAt: row.added_at }
      : null;
  }

  listFolders(): Folder[] {
    const rows = this.statement(`SELECT * FROM folders ORDER BY path`).all() as {
      id: number;
      path: string;
      is_reference: number;
      added_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      path: r.path,
      isReference: r.is_reference === 1,
      addedAt: r.added_at,
    }));
  }

  removeFolder(folderId: number): void {
    this.statement(`DELETE FROM folders WHERE id = ?`).run(folderId);
  }

  setReferenceFolder(folderId: number, isReference: boolean): void {
    this.statement(`UPDATE folders SET is_reference = ? WHERE id = ?`).run(
      isReference ? 1 : 0,
      folderId,
    );
  }

  // --- photos ----------------------------------------------------------------------------------

  photoFilesInFolder(folderId: number): PhotoFileRow[] {
    return (
      this.statement(`SELECT * FROM photos WHERE folder_id = ?`).all(folderId) as PhotoRowDb[]
    ).map(toFileRow);
  }

  photoFilesUnder(pathPrefix: string): PhotoFileRow[] {
    // A range scan on the unique path index; the separator keeps /a/b from matching /a/bc.
    const prefix =
      pathPrefix.endsWith('/') || pathPrefix.endsWith('\\')
        ? pathPrefix
        : pathPrefix + pathSeparator(pathPrefix);
    return (
      this.statement(`SELECT * FROM photos WHERE path >= ? AND path < ?`).all(
        prefix,
        prefix + '\uffff',
      ) as PhotoRowDb[]
    ).map(toFileRow);
  }

  photoFileByPath(path: string): PhotoFileRow | null {
    const row = this.statement(`SELECT * FROM photos WHERE path = ?`).get(path) as
      PhotoRowDb | undefined;
    return row ? toFileRow(row) : null;
  }

  getPhoto(id: number): Photo | null {
    const row = this.statement(`SELECT * FROM photos WHERE id = ?`).get(id) as
      PhotoRowDb | undefined;
    return row ? toPhoto(row) : null;
  }

  /** A photo and its EXIF orientation (which `Photo` leaves out), from one read of its row. */
  photoWithOrientation(id: number): { photo: Photo; orientation: number | null } | null {
    const row = this.statement(`SELECT * FROM photos WHERE id = ?`).get(id) as
      PhotoRowDb | undefined;
    return row ? { photo: toPhoto(row), orientation: row.orientation } : null;
  }

  /** A new file: a pending row and a job for it. Returns the new photo id. */
  insertPendingPhoto(folderId: number, file: FileFacts, now = Date.now()): number {
    const info = this.statement(
      `INSERT INTO photos (folder_id, path, size, mtime_ms, dev, ino, status, first_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(folderId, file.path, file.size, file.mtimeMs, file.dev, file.ino, now);
    const id = Number(info.lastInsertRowid);
    this.enqueueJob(id, now);
    return id;
  }

  /** A file that cannot even be opened (a dangling link): listed as failed, never dropped. */
  upsertUnreadableFile(folderId: number, path: string, reason: string, now = Date.now()): number {
    this.statement(
      `INSERT INTO photos (folder_id, path, size, mtime_ms, status, failure, first_seen_at)
         VALUES (?, ?, 0, 0, 'failed', ?, ?)
         ON CONFLICT(path) DO UPDATE SET status = 'failed', failure = excluded.failure`,
    ).run(folderId, path, reason, now);
    return this.photoFileByPath(path)!.id;
  }

  /** The file at this row changed on disk: forget what was derived from the old bytes, queue it. */
  markChanged(id: number, file: FileFacts, now = Date.now()): void {
    this.statement(
      `UPDATE photos SET size = ?, mtime_ms = ?, dev = ?, ino = ?, status = 'pending',
           failure = NULL, content_hash = NULL WHERE id = ?`,
    ).run(file.size, file.mtimeMs, file.dev, file.ino, id);
    this.enqueueJob(id, now);
  }

  /** The same file under a new path (a rename or move): the row, its id and its state go with it. */
  movePhoto(id: number, folderId: number, file: FileFacts): void {
    this.statement(
      `UPDATE photos SET folder_id = ?, path = ?, size = ?, mtime_ms = ?, dev = ?, ino = ? WHERE id = ?`,
    ).run(folderId, file.path, file.size, file.mtimeMs, file.dev, file.ino, id);
  }

  deletePhotos(ids: Iterable<number>): void {
    const del = this.statement(`DELETE FROM photos WHERE id = ?`);
    for (const id of ids) del.run(id);
  }

  markIndexed(id: number, contentHash: string, meta: PhotoMetadata, now = Date.now()): void {
    this.statement(
      `UPDATE photos SET content_hash = ?, format = ?, width = ?, height = ?, taken_at = ?, camera = ?,
           orientation = ?, status = 'indexed', failure = NULL, indexed_at = ? WHERE id = ?`,
    ).run(
      contentHash,
      meta.format,
      meta.width,
      meta.height,
      meta.takenAt,
      meta.camera,
      meta.orientation,
      now,
      id,
    );
  }

  markFailed(
    id: number,
    reason: string,
    contentHash: string | null = null,
    now = Date.now(),
  ): void {
    this.statement(
      `UPDATE photos SET status = 'failed', failure = ?, content_hash = ?, indexed_at = ? WHERE id = ?`,
    ).run(reason, contentHash, now, id);
  }

  listPhotos(query: {
    order: PhotoOrder;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
  }): {
    total: number;
    photos: Photo[];
  } {
    const params = query.folderId === undefined ? [] : [query.folderId];
    const total = (
      this.statement(`SELECT count(*) AS n FROM photos WHERE ${gridWhere(query)}`).get(
        ...params,
      ) as {
        n: number;
      }
    ).n;
    const rows = this.statement(this.listPhotosSql(query)).all(
      ...params,
      query.limit,
      query.offset,
    ) as PhotoRowDb[];
    return { total, photos: rows.map(toPhoto) };
  }

  /** One grid page's query; its ORDER BY matches a migration-3 index term for term. */
  listPhotosSql(query: { order: PhotoOrder; descending?: boolean; folderId?: number }): string {
    const order = orderColumns[query.order].replaceAll('{dir}', query.descending ? 'DESC' : 'ASC');
    return `SELECT * FROM photos WHERE ${gridWhere(query)} ORDER BY ${order} LIMIT ? OFFSET ?`;
  }

  /** Many photos at once (a page of duplicate groups, a cluster): one query per 500 ids. */
  photosByIds(ids: readonly number[]): Map<number, Photo> {
    const found = new Map<number, Photo>();
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      const rows = this.statement(
        `SELECT * FROM photos WHERE id IN (${chunk.map(() => '?').join(',')})`,
      ).all(...chunk) as PhotoRowDb[];
      for (const row of rows) found.set(row.id, toPhoto(row));
    }
    return found;
  }

  /** Every indexed photo's id and content hash, in id order. */
  indexedPhotoHashes(): { ids: Int32Array; hashes: string[] } {
    const rows = this.statement(
      `SELECT id, content_hash AS hash FROM photos WHERE status = 'indexed' ORDER BY id`,
    ).all() as { id: number; hash: string }[];
    return { ids: Int32Array.from(rows.map((r) => r.id)), hashes: rows.map((r) => r.hash) };
  }

  countByStatus(): Record<PhotoStatus, number> {
    const counts: Record<PhotoStatus, number> = { pending: 0, indexed: 0, failed: 0 };
    for (const row of this.statement(
      `SELECT status, count(*) AS n FROM photos GROUP BY status`,
    ).all() as {
      status: PhotoStatus;
      n: number;
    }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  listFailures(folderIds?: number[]): FailedPhoto[] {
    const rows = this.statement(
      `SELECT path, failure, folder_id FROM photos WHERE status = 'failed' ORDER BY path`,
    ).all() as { path: string; failure: string | null; folder_id: number }[];
    return rows
      .filter((row) => !folderIds || folderIds.includes(row.folder_id))
      .map((row) => ({ path: row.path, reason: row.failure ?? 'unknown failure' }));
  }

  // --- jobs ------------------------------------------------------------------------------------

  enqueueJob(photoId: number, now = Date.now()): void {
    this.statement(
      `INSERT INTO jobs (photo_id, queued_at) VALUES (?, ?)
         ON CONFLICT(photo_id) DO UPDATE SET queued_at = excluded.queued_at, attempts = 0`,
    ).run(photoId, now);
  }

  /** The oldest queued jobs, skipping the ones already running. */
  /** The oldest jobs first; migration 4's index makes this a walk, not a sort of the queue. */
  readonly nextJobsSql = `SELECT jobs.photo_id AS photoId, photos.path AS path,
      jobs.attempts AS attempts, jobs.queued_at AS queuedAt
    FROM jobs JOIN photos ON photos.id = jobs.photo_id
    ORDER BY jobs.queued_at, jobs.photo_id LIMIT ?`;

  nextJobs(
    limit: number,
    running: ReadonlySet<number>,
  ): { photoId: number; path: string; attempts: number; queuedAt: number }[] {
    const rows = this.statement(this.nextJobsSql).all(limit + running.size) as {
      photoId: number;
      path: string;
      attempts: number;
      queuedAt: number;
    }[];
    return rows.filter((row) => !running.has(row.photoId)).slice(0, limit);
  }

  /** Counts an attempt before the work starts, so a crash mid-job is remembered. */
  recordJobAttempt(photoId: number): number {
    this.statement(`UPDATE jobs SET attempts = attempts + 1 WHERE photo_id = ?`).run(photoId);
    const row = this.statement(`SELECT attempts FROM jobs WHERE photo_id = ?`).get(photoId) as
      { attempts: number } | undefined;
    return row?.attempts ?? 0;
  }

  /** Takes back an attempt that failed through no fault of the file (a full disk). */
  forgiveJobAttempt(photoId: number): void {
    this.statement(`UPDATE jobs SET attempts = max(attempts - 1, 0) WHERE photo_id = ?`).run(
      photoId,
    );
  }

  /** The stored failure sentence of a photo, if it failed. */
  failureOf(id: number): string | null {
    const row = this.statement(`SELECT failure FROM photos WHERE id = ?`).get(id) as
      { failure: string | null } | undefined;
    return row?.failure ?? null;
  }

  job(photoId: number): { queuedAt: number; attempts: number } | null {
    const row = this.statement(`SELECT queued_at, attempts FROM jobs WHERE photo_id = ?`).get(
      photoId,
    ) as { queued_at: number; attempts: number } | undefined;
    return row ? { queuedAt: row.queued_at, attempts: row.attempts } : null;
  }

  /** Returns whether the job was removed from the queue. */
  finishJob(photoId: number, queuedAt: number): boolean {
    // Only the job that was run: if the file changed meanwhile the job was re-queued with a
    // newer time and must run again.
    return (
      this.statement(`DELETE FROM jobs WHERE photo_id = ? AND queued_at = ?`).run(photoId, queuedAt)
        .changes > 0
    );
  }

  queuedJobCount(): number {
    return (this.statement(`SELECT count(*) AS n FROM jobs`).get() as { n: number }).n;
  }

  // --- features --------------------------------------------------------------------------------

  featureVersions(contentHash: string): Map<string, string> {
    const rows = this.statement(`SELECT kind, version FROM features WHERE content_hash = ?`).all(
      contentHash,
    ) as {
      kind: string;
      version: string;
    }[];
    return new Map(rows.map((row) => [row.kind, row.version]));
  }

  putFeatures(contentHash: string, features: FeatureRecord[], now = Date.now()): void {
    const put = this.statement(
      `INSERT INTO features (content_hash, kind, version, data, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(content_hash, kind) DO UPDATE SET version = excluded.version, data = excluded.data,
         created_at = excluded.created_at`,
    );
    for (const feature of features) {
      put.run(
        contentHash,
        feature.kind,
        feature.version,
        Buffer.from(feature.data.buffer, feature.data.byteOffset, feature.data.byteLength),
        now,
      );
    }
  }

  feature(contentHash: string, kind: string): { version: string; data: Buffer } | null {
    const row = this.statement(
      `SELECT version, data FROM features WHERE content_hash = ? AND kind = ?`,
    ).get(contentHash, kind) as { version: string; data: Buffer } | undefined;
    return row ?? null;
  }

  /**
   * Queues every indexed photo whose content lacks this feature at this version (a new model
   * was chosen). The photos stay indexed and visible meanwhile. Returns how many were queued.
   */
  enqueueMissingFeature(kind: string, version: string, now = Date.now()): number {
    return this.statement(
      `INSERT OR IGNORE INTO jobs (photo_id, queued_at)
         SELECT p.id, ? FROM photos p
         WHERE p.status = 'indexed' AND NOT EXISTS (
           SELECT 1 FROM features f
           WHERE f.content_hash = p.content_hash AND f.kind = ? AND f.version = ?)`,
    ).run(now, kind, version).changes;
  }

  /** How many indexed photos have this feature at this version. */
  countWithFeature(kind: string, version: string): number {
    const row = this.statement(
      `SELECT count(*) AS n FROM photos p JOIN features f
           ON f.content_hash = p.content_hash AND f.kind = ? AND f.version = ?
         WHERE p.status = 'indexed'`,
    ).get(kind, version) as { n: number };
    return row.n;
  }

  /** Every indexed photo's feature of one kind, for building analysis indexes in bulk. */
  *featuresOfKind(
    kind: string,
    version: string,
  ): IterableIterator<{ photoId: number; contentHash: string; data: Buffer }> {
    const rows = this.db
      .prepare(
        `SELECT photos.id AS photoId, photos.content_hash AS contentHash, features.data AS data
         FROM photos JOIN features ON features.content_hash = photos.content_hash
           AND features.kind = ? AND features.version = ?
         WHERE photos.status = 'indexed' ORDER BY photos.id`,
      )
      .iterate(kind, version) as IterableIterator<{
      photoId: number;
      contentHash: string;
      data: Buffer;
    }>;
    yield* rows;
  }

  // --- picture checks --------------------------------------------------------------------------

  /** The stored same-picture verdicts of one version of the check, by content-hash pair. */
  pictureVerdicts(version: string): Map<string, boolean> {
    const rows = this.statement(`SELECT pair, same FROM picture_checks WHERE version = ?`).all(
      version,
    ) as { pair: string; same: number }[];
    return new Map(rows.map((row) => [row.pair, row.same === 1]));
  }

  savePictureVerdicts(version: string, verdicts: ReadonlyArray<readonly [string, boolean]>): void {
    const upsert = this.statement(
      `INSERT INTO picture_checks (pair, version, same) VALUES (?, ?, ?)
       ON CONFLICT(pair) DO UPDATE SET version = excluded.version, same = excluded.same`,
    );
    this.db.transaction(() => {
      for (const [pair, same] of verdicts) upsert.run(pair, version, same ? 1 : 0);
    })();
  }

  // --- analysis results ------------------------------------------------------------------------

  analysisResult(key: string, space: string): Buffer | null {
    const row = this.statement(`SELECT data FROM analysis WHERE key = ? AND space = ?`).get(
      key,
      space,
    ) as { data: Buffer } | undefined;
    return row?.data ?? null;
  }

  saveAnalysisResult(key: string, space: string, data: Uint8Array, now = Date.now()): void {
    this.statement(
      `INSERT INTO analysis (key, space, data, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET space = excluded.space, data = excluded.data,
           updated_at = excluded.updated_at`,
    ).run(key, space, data, now);
  }

  // --- settings --------------------------------------------------------------------------------

  setting(key: string): string | null {
    const row = this.statement(`SELECT value FROM settings WHERE key = ?`).get(key) as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.statement(
      `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run(key, value);
  }
}

function pathSeparator(path: string): string {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/';
}

function gridWhere(query: { folderId?: number }): string {
  return query.folderId === undefined
    ? `status = 'indexed'`
    : `status = 'indexed' AND folder_id = ?`;
}
