// Copying photos out of the library into a folder of the person's choosing (a cluster to share,
// say). The originals are only ever read: each copy is made with COPYFILE_EXCL, so no existing
// file is ever overwritten; a name that is taken gets a numbered suffix (`IMG_1 (2).jpg`), and a
// file already there with the same bytes is skipped rather than copied twice, so running the
// same copy again only fills in what is missing. The only file this module ever removes is a
// copy it has just made itself, when the source changed while it was being copied.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, realpath, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { CopyFailure, CopyOutcome } from '../../../shared/api.ts';
import { isInside } from '../paths.ts';

export type { CopyFailure, CopyOutcome };

/** The destination cannot be used; the message is one sentence for people. */
export class CopyDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyDestinationError';
  }
}

export interface CopyProgressReport {
  done: number;
  total: number;
  bytes: number;
}

export interface CopyPhotosOptions {
  /** Folders the library watches: a destination inside one would be indexed again as duplicates. */
  libraryFolders: string[];
  /** Folders of Shoebox's own (the library folder with its catalog and thumbnails). */
  ownFolders?: string[];
  /** Called after each photo. */
  onProgress?: (progress: CopyProgressReport) => void;
}

/** Numbered names tried for one photo before giving up on it. */
const MAX_SUFFIX = 9_999;

/**
 * Copies each source file into `destination`, which is made if missing. Refuses (throws
 * CopyDestinationError) a destination that is not an absolute path, is a file, lies inside a
 * library folder or one of Shoebox's own, or cannot be made. A source that is missing or
 * unreadable is reported in `failed` and the rest carry on.
 */
export async function copyPhotos(
  sources: readonly string[],
  destination: string,
  options: CopyPhotosOptions,
): Promise<CopyOutcome> {
  const target = await checkDestination(destination, options);
  const created = await makeFolder(target);
  const outcome: CopyOutcome = {
    destination: target,
    created,
    total: sources.length,
    copied: 0,
    renamed: 0,
    skipped: 0,
    failed: [],
    bytes: 0,
  };
  const seen = new Set<string>();
  let stopped: string | null = null;
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i] as string;
    if (stopped) {
      outcome.failed.push({ path: source, reason: stopped });
    } else if (seen.has(source)) {
      outcome.skipped += 1;
    } else {
      seen.add(source);
      const result = await copyOne(source, target);
      switch (result.kind) {
        case 'copied':
          outcome.copied += 1;
          outcome.bytes += result.bytes;
          if (result.renamed) outcome.renamed += 1;
          break;
        case 'skipped':
          outcome.skipped += 1;
          break;
        case 'failed':
          outcome.failed.push({ path: source, reason: result.reason });
          // A full or vanished destination fails every photo after it just the same.
          if (result.fatal) stopped = `Not copied: ${lowerFirst(result.reason)}`;
          break;
      }
    }
    options.onProgress?.({ done: i + 1, total: sources.length, bytes: outcome.bytes });
  }
  return outcome;
}

/**
 * The destination as an absolute path, after checking it may be used. `~` stands for the home
 * folder, since a browser's path field is typed by hand.
 */
export async function checkDestination(
  destination: string,
  options: Pick<CopyPhotosOptions, 'libraryFolders' | 'ownFolders'>,
): Promise<string> {
  const typed = destination.trim();
  const expanded =
    typed === '~' || typed.startsWith('~/') ? join(homedir(), typed.slice(1)) : typed;
  if (!isAbsolute(expanded)) {
    throw new CopyDestinationError(
      `Give the folder’s full path (such as ${join(homedir(), 'Desktop', 'export')}), not a relative one.`,
    );
  }
  const target = resolve(expanded);
  const real = await realDestination(target);
  const within = async (folder: string) => {
    const folderReal = await realpath(folder).catch(() => resolve(folder));
    return samePathOrInside(real, folderReal) || samePathOrInside(target, resolve(folder));
  };
  for (const folder of options.libraryFolders) {
    if (await within(folder)) {
      throw new CopyDestinationError(
        `${target} is inside ${folder}, a folder Shoebox watches, so the copies would be indexed again as duplicates; choose a folder outside the library.`,
      );
    }
  }
  for (const folder of options.ownFolders ?? []) {
    if (await within(folder)) {
      throw new CopyDestinationError(
        `${target} is inside Shoebox’s own library folder (${folder}); choose another folder.`,
      );
    }
  }
  const facts = await stat(target).catch(() => null);
  if (facts && !facts.isDirectory()) {
    throw new CopyDestinationError(`${target} is a file, not a folder.`);
  }
  return target;
}

