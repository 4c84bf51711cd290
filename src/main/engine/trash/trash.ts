// Shoebox's own trash. Removing a photo renames it into a `.shoebox-trash` folder on its own
// volume, after a journal record (durable before the rename) says where it came from and what its
// bytes hash to. Restore renames it back; empty hands it to the operating system's trash. Every
// step is record-then-rename, so `reconcile()` after a crash can tell from which path exists
// whether a step happened, and finish or roll it back. Nothing here ever unlinks a photo or
// copies one across volumes.
import { lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Journal, TrashRecord } from '../journal/journal.ts';
import { factsOf, hashFile, sameStat, type FileFactsNow } from './file-facts.ts';
import { TRASH_FOLDER_NAME, trashDirFor } from './locations.ts';
import { defaultOsTrashMover, type OsTrashMover } from './os-trash.ts';

/** Points between the steps of an operation, where a test or the crash harness may pause. */
export type TrashStep = 'recorded' | 'renamed';

export interface AppTrashOptions {
  /** The library's folders: a photo is trashed into a trash folder at the top of its own. */
  roots: () => readonly string[];
  /** How emptying reaches the OS trash; default: the freedesktop trash, or a refusal. */
  osTrash?: OsTrashMover;
  /** Told of paths where a photo appeared or vanished, so the catalog can re-index them. */
  onPathsChanged?: (paths: string[]) => void;
  /** Awaited between the steps of each operation (tests and the crash harness only). */
  pause?: (step: TrashStep) => Promise<void>;
  now?: () => number;
}

export type MoveResult = { ok: true; record: TrashRecord } | { ok: false; reason: string };

export type RestoreResult =
  | {
      ok: true;
      record: TrashRecord;
      path: string;
      /** False when the bytes that came back differ from the ones recorded at removal. */
      identical: boolean;
    }
  | { ok: false; reason: string; suggestedPath?: string };

export interface EmptyOutcome {
  id: number;
  path: string;
  outcome: 'emptied' | 'not-deleted';
  reason?: string;
}

export interface ReconcileReport {
  /** Records whose interrupted step was finished (the rename had happened). */
  completed: TrashRecord[];
  /** Records whose interrupted step was rolled back (the rename had not happened). */
  rolledBack: TrashRecord[];
  /** Records whose file is nowhere Shoebox can find: removed by something else. */
  missing: TrashRecord[];
  /**
   * Files in the trash folders that no record names (an earlier journal was lost). They are
   * left exactly where they are, and listed so the app can point the user to them.
   */
  strays: string[];
}

function renameFailure(error: unknown, what: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EXDEV') return `${what} without copying it across disks, so it was left alone`;
  if (code === 'EACCES' || code === 'EPERM') return `${what}: Shoebox does not have permission`;
  if (code === 'ENOENT') return `${what}: the file is no longer there`;
  if (code === 'EROFS') return `${what}: the disk is read-only`;
  return `${what} (${code ?? (error as Error).message})`;
}

async function isFileAt(path: string): Promise<boolean> {
  const facts = await lstat(path).catch(() => null);
  return facts?.isFile() ?? false;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}

/** "photo (restored).jpg", then "photo (restored 2).jpg", ... : the first free name. */
export async function freeRestoredName(path: string): Promise<string> {
  const ext = extname(path);
  const stem = basename(path, ext);
  for (let n = 1; ; n += 1) {
    const candidate = join(dirname(path), `${stem} (restored${n === 1 ? '' : ` ${n}`})${ext}`);
    if (!(await exists(candidate))) return candidate;
  }
}

export class AppTrash {
  private readonly osTrash: OsTrashMover;
  private readonly now: () => number;

  constructor(
    readonly journal: Journal,
    private readonly options: AppTrashOptions,
  ) {
    this.osTrash = options.osTrash ?? defaultOsTrashMover();
    this.now = options.now ?? Date.now;
  }

  private async pause(step: TrashStep): Promise<void> {
    await this.options.pause?.(step);
  }

  private changed(paths: string[]): void {
    this.options.onPathsChanged?.(paths);
  }

  /** What is in the trash now, oldest first. */
  list(): TrashRecord[] {
    return this.journal.trashRecords(['trashed']);
  }

  /** The trashed record whose photo came from `path` (the latest, if it was trashed twice). */
  findByOriginalPath(path: string): TrashRecord | null {
    return (
      this.list()
        .filter((record) => record.originalPath === path)
        .at(-1) ?? null
    );
  }

