// Numbered schema migrations. The catalog records its version in PRAGMA user_version; opening a
// catalog applies every migration above it, each in its own transaction, in order. Never edit a
// migration that has shipped: add the next number.
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial catalog: folders, photos, features, jobs, settings',
    up(db) {
      db.exec(`
        CREATE TABLE folders (
          id           INTEGER PRIMARY KEY,
          path         TEXT NOT NULL UNIQUE,
          is_reference INTEGER NOT NULL DEFAULT 0 CHECK (is_reference IN (0, 1)),
          added_at     INTEGER NOT NULL
        );

        -- One row per file path. Identity across moves is the content hash: features and
        -- decisions hang off it, so a moved or duplicated file reuses them.
        CREATE TABLE photos (
          id            INTEGER PRIMARY KEY,
          folder_id     INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
          path          TEXT NOT NULL UNIQUE,
          size          INTEGER NOT NULL,
          mtime_ms      INTEGER NOT NULL,
          dev           INTEGER,
          ino           INTEGER,
          content_hash  TEXT,
          format        TEXT,
          width         INTEGER,
          height        INTEGER,
          taken_at      INTEGER,
          camera        TEXT,
          orientation   INTEGER,
          status        TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'indexed', 'failed')),
          failure       TEXT,
          first_seen_at INTEGER NOT NULL,
          indexed_at    INTEGER
        );
        CREATE INDEX photos_folder ON photos(folder_id);
        CREATE INDEX photos_content_hash ON photos(content_hash);
        CREATE INDEX photos_status ON photos(status);
        CREATE INDEX photos_dev_ino ON photos(dev, ino);

        -- Derived data per content, with the version of the algorithm that made it, so a new
        -- algorithm version recomputes only its own feature.
        CREATE TABLE features (
          content_hash TEXT NOT NULL,
          kind         TEXT NOT NULL,
          version      TEXT NOT NULL,
          data         BLOB NOT NULL,
          created_at   INTEGER NOT NULL,
          PRIMARY KEY (content_hash, kind)
        ) WITHOUT ROWID;

        -- The persistent job queue: a row means the photo needs indexing. Attempts survive a
        -- crash, so a file that kills the decoder every time is eventually marked failed.
        CREATE TABLE jobs (
          photo_id  INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
          queued_at INTEGER NOT NULL,
          attempts  INTEGER NOT NULL DEFAULT 0
        );

        -- The user's decisions are not here: they live in the journal (journal.sqlite), which
        -- a rebuild of this catalog never touches.


        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    name: 'analysis results: neighbour graph, clusters, map layout, per embedding space',
    up(db) {
      db.exec(`
        -- Derived from the features, so rebuildable; kept so that opening a library does not
        -- recompute them. 'space' names the embedding they were computed in.
        CREATE TABLE analysis (
          key        TEXT PRIMARY KEY,
          space      TEXT NOT NULL,
          data       BLOB NOT NULL,
          updated_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    name: 'indexes for the photo grid: one per sort order and direction',
    up(db) {
      // The grid pages through 100k photos sorted by date, name or size; without these every
      // page sorted the whole table. Each index matches one ORDER BY exactly (SQLite can only
      // walk an index backwards when every term is reversed, hence two for the date).
      db.exec(`
        CREATE INDEX photos_grid_taken_asc ON photos(status, taken_at IS NULL, taken_at, path);
        CREATE INDEX photos_grid_taken_desc ON photos(status, taken_at IS NULL, taken_at DESC, path DESC);
        CREATE INDEX photos_grid_path ON photos(status, path);
        CREATE INDEX photos_grid_size ON photos(status, size, path);
      `);
    },
  },
  {
    version: 4,
    name: 'the job queue read in order from an index',
    up(db) {
      // The indexer takes the oldest job after every photo; without this each take sorted the
      // whole queue, which at 100k queued photos made indexing quadratic.
      db.exec(`CREATE INDEX jobs_order ON jobs(queued_at, photo_id);`);
    },
  },
  {
    version: 5,
    name: 'picture checks: whether two contents show the same picture',
    up(db) {
      // One row per pair of content hashes the duplicate check has looked at (pair = the two
      // hashes in order, joined by '|'), with the check's version: a verdict holds for those
      // contents whatever the embedding, and is kept across reopenings so it is computed once.
      db.exec(`
        CREATE TABLE picture_checks (
          pair    TEXT PRIMARY KEY,
          version TEXT NOT NULL,
          same    INTEGER NOT NULL CHECK (same IN (0, 1))
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 6,
    name: 'faces and the people they were grouped into',
    up(db) {
      // Faces hang off content, like features: identical files share them. face_index is the
      // face's place in its photo's stable order (top to bottom), so (content, index) names the
      // same face every time the photo is analysed with the same detector version: the journal
      // refers to faces that way. person_id is the last grouping's answer (null: a stranger, or
      // not grouped yet); the person ids themselves and their names live in the journal.
      db.exec(`
        CREATE TABLE faces (
          id           INTEGER PRIMARY KEY,
          content_hash TEXT NOT NULL,
          face_index   INTEGER NOT NULL,
          x            REAL NOT NULL,
          y            REAL NOT NULL,
          width        REAL NOT NULL,
          height       REAL NOT NULL,
          score        REAL NOT NULL,
          descriptor   BLOB NOT NULL,
          person_id    INTEGER,
          UNIQUE (content_hash, face_index)
        );
        CREATE INDEX faces_person ON faces(person_id);

        -- One row per person of the last grouping: its representative (medoid) face.
        CREATE TABLE people (
          id                     INTEGER PRIMARY KEY,
          representative_face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE
        );
      `);
    },
  },
];

export const latestVersion = migrations[migrations.length - 1]?.version ?? 0;

/** Applies the migrations above the catalog's version. Refuses a catalog newer than this build. */
export function migrate(db: Database, upTo: number = latestVersion): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latestVersion) {
    throw new Error(
      `This library was written by a newer Shoebox (catalog version ${current}); update Shoebox to open it.`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > upTo) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
