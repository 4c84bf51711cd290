// Opens the catalog: one SQLite file in the library folder, in WAL mode so readers (the UI, a
// CLI run) never wait for the indexer's writes, with foreign keys enforced.
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type CatalogDb = Database.Database;

export function openDatabase(file: string): CatalogDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
  // last transactions, and the catalog is rebuilt from the disk anyway (decisions excepted).
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

/** The disk under the catalog (or a cache beside it) is full: the machine's trouble, not the data's. */
export function isDiskFullError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}