  /**
   * Moves a photo into the trash. `verified` are the facts the caller has just checked (see
   * removePhotos); they are recorded before the rename, and size and mtime are checked once more
   * right before it.
   */
  async moveToTrash(path: string, verified: FileFactsNow): Promise<MoveResult> {
    const where = await trashDirFor(path, this.options.roots());
    if (!where.ok) return where;
    try {
      await mkdir(where.dir, { recursive: true });
    } catch (error) {
      return { ok: false, reason: renameFailure(error, 'its trash folder could not be made') };
    }
    // A real folder, never a link someone planted: photos go exactly where the journal says.
    const trashDir = await lstat(where.dir);
    if (!trashDir.isDirectory())
      return { ok: false, reason: `its trash folder ${where.dir} is not a real folder` };
    if (trashDir.dev !== verified.dev)
      return {
        ok: false,
        reason: 'it could not be moved to the trash without copying it across disks',
      };
    if (!(await sameStat(path, verified)))
      return { ok: false, reason: 'changed since you reviewed it' };

    let record = this.beginMove(path, where.dir, verified);
    // rename() replaces silently: a stray file already holding the entry's name (left by an
    // earlier journal that was lost) must never be overwritten, so that name is given up.
    for (let tries = 0; await exists(record.trashPath); tries += 1) {
      this.journal.setTrashState(
        record.id,
        'cancelled',
        { note: 'another file already had this name in the trash folder' },
        this.now(),
      );
      if (tries >= 20) return { ok: false, reason: 'the trash folder has no free name for it' };
      record = this.beginMove(path, where.dir, verified);
    }
    await this.pause('recorded');
    try {
      await rename(path, record.trashPath);
    } catch (error) {
      const reason = renameFailure(error, 'it could not be moved to the trash');
      this.journal.setTrashState(record.id, 'cancelled', { note: reason }, this.now());
      return { ok: false, reason };
    }
    await this.pause('renamed');
    const done = this.journal.setTrashState(record.id, 'trashed', {}, this.now());
    this.changed([path]);
    return { ok: true, record: done };
  }

  private beginMove(path: string, trashDir: string, verified: FileFactsNow): TrashRecord {
    return this.journal.beginMove({
      originalPath: path,
      trashDir,
      contentHash: verified.contentHash,
      size: verified.size,
      mtimeMs: verified.mtimeMs,
      now: this.now(),
    });
  }

