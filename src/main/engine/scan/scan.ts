// A full scan: walk every library folder and reconcile the catalog with what was found.
import { stat } from 'node:fs/promises';
import type { Folder } from '../../../shared/domain.ts';
import type { Catalog, PhotoFileRow } from '../catalog/catalog.ts';
import { reconcile, type ReconcileResult, type SeenFile } from './reconcile.ts';
import { walkFolder } from './walk.ts';

export interface ScanReport extends ReconcileResult {
  /** Folders (or parts of them) that could not be read; their photos are kept, not removed. */
  folderErrors: { path: string; reason: string }[];
}

export async function scanFolders(
  catalog: Catalog,
  folders: readonly Folder[],
  options: { excludeRealPaths?: readonly string[] } = {},
): Promise<ScanReport> {
  const seen: SeenFile[] = [];
  const seenPaths = new Set<string>();
  const unreadable: { folderId: number; path: string; reason: string }[] = [];
  const folderErrors: { path: string; reason: string }[] = [];
  const vanished: PhotoFileRow[] = [];

  for (const folder of folders) {
    // A folder that is not there at all (an unplugged drive) must not empty the catalog: its
    // photos stay as they are until the folder is reachable again.
    const root = await stat(folder.path).catch(() => null);
    if (!root?.isDirectory()) {
      folderErrors.push({
        path: folder.path,
        reason: 'folder is not reachable; its photos are kept as they were',
      });
      continue;
    }
    const unlisted: string[] = [];
    for await (const entry of walkFolder(folder.path, options)) {
      if (entry.kind === 'file') {
        seen.push({ folderId: folder.id, file: entry.file });
        seenPaths.add(entry.file.path);
      } else if (entry.kind === 'unreadable') {
        unreadable.push({ folderId: folder.id, path: entry.path, reason: entry.reason });
        seenPaths.add(entry.path);
      } else {
        folderErrors.push({ path: entry.path, reason: entry.reason });
        unlisted.push(entry.path);
      }
    }
    for (const row of catalog.photoFilesInFolder(folder.id)) {
      if (seenPaths.has(row.path)) continue;
      // Rows under a subfolder we could not list are unknown, not gone.
      if (unlisted.some((dir) => row.path.startsWith(dir + '/') || row.path.startsWith(dir + '\\')))
        continue;
      vanished.push(row);
    }
  }
  const result = reconcile(catalog, { seen, vanished, unreadable });
  return { ...result, folderErrors };
}
