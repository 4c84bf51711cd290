// Where a photo goes when it is trashed: a `.shoebox-trash` folder on the same volume, so the
// move is always a rename (atomic, no copy, nothing to verify twice). Normally that is the top of
// the library folder that holds the photo; when the photo sits on another device than that folder
// (a disk mounted somewhere inside it), it is the top of that mount instead. The scanner skips dot
// folders, so trashed photos never show up as photos of the library.
import { lstat, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isInside } from '../paths.ts';

export const TRASH_FOLDER_NAME = '.shoebox-trash';

export type TrashDirAnswer = { ok: true; dir: string; dev: number } | { ok: false; reason: string };

/** The folder (the given one or an ancestor) where the file system holding `path` starts. */
export async function mountTop(path: string): Promise<string> {
  let current = resolve(path);
  const dev = (await stat(current)).dev;
  for (;;) {
    const parent = dirname(current);
    if (parent === current) return current;
    const parentDev = await stat(parent)
      .then((facts) => facts.dev)
      .catch(() => null);
    if (parentDev !== dev) return current;
    current = parent;
  }
}

/**
 * The trash folder for a photo inside one of `roots` (the library's folders). Refuses a photo
 * outside every root: Shoebox only removes photos of its own library.
 */
export async function trashDirFor(
  photoPath: string,
  roots: readonly string[],
): Promise<TrashDirAnswer> {
  const path = resolve(photoPath);
  const root = roots
    .map((r) => resolve(r))
    .filter((r) => isInside(path, r) && r !== path)
    .sort((a, b) => b.length - a.length)[0];
  if (!root) return { ok: false, reason: "it is not in one of the library's folders" };
  const photo = await lstat(path).catch(() => null);
  if (!photo) return { ok: false, reason: 'it is no longer there' };
  const rootFacts = await stat(root).catch(() => null);
  if (!rootFacts) return { ok: false, reason: `its library folder ${root} is not available` };
  if (rootFacts.dev === photo.dev)
    return { ok: true, dir: join(root, TRASH_FOLDER_NAME), dev: photo.dev };
  // Another disk mounted inside the library folder: its own trash, at the top of that mount.
  const top = await mountTop(dirname(path));
  return { ok: true, dir: join(top, TRASH_FOLDER_NAME), dev: photo.dev };
}
