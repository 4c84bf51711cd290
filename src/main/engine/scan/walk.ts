// Walks a library folder recursively and yields every photo candidate with its file facts.
// Follows symbolic links (people link albums in), but remembers every real folder it has entered
// so a link back to an ancestor cannot loop. Never writes anything.
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileFacts } from '../catalog/catalog.ts';
import { isIgnoredName, isPhotoExtension, mightBeImageByContent } from './candidates.ts';
import { looksLikeImage } from './sniff-head.ts';

export type WalkEntry =
  | { kind: 'file'; file: FileFacts }
  /** A photo-named entry that cannot be read at all: it is listed with the reason. */
  | { kind: 'unreadable'; path: string; reason: string }
  /** A folder that could not be listed: reported, and the walk goes on. */
  | { kind: 'folder-error'; path: string; reason: string };

export interface WalkOptions {
  /** Real paths never to enter: the library's own folder (catalog, cache, trash). */
  excludeRealPaths?: readonly string[];
}

export async function* walkFolder(
  root: string,
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry> {
  const excluded = new Set(options.excludeRealPaths ?? []);
  const visited = new Set<string>();
  const stack: string[] = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let real: string;
    try {
      real = await realpath(dir);
    } catch (error) {
      yield { kind: 'folder-error', path: dir, reason: folderErrorReason(error) };
      continue;
    }
    if (visited.has(real) || excluded.has(real)) continue;
    visited.add(real);

    let handle;
    try {
      handle = await opendir(dir);
    } catch (error) {
      yield { kind: 'folder-error', path: dir, reason: folderErrorReason(error) };
      continue;
    }
    const subfolders: string[] = [];
    for await (const entry of handle) {
      if (isIgnoredName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        subfolders.push(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const found = await examine(path, entry.isSymbolicLink());
        if (found === 'folder') subfolders.push(path);
        else if (found) yield found;
      }
    }
    // Depth-first in name order keeps scans deterministic.
    stack.push(...subfolders.sort().reverse());
  }
}

async function examine(path: string, isLink: boolean): Promise<WalkEntry | 'folder' | null> {
  if (isLink) {
    // Only a link that exists can dangle; a path that is simply gone is not a photo any more.
    const link = await lstat(path).catch(() => null);
    if (!link) return null;
    isLink = link.isSymbolicLink();
  }
  let facts;
  try {
    facts = await stat(path);
  } catch (error) {
    // A dangling or unreadable link: worth a line in the failures list only if it claims to be a photo.
    if (!isLink || !isPhotoExtension(path)) return null;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'link points to a file that does not exist'
        : code === 'ELOOP'
          ? 'link points to itself in a loop'
          : code === 'EACCES' || code === 'EPERM'
            ? 'Shoebox does not have permission to read this file'
            : `cannot be read (${code ?? 'unknown error'})`;
    return { kind: 'unreadable', path, reason };
  }
  if (facts.isDirectory()) return isLink ? 'folder' : null;
  if (!facts.isFile()) return null;
  if (!isPhotoExtension(path)) {
    if (!mightBeImageByContent(path) || facts.size === 0 || !(await looksLikeImage(path)))
      return null;
  }
  return {
    kind: 'file',
    file: {
      path,
      size: facts.size,
      mtimeMs: Math.floor(facts.mtimeMs),
      dev: facts.dev,
      ino: facts.ino,
    },
  };
}

function folderErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return 'Shoebox does not have permission to open this folder';
  if (code === 'ENOENT') return 'folder no longer exists';
  if (code === 'ELOOP') return 'folder link points to itself in a loop';
  return `folder cannot be read (${code ?? 'unknown error'})`;
}

/** Stats one path the way the walk would, for the watcher. Null when it is not a candidate. */
export async function examinePath(path: string): Promise<WalkEntry | 'folder' | null> {
  return examine(path, true);
}