  /**
   * Puts a trashed photo back, byte-identical, at its original path, recreating missing folders.
   * Never overwrites: when another file now has that path, `onConflict: 'suffix'` restores as
   * "name (restored).ext"; the default refuses and suggests that name.
   */
  async restore(
    id: number,
    options: { onConflict?: 'refuse' | 'suffix' } = {},
  ): Promise<RestoreResult> {
    const record = this.journal.trashRecord(id);
    if (!record) return { ok: false, reason: 'there is no such item in the trash' };
    if (record.state !== 'trashed')
      return { ok: false, reason: `it is not in the trash (it is ${record.state})` };
    if (!(await isFileAt(record.trashPath)))
      return { ok: false, reason: "its file is no longer in Shoebox's trash folder" };

    let target = record.originalPath;
    if (await exists(target)) {
      const suggestedPath = await freeRestoredName(target);
      if (options.onConflict !== 'suffix')
        return {
          ok: false,
          reason: `another file is now at ${target}; restore it as ${basename(suggestedPath)} instead`,
          suggestedPath,
        };
      target = suggestedPath;
    }
    this.journal.setTrashState(id, 'restoring', { restoredPath: target }, this.now());
    const back = (reason: string): RestoreResult => {
      this.journal.setTrashState(id, 'trashed', { note: reason }, this.now());
      return { ok: false, reason };
    };
    await this.pause('recorded');
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      return back(renameFailure(error, 'its folder could not be made again'));
    }
    // rename() replaces silently; this last look keeps the window for a clash to a few
    // microseconds (Node offers no rename-without-replace).
    if (await exists(target)) return back(`another file appeared at ${target}; nothing was moved`);
    try {
      await rename(record.trashPath, target);
    } catch (error) {
      return back(renameFailure(error, 'it could not be put back'));
    }
    await this.pause('renamed');
    const identical = (await hashFile(target).catch(() => null)) === record.contentHash;
    const done = this.journal.setTrashState(
      id,
      'restored',
      { note: identical ? null : 'the file in the trash had changed since it was removed' },
      this.now(),
    );
    this.changed([target]);
    return { ok: true, record: done, path: target, identical };
  }

  /**
   * Sends trashed photos (all, or the given records) to the operating system's trash. A refusal
   * leaves the photo in Shoebox's trash with the reason; it is never deleted another way.
   */
  async empty(ids?: readonly number[]): Promise<EmptyOutcome[]> {
    const records = ids
      ? ids.map((id) => this.journal.trashRecord(id)).filter((r): r is TrashRecord => r !== null)
      : this.list();
    const outcomes: EmptyOutcome[] = [];
    for (const record of records) {
      const refuse = (reason: string): void => {
        outcomes.push({ id: record.id, path: record.originalPath, outcome: 'not-deleted', reason });
      };
      if (record.state !== 'trashed') {
        refuse(`not deleted: it is not in the trash (it is ${record.state})`);
        continue;
      }
      if (!(await isFileAt(record.trashPath))) {
        refuse("not deleted: its file is no longer in Shoebox's trash folder");
        continue;
      }
      this.journal.setTrashState(record.id, 'emptying', {}, this.now());
      await this.pause('recorded');
      let result;
      try {
        result = await this.osTrash(record.trashPath, { originalPath: record.originalPath });
      } catch (error) {
        result = { ok: false as const, reason: `not deleted: ${(error as Error).message}` };
      }
      if (result.ok && (await exists(record.trashPath)))
        result = {
          ok: false as const,
          reason: 'not deleted: the system trash did not take the file',
        };
      if (result.ok) {
        await this.pause('renamed');
        this.journal.setTrashState(
          record.id,
          'emptied',
          {
            note: result.location
              ? `in the system trash at ${result.location}`
              : 'in the system trash',
          },
          this.now(),
        );
        outcomes.push({ id: record.id, path: record.originalPath, outcome: 'emptied' });
      } else {
        this.journal.setTrashState(record.id, 'trashed', { note: result.reason }, this.now());
        refuse(result.reason);
      }
    }
    return outcomes;
  }

  /** Files in the known trash folders that no journal record accounts for. */
  private async strays(): Promise<string[]> {
    const records = this.journal.trashRecords();
    // Only these states say "the file is in the trash folder"; a cancelled record may name a
    // stray file it gave up on.
    const inTrash = new Set<TrashRecord['state']>(['moving', 'trashed', 'restoring', 'emptying']);
    const known = new Set(
      records.filter((record) => inTrash.has(record.state)).map((record) => record.trashPath),
    );
    const folders = new Set([
      ...this.options.roots().map((root) => join(root, TRASH_FOLDER_NAME)),
      ...records.map((record) => dirname(record.trashPath)),
    ]);
    const strays: string[] = [];
    for (const folder of folders) {
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names.sort()) {
        const path = join(folder, name);
        if (!known.has(path)) strays.push(path);
      }
    }
    return strays;
  }

  /**
   * Finishes or rolls back every step a crash interrupted, by looking at which path holds the
   * file. Run it when the library opens, before anything else touches the trash.
   */
  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { completed: [], rolledBack: [], missing: [], strays: [] };
    const changedPaths: string[] = [];
    for (const record of this.journal.trashRecords(['moving', 'restoring', 'emptying'])) {
      const inTrash = await isFileAt(record.trashPath);
      const set = (
        state: TrashRecord['state'],
        note: string | null,
        extra: { contentHash?: string } = {},
      ): TrashRecord =>
        this.journal.setTrashState(record.id, state, { note, ...extra }, this.now());

      if (record.state === 'moving') {
        if (inTrash) {
          const facts = await factsOf(record.trashPath);
          const same = facts?.contentHash === record.contentHash;
          report.completed.push(
            set(
              'trashed',
              same ? null : 'it changed just before it was moved; the trash holds the changed file',
              facts && !same ? { contentHash: facts.contentHash } : {},
            ),
          );
          changedPaths.push(record.originalPath);
        } else if (await isFileAt(record.originalPath)) {
          report.rolledBack.push(
            set('cancelled', 'Shoebox stopped before moving it; it stayed where it was'),
          );
        } else {
          report.missing.push(set('missing', 'it was gone from both its folder and the trash'));
        }
      } else if (record.state === 'restoring') {
        const target = record.restoredPath ?? record.originalPath;
        if (inTrash) {
          report.rolledBack.push(
            set('trashed', 'the restore was interrupted; it is still in the trash'),
          );
        } else if (await isFileAt(target)) {
          const same = (await hashFile(target).catch(() => null)) === record.contentHash;
          report.completed.push(
            set('restored', same ? null : 'the file in the trash had changed since it was removed'),
          );
          changedPaths.push(target);
        } else {
          report.missing.push(set('missing', 'it was gone from both the trash and its folder'));
        }
      } else if (inTrash) {
        report.rolledBack.push(
          set('trashed', 'emptying was interrupted; it is still in the trash'),
        );
      } else {
        // Only the OS trash mover moves it out of the trash folder, and only by a rename.
        report.completed.push(set('emptied', 'in the system trash (confirmed after a restart)'));
      }
    }
    report.strays = await this.strays();
    if (changedPaths.length > 0) this.changed(changedPaths);
    return report;
  }
}
