// The durable journal: a small SQLite file beside the catalog (`<library>/journal.sqlite`) that
// holds what must never be lost when the catalog is rebuilt: the trash records, the user's
// duplicate decisions and the list of library folders. Every commit is fsynced
// (synchronous = FULL): a trash record must be on disk before the file it describes moves.
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateJournal } from './migrations.ts';

export const JOURNAL_FILE = 'journal.sqlite';

export function journalPath(libraryDir: string): string {
  return join(libraryDir, JOURNAL_FILE);
}

/**
 * - `moving`: recorded, the rename into the trash may or may not have happened.
 * - `trashed`: in Shoebox's trash at trash_path.
 * - `restoring`: a restore to restored_path may or may not have happened.
 * - `restored`: back at restored_path.
 * - `emptying`: handed to the operating system's trash, answer not yet recorded.
 * - `emptied`: in the operating system's trash.
 * - `cancelled`: the move into the trash never happened; the file stayed where it was.
 * - `missing`: gone from every place Shoebox knows of, by something outside Shoebox.
 */
export type TrashState =
  | 'moving'
  | 'trashed'
  | 'restoring'
  | 'restored'
  | 'emptying'
  | 'emptied'
  | 'cancelled'
  | 'missing';

export interface TrashRecord {
  id: number;
  originalPath: string;
  trashPath: string;
  contentHash: string;
  size: number;
  mtimeMs: number;
  state: TrashState;
  trashedAt: number;
  updatedAt: number;
  restoredPath: string | null;
  note: string | null;
}

export type DecisionKind = 'keep-all' | 'not-duplicates' | 'kept' | 'removed';

export interface Decision {
  id: number;
  kind: DecisionKind;
  /** Sorted, distinct content hashes. */
  hashes: string[];
  /** For 'kept': the hashes the user kept. */
  kept: string[] | null;
  createdAt: number;
}

export interface JournalFolder {
  path: string;
  isReference: boolean;
  addedAt: number;
}

interface TrashRow {
  id: number;
  original_path: string;
  trash_path: string;
  content_hash: string;
  size: number;
  mtime_ms: number;
  state: TrashState;
  trashed_at: number;
  updated_at: number;
  restored_path: string | null;
  note: string | null;
}

function toRecord(row: TrashRow): TrashRecord {
  return {
    id: row.id,
    originalPath: row.original_path,
    trashPath: row.trash_path,
    contentHash: row.content_hash,
    size: row.size,
    mtimeMs: row.mtime_ms,
    state: row.state,
    trashedAt: row.trashed_at,
    updatedAt: row.updated_at,
    restoredPath: row.restored_path,
    note: row.note,
  };
}

interface DecisionRow {
  id: number;
  kind: DecisionKind;
  hashes: string;
  kept: string | null;
  created_at: number;
}

function toDecision(row: DecisionRow): Decision {
  return {
    id: row.id,
    kind: row.kind,
    hashes: JSON.parse(row.hashes) as string[],
    kept: row.kept ? (JSON.parse(row.kept) as string[]) : null,
    createdAt: row.created_at,
  };
}

/** A name for the file inside the trash folder that no other entry can have: `<id>-<basename>`. */
export function trashEntryName(id: number, originalPath: string): string {
  return `${id}-${basename(originalPath)}`;
}