/**
 * Where a destination really lies: the real path of its nearest existing ancestor (symbolic
 * links resolved) with the rest of the path, which does not exist yet, added back on.
 */
async function realDestination(target: string): Promise<string> {
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return target;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

function samePathOrInside(child: string, parent: string): boolean {
  const fold = process.platform === 'win32' || process.platform === 'darwin';
  return fold ? isInside(child.toLowerCase(), parent.toLowerCase()) : isInside(child, parent);
}

/** Makes the folder (and its parents) when missing; answers whether it had to. */
async function makeFolder(target: string): Promise<boolean> {
  try {
    const made = await mkdir(target, { recursive: true });
    return made !== undefined;
  } catch (error) {
    throw new CopyDestinationError(`${target} could not be made: ${reasonOf(error)}`);
  }
}

type OneResult =
  | { kind: 'copied'; bytes: number; renamed: boolean }
  | { kind: 'skipped' }
  | { kind: 'failed'; reason: string; fatal: boolean };

async function copyOne(source: string, folder: string): Promise<OneResult> {
  let facts;
  try {
    facts = await stat(source);
  } catch (error) {
    return { kind: 'failed', reason: reasonOf(error), fatal: false };
  }
  if (!facts.isFile()) return { kind: 'failed', reason: 'It is not a file.', fatal: false };

  const name = basename(source);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const candidate = join(folder, n === 1 ? name : `${stem} (${n})${ext}`);
    const existing = await lstat(candidate).catch(() => null);
    if (existing) {
      if (existing.isFile() && existing.size === facts.size) {
        try {
          if ((await sha256(candidate)) === (await sha256(source))) return { kind: 'skipped' };
        } catch {
          // Unreadable either way: treat the name as taken and try the next.
        }
      }
      continue;
    }
    try {
      // A clone where the file system can (instant, no space used), a plain copy where not.
      await copyFile(source, candidate, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Someone made that name between our look and our copy: never overwrite, try the next.
      if (code === 'EEXIST') continue;
      // (A partial copy is removed by copyFile itself: libuv unlinks the file it created.)
      if (code === 'ENOENT' && (await exists(source))) {
        return {
          kind: 'failed',
          reason: 'The destination folder is no longer there.',
          fatal: true,
        };
      }
      return { kind: 'failed', reason: reasonOf(error), fatal: isFatal(code) };
    }
    try {
      const written = await stat(candidate);
      if (written.size !== facts.size) {
        await rm(candidate, { force: true });
        return {
          kind: 'failed',
          reason: 'The file changed while it was being copied; try again.',
          fatal: false,
        };
      }
      // Keep the photo's dates, so the copies sort by when they were taken, not copied.
      await utimes(candidate, facts.atimeMs / 1000, facts.mtimeMs / 1000).catch(() => undefined);
    } catch (error) {
      return { kind: 'failed', reason: reasonOf(error), fatal: false };
    }
    return { kind: 'copied', bytes: facts.size, renamed: n > 1 };
  }
  return {
    kind: 'failed',
    reason: `Every name from ${name} to ${stem} (${MAX_SUFFIX})${ext} is taken in that folder.`,
    fatal: false,
  };
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

function sha256(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
}

/** Errors that would fail every later copy too: stop trying and say so once. */
function isFatal(code: string | undefined): boolean {
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS';
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'The file is no longer there.';
    case 'EACCES':
    case 'EPERM':
      return 'Shoebox is not allowed to read it or to write there.';
    case 'ENOSPC':
      return 'The destination disk is full.';
    case 'EDQUOT':
      return 'The destination is over its disk quota.';
    case 'EROFS':
      return 'The destination is read-only.';
    case 'EISDIR':
      return 'It is a folder, not a file.';
    case 'ENOTDIR':
      return 'Part of the path is a file, not a folder.';
    case 'ENAMETOOLONG':
      return 'The name is too long for that folder.';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
