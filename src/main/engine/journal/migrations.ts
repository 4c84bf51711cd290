// Numbered migrations of the durable journal (journal.sqlite). Unlike the catalog, the journal is
// never rebuilt from the disk: it holds what the disk cannot tell us (where a trashed photo came
// from, what the user decided, which folders make up the library). So these migrations only ever
// add; never edit one that has shipped, add the next number.
import type { Database } from 'better-sqlite3';

export interface JournalMigration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const journalMigrations: readonly JournalMigration[] = [
  {
    version: 1,
    name: 'trash records and durable decisions',
    up(db) {
      db.exec(`
        -- One row per photo ever sent to Shoebox's trash. The row is written (state 'moving')
        -- before the file is renamed, so a crash at any point leaves a record that says where the
        -- file is: at original_path, or at trash_path.
        CREATE TABLE trash (
          id            INTEGER PRIMARY KEY,
          original_path TEXT NOT NULL,
          trash_path    TEXT NOT NULL UNIQUE,
          content_hash  TEXT NOT NULL,
          size          INTEGER NOT NULL,
          mtime_ms      INTEGER NOT NULL,
          state         TEXT NOT NULL CHECK (state IN ('moving', 'trashed', 'restoring',
                          'restored', 'emptying', 'emptied', 'cancelled', 'missing')),
          trashed_at    INTEGER NOT NULL,
          updated_at    INTEGER NOT NULL,
          -- Where a restore puts (or put) the file: the original path or a suffixed one.
          restored_path TEXT,
          -- Why the last step ended as it did (an OS refusal, a rollback after a crash).
          note          TEXT
        );
        CREATE INDEX trash_state ON trash(state);
        CREATE INDEX trash_original ON trash(original_path);

        -- The user's decisions about duplicate groups, by content identity: a JSON array of the
        -- sorted content hashes of the group, so they survive rescans, moves and catalog rebuilds.
        CREATE TABLE decisions (
          id         INTEGER PRIMARY KEY,
          kind       TEXT NOT NULL CHECK (kind IN ('keep-all', 'not-duplicates', 'kept', 'removed')),
          hashes     TEXT NOT NULL,
          -- For 'kept': JSON array of the hashes the user kept.
          kept       TEXT,
          created_at INTEGER NOT NULL,
          UNIQUE (hashes, kind)
        );
      `);
    },
  },
  {
    version: 2,
    name: 'library folders, so a rebuilt catalog knows what to rescan',
    up(db) {
      db.exec(`
        CREATE TABLE folders (
          path         TEXT PRIMARY KEY,
          is_reference INTEGER NOT NULL DEFAULT 0 CHECK (is_reference IN (0, 1)),
          added_at     INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    name: 'people: their ids and names, and which face belongs to whom',
    up(db) {
      db.exec(`
        -- Every person id ever handed out (AUTOINCREMENT: an id is never reused, so a stale
        -- reference cannot land on someone else), with the name the user gave, if any.
        CREATE TABLE people (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          name       TEXT,
          created_at INTEGER NOT NULL
        );

        -- Faces named by content and position ('<content hash>:<index>'), since face rows are
        -- the catalog's. pinned = 1: the user's decision (merged, moved out, named with this
        -- person; person_id NULL = kept out of every person), which grouping must follow.
        -- pinned = 0: what the last grouping said, so person ids stay the same after a rebuild.
        CREATE TABLE face_people (
          face_key  TEXT PRIMARY KEY,
          person_id INTEGER REFERENCES people(id),
          pinned    INTEGER NOT NULL CHECK (pinned IN (0, 1)),
          CHECK (pinned = 1 OR person_id IS NOT NULL)
        ) WITHOUT ROWID;
        CREATE INDEX face_people_person ON face_people(person_id);
      `);
    },
  },
];

export const latestJournalVersion = journalMigrations[journalMigrations.length - 1]?.version ?? 0;

/** Applies the migrations above the journal's version; refuses a journal from a newer Shoebox. */
export function migrateJournal(db: Database, upTo: number = latestJournalVersion): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latestJournalVersion) {
    throw new Error(
      `This library's journal was written by a newer Shoebox (journal version ${current}); update Shoebox to open it.`,
    );
  }
  for (const migration of journalMigrations) {
    if (migration.version <= current || migration.version > upTo) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