export class Journal {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    // WAL lets the app and a CLI run share the journal; FULL makes each commit durable before
    // the call returns, which the trash relies on (record first, then rename).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    migrateJournal(this.db);
  }

  close(): void {
    this.db.close();
  }

  // --- trash -----------------------------------------------------------------------------------

  /**
   * Records a photo about to move into the trash folder `trashDir`, in state 'moving', and
   * returns the record with its unique trash path. Durable when this returns.
   */
  beginMove(entry: {
    originalPath: string;
    trashDir: string;
    contentHash: string;
    size: number;
    mtimeMs: number;
    now?: number;
  }): TrashRecord {
    const now = entry.now ?? Date.now();
    return this.db.transaction(() => {
      // The id names the file in the trash, so it is taken first; the placeholder trash path
      // never outlives this transaction.
      const info = this.db
        .prepare(
          `INSERT INTO trash (original_path, trash_path, content_hash, size, mtime_ms, state,
             trashed_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'moving', ?, ?)`,
        )
        .run(
          entry.originalPath,
          `pending:${now}:${Math.random()}`,
          entry.contentHash,
          entry.size,
          Math.floor(entry.mtimeMs),
          now,
          now,
        );
      const id = Number(info.lastInsertRowid);
      const trashPath = join(entry.trashDir, trashEntryName(id, entry.originalPath));
      this.db.prepare(`UPDATE trash SET trash_path = ? WHERE id = ?`).run(trashPath, id);
      return this.trashRecord(id)!;
    })();
  }

  /** Moves a record to a new state; `fields` set the restore target or a note alongside. */
  setTrashState(
    id: number,
    state: TrashState,
    fields: { note?: string | null; restoredPath?: string | null; contentHash?: string } = {},
    now = Date.now(),
  ): TrashRecord {
    const sets = ['state = ?', 'updated_at = ?'];
    const values: unknown[] = [state, now];
    if (fields.note !== undefined) {
      sets.push('note = ?');
      values.push(fields.note);
    }
    if (fields.restoredPath !== undefined) {
      sets.push('restored_path = ?');
      values.push(fields.restoredPath);
    }
    if (fields.contentHash !== undefined) {
      sets.push('content_hash = ?');
      values.push(fields.contentHash);
    }
    const changed = this.db
      .prepare(`UPDATE trash SET ${sets.join(', ')} WHERE id = ?`)
      .run(...values, id).changes;
    if (changed === 0) throw new Error(`no trash record ${id}`);
    return this.trashRecord(id)!;
  }

  trashRecord(id: number): TrashRecord | null {
    const row = this.db.prepare(`SELECT * FROM trash WHERE id = ?`).get(id) as TrashRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Records in the given states (all when omitted), oldest first. */
  trashRecords(states?: readonly TrashState[]): TrashRecord[] {
    const rows = (
      states
        ? this.db
            .prepare(
              `SELECT * FROM trash WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`,
            )
            .all(...states)
        : this.db.prepare(`SELECT * FROM trash ORDER BY id`).all()
    ) as TrashRow[];
    return rows.map(toRecord);
  }

  // --- decisions -------------------------------------------------------------------------------

  /** Records (or re-dates) a decision; hashes are sorted and de-duplicated here. */
  recordDecision(
    kind: DecisionKind,
    hashes: readonly string[],
    kept: readonly string[] | null = null,
    now = Date.now(),
  ): Decision {
    const sorted = [...new Set(hashes)].sort();
    const keptJson = kept ? JSON.stringify([...new Set(kept)].sort()) : null;
    this.db
      .prepare(
        `INSERT INTO decisions (kind, hashes, kept, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(hashes, kind) DO UPDATE SET kept = excluded.kept, created_at = excluded.created_at`,
      )
      .run(kind, JSON.stringify(sorted), keptJson, now);
    const row = this.db
      .prepare(`SELECT * FROM decisions WHERE hashes = ? AND kind = ?`)
      .get(JSON.stringify(sorted), kind) as DecisionRow;
    return toDecision(row);
  }

  decisions(kind?: DecisionKind): Decision[] {
    const rows = (
      kind
        ? this.db.prepare(`SELECT * FROM decisions WHERE kind = ? ORDER BY id`).all(kind)
        : this.db.prepare(`SELECT * FROM decisions ORDER BY id`).all()
    ) as DecisionRow[];
    return rows.map(toDecision);
  }

  /** Undoes a decision (the user changed their mind). */
  removeDecision(id: number): void {
    this.db.prepare(`DELETE FROM decisions WHERE id = ?`).run(id);
  }

  // --- folders ---------------------------------------------------------------------------------

  /** Mirrors a library folder, so a rebuilt catalog can be refilled from the same folders. */
  putFolder(path: string, isReference = false, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO folders (path, is_reference, added_at) VALUES (?, ?, ?)
         ON CONFLICT(path) DO UPDATE SET is_reference = excluded.is_reference`,
      )
      .run(path, isReference ? 1 : 0, now);
  }

  removeFolder(path: string): void {
    this.db.prepare(`DELETE FROM folders WHERE path = ?`).run(path);
  }

  listFolders(): JournalFolder[] {
    return (
      this.db.prepare(`SELECT * FROM folders ORDER BY path`).all() as {
        path: string;
        is_reference: number;
        added_at: number;
      }[]
    ).map((row) => ({
      path: row.path,
      isReference: row.is_reference === 1,
      addedAt: row.added_at,
    }));
  }
}

export function openJournal(libraryDir: string): Journal {
  return new Journal(journalPath(libraryDir));
}
