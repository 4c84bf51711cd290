// The trash as the Library, the CLI and the contract use it: one object over the journal that
// speaks in paths and plain outcomes (ready to print as JSON or show in the UI), and that knows
// the library's folders, its reference folders and what the catalog last saw of each photo.
import { resolve } from 'node:path';
import type { RestoreOutcome, TrashItem } from '../../../shared/api.ts';
import type { Journal, TrashRecord } from '../journal/journal.ts';
import type { FileExpectation } from './file-facts.ts';
import type { OsTrashMover } from './os-trash.ts';
import { removePhotos, type RemoveOutcome, type RemoveRequest } from './remove.ts';
import { AppTrash, type EmptyOutcome, type ReconcileReport, type TrashStep } from './trash.ts';

// The shapes the UI sees are the contract's; the trash answers in them directly.
export type { RestoreOutcome, TrashItem };

export interface TrashServiceOptions {
  /** The library's folders (absolute paths). */
  roots(): readonly string[];
  isReferenceFolder(path: string): boolean;
  /** What the catalog last saw of a photo, for `add` by path; null when it is not indexed. */
  expectationFor?(path: string): FileExpectation | null;
  osTrash?: OsTrashMover;
  /** Paths where a photo appeared or vanished: the Library re-indexes / drops them. */
  onPathsChanged?(paths: string[]): void;
  pause?: (step: TrashStep) => Promise<void>;
}

export const NOT_INDEXED = 'it is not an indexed photo of this library';

function toItem(record: TrashRecord): TrashItem {
  return {
    id: record.id,
    path: record.originalPath,
    trashedAt: record.trashedAt,
    size: record.size,
    contentHash: record.contentHash,
    note: record.note,
  };
}

export class TrashService {
  readonly trash: AppTrash;

  constructor(
    readonly journal: Journal,
    private readonly options: TrashServiceOptions,
  ) {
    this.trash = new AppTrash(journal, {
      roots: options.roots,
      osTrash: options.osTrash,
      onPathsChanged: options.onPathsChanged,
      pause: options.pause,
    });
  }

  /** Settles what a crash left half-done; call once when the library opens. */
  reconcile(): Promise<ReconcileReport> {
    return this.trash.reconcile();
  }

  list(): TrashItem[] {
    return this.trash.list().map(toItem);
  }

  /** Removes photos the user reviewed (the duplicates screen): verified, then trashed. */
  remove(requests: readonly RemoveRequest[]): Promise<RemoveOutcome[]> {
    return removePhotos(requests, {
      trash: this.trash,
      isReferenceFolder: (path) => this.options.isReferenceFolder(path),
    });
  }

  /**
   * Removes photos named by path (`shoebox trash add`): each must still be what the catalog
   * last indexed, so a file edited since is not removed unseen.
   */
  async add(paths: readonly string[]): Promise<RemoveOutcome[]> {
    const outcomes: RemoveOutcome[] = [];
    for (const path of paths.map((p) => resolve(p))) {
      const expected = this.options.expectationFor?.(path) ?? null;
      if (!expected) outcomes.push({ path, outcome: 'skipped', reason: NOT_INDEXED });
      else outcomes.push(...(await this.remove([{ path, expected }])));
    }
    return outcomes;
  }

  /** Restores by original path (the latest trashing of it), or by id. Never overwrites. */
  async restore(
    targets: readonly (string | number)[],
    options: { onConflict?: 'refuse' | 'suffix' } = {},
  ): Promise<RestoreOutcome[]> {
    const outcomes: RestoreOutcome[] = [];
    for (const target of targets) {
      const record =
        typeof target === 'number'
          ? this.journal.trashRecord(target)
          : this.trash.findByOriginalPath(resolve(target));
      const path =
        record?.originalPath ?? (typeof target === 'number' ? `#${target}` : resolve(target));
      if (!record || record.state !== 'trashed') {
        outcomes.push({ path, outcome: 'skipped', reason: 'it is not in the trash' });
        continue;
      }
      const result = await this.trash.restore(record.id, options);
      outcomes.push(
        result.ok
          ? { path, outcome: 'restored', restoredTo: result.path, identical: result.identical }
          : {
              path,
              outcome: 'skipped',
              reason: result.reason,
              suggestedPath: result.suggestedPath,
            },
      );
    }
    return outcomes;
  }

  /**
   * Sends everything (or the given items, by id or original path) to the OS trash; a refusal
   * leaves the photo in Shoebox's trash, with the reason.
   */
  empty(targets?: readonly (string | number)[]): Promise<EmptyOutcome[]> {
    if (!targets) return this.trash.empty();
    const ids = new Set(targets.filter((t): t is number => typeof t === 'number'));
    const paths = new Set(targets.filter((t) => typeof t === 'string').map((p) => resolve(p)));
    return this.trash.empty(
      this.trash
        .list()
        .filter((record) => ids.has(record.id) || paths.has(record.originalPath))
        .map((record) => record.id),
    );
  }
}
