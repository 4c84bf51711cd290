// Brings the catalog in line with what is on disk. One function serves both the full scan (all
// files seen, every row not seen has vanished) and the watcher (a batch of touched paths), so a
// rename is recognised the same way whichever noticed it.
import type { Catalog, FileFacts, PhotoFileRow } from '../catalog/catalog.ts';
import { NO_PERMISSION_REASON } from '../index/protocol.ts';

export interface SeenFile {
  folderId: number;
  file: FileFacts;
}

export interface ReconcileInput {
  seen: readonly SeenFile[];
  /** Rows whose files are no longer at their path. */
  vanished: readonly PhotoFileRow[];
  unreadable?: readonly { folderId: number; path: string; reason: string }[];
}

export interface ReconcileResult {
  added: number[];
  changed: number[];
  moved: number[];
  removed: number[];
  /** Vanished rows kept for now because `deferRemoval` asked (they may yet be found moved). */
  deferred: PhotoFileRow[];
  unchanged: number;
}

export interface ReconcileOptions {
  /** Rows for which this returns true are not deleted yet when no move claims them. */
  deferRemoval?: (row: PhotoFileRow) => boolean;
  now?: number;
}

function couldNotOpen(catalog: Catalog, row: PhotoFileRow): boolean {
  return (
    row.status === 'failed' &&
    row.contentHash === null &&
    catalog.failureOf(row.id) === NO_PERMISSION_REASON
  );
}

const identityKey = (f: { dev: number; ino: number; size: number; mtimeMs: number }): string =>
  `${f.dev}:${f.ino}:${f.size}:${f.mtimeMs}`;

export function reconcile(
  catalog: Catalog,
  input: ReconcileInput,
  { deferRemoval, now = Date.now() }: ReconcileOptions = {},
): ReconcileResult {
  const result: ReconcileResult = {
    added: [],
    changed: [],
    moved: [],
    removed: [],
    deferred: [],
    unchanged: 0,
  };
  // A rename or a move within one volume keeps the inode, size and mtime: that is the file's
  // identity before any byte is read. Moves across volumes are new files whose content hash then
  // finds their cached features and decisions.
  const vanishedByIdentity = new Map<string, PhotoFileRow>();
  for (const row of input.vanished) {
    if (row.dev >= 0 && row.ino > 0) vanishedByIdentity.set(identityKey(row), row);
  }
  const claimed = new Set<number>();

  catalog.transaction(() => {
    for (const { folderId, file } of input.seen) {
      const existing = catalog.photoFileByPath(file.path);
      if (existing) {
        const unchanged = existing.size === file.size && existing.mtimeMs === file.mtimeMs;
        if (unchanged && couldNotOpen(catalog, existing)) {
          // Permissions change without touching size or mtime: a file we were not allowed to
          // open is tried again on every scan, so it is indexed once access is granted.
          catalog.markChanged(existing.id, file, now);
          result.changed.push(existing.id);
        } else if (unchanged) {
          if (
            existing.folderId !== folderId ||
            existing.dev !== file.dev ||
            existing.ino !== file.ino
          ) {
            catalog.movePhoto(existing.id, folderId, file);
          }
          result.unchanged += 1;
        } else {
          catalog.markChanged(existing.id, file, now);
          result.changed.push(existing.id);
        }
        continue;
      }
      const before = vanishedByIdentity.get(identityKey(file));
      if (before && !claimed.has(before.id)) {
        claimed.add(before.id);
        catalog.movePhoto(before.id, folderId, file);
        result.moved.push(before.id);
        continue;
      }
      result.added.push(catalog.insertPendingPhoto(folderId, file, now));
    }
    for (const { folderId, path, reason } of input.unreadable ?? []) {
      catalog.upsertUnreadableFile(folderId, path, reason, now);
    }
    for (const row of input.vanished) {
      if (claimed.has(row.id)) continue;
      if (deferRemoval?.(row)) result.deferred.push(row);
      else result.removed.push(row.id);
    }
    catalog.deletePhotos(result.removed);
  });
  return result;
}
