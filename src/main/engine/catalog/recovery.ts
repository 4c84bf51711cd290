// Opening the catalog when it may be damaged. The catalog is a cache of what is on disk, so a
// damaged or unreadable one is not repaired in place: it is moved aside (kept, in case someone
// wants to look at it) and a fresh one is opened, which the Library then refills by rescanning.
// What a rebuild cannot recreate (decisions, the trash, the folder list) lives in journal.sqlite.
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What the caller's `open` returns: anything holding a better-sqlite3 handle. */
export interface CatalogLike {
  db: { pragma(source: string, options?: { simple?: boolean }): unknown };
  close(): void;
}

export interface CatalogRecovery {
  /** Where the damaged catalog now is (its -wal and -shm, if any, sit beside it). */
  movedTo: string;
  /** Plain English: what was wrong. */
  reason: string;
}

export interface SafeOpen<C> {
  catalog: C;
  recovered: CatalogRecovery | null;
}

// SQLite's answers that mean the file itself is bad, rather than busy or from a newer Shoebox.
const DAMAGE_CODES = /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|FORMAT|RANGE)/;

function damageOf(error: unknown): string | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && DAMAGE_CODES.test(code)) {
    if (code.startsWith('SQLITE_NOTADB')) return 'the catalog file is not a database';
    if (code.startsWith('SQLITE_CANTOPEN')) return 'the catalog file cannot be opened';
    if (code.startsWith('SQLITE_IOERR')) return 'the catalog file cannot be read';
    return `the catalog is damaged (${(error as Error).message})`;
  }
  return null;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Moves `file` and its -wal/-shm companions aside; returns the new path of the main file. */
async function moveAside(file: string, now: Date): Promise<string> {
  const dir = dirname(file);
  const name = basename(file).replace(/\.sqlite$/, '');
  let target = join(dir, `${name}.damaged-${stamp(now)}.sqlite`);
  for (let n = 2; existsSync(target); n += 1)
    target = join(dir, `${name}.damaged-${stamp(now)}-${n}.sqlite`);
  // The companions first: a fresh catalog must never pick up the old file's write-ahead log.
  for (const suffix of ['-wal', '-shm', '-journal'])
    if (existsSync(file + suffix)) await rename(file + suffix, target + suffix);
  if (existsSync(file)) await rename(file, target);
  return target;
}

/**
 * Opens the catalog with `open` (e.g. `(f) => new Catalog(f)`, which also migrates it) and runs
 * `PRAGMA quick_check`. A catalog that fails either way is moved aside to
 * `catalog.damaged-<time>.sqlite` and a fresh one is opened. Errors that do not mean damage (a
 * catalog from a newer Shoebox, a locked file) are thrown unchanged: moving those aside would
 * lose a good catalog.
 */
export async function openCatalogSafely<C extends CatalogLike>(
  file: string,
  open: (file: string) => C,
  options: { now?: () => Date } = {},
): Promise<SafeOpen<C>> {
  const now = options.now ?? (() => new Date());
  let reason: string | null = null;
  let catalog: C | null = null;
  try {
    catalog = open(file);
    const result = catalog.db.pragma('quick_check', { simple: true });
    if (result !== 'ok') reason = `the catalog is damaged (${String(result).split('\n')[0]})`;
  } catch (error) {
    reason = damageOf(error);
    if (reason === null) {
      try {
        catalog?.close();
      } catch {
        // Closing a half-open handle can fail too; the original error is the one to report.
      }
      throw error;
    }
  }
  if (reason === null && catalog) return { catalog, recovered: null };
  try {
    catalog?.close();
  } catch {
    // Already unusable; it is being moved aside anyway.
  }
  const movedTo = await moveAside(file, now());
  return {
    catalog: open(file),
    recovered: { movedTo, reason: reason ?? 'the catalog is damaged' },
  };
}

/** The sentence the app shows after a recovery. */
export function recoveryMessage(recovered: CatalogRecovery): string {
  return (
    `Shoebox found its catalog damaged (${recovered.reason}) and set it aside as ` +
    `${basename(recovered.movedTo)}. It is rebuilding the catalog from your photo folders; ` +
    `your decisions and the trash are kept separately and are unaffected.`
  );
}
