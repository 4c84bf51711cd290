// Sending a file to the operating system's trash: the last step of emptying Shoebox's trash. The
// mover is injectable: the desktop app passes one built on Electron's `shell.trashItem`; plain
// Node (the CLI, `serve`) uses the freedesktop.org trash on Linux and the BSDs, which is a rename
// again (a `.trashinfo` written first, then the file renamed into `files/`). Anywhere else plain
// Node says "not deleted" rather than guess. A refusal is never followed by unlinking the file.
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, extname, join, relative, resolve } from 'node:path';
import { mountTop } from './locations.ts';

/** The sticky bit (S_ISVTX), which Node's fs.constants does not export. */
const STICKY_BIT = 0o1000;

export type OsTrashResult = { ok: true; location: string | null } | { ok: false; reason: string };

/**
 * Moves the file at `path` into the operating system's trash. `originalPath` is where the user
 * knew the photo, so the OS trash can offer to put it back there. Resolves (never rejects) with a
 * refusal reason when the OS will not take it.
 */
export type OsTrashMover = (path: string, info: { originalPath: string }) => Promise<OsTrashResult>;

export interface FreedesktopOptions {
  /** `$XDG_DATA_HOME`, default `~/.local/share`. */
  dataHome?: string;
  uid?: number;
  now?: () => Date;
}

/** The mover for plain Node on this platform. */
export function defaultOsTrashMover(): OsTrashMover {
  const freedesktop = ['linux', 'freebsd', 'openbsd', 'netbsd', 'sunos'].includes(process.platform);
  if (freedesktop) return freedesktopTrashMover();
  return async () => ({
    ok: false,
    reason: 'not deleted: use the Shoebox desktop app to empty the trash on this system',
  });
}

/** An OS-trash mover over Electron's `shell.trashItem` (passed in: the engine never imports Electron). */
export function electronTrashMover(trashItem: (path: string) => Promise<void>): OsTrashMover {
  return async (path) => {
    try {
      await trashItem(path);
    } catch (error) {
      return { ok: false, reason: `not deleted: ${(error as Error).message}` };
    }
    // Only the file being gone proves the OS took it.
    const still = await lstat(path).catch(() => null);
    return still
      ? { ok: false, reason: 'not deleted: the system trash did not take the file' }
      : { ok: true, location: null };
  };
}

/** Percent-encodes a path for a `.trashinfo` Path= line (RFC 2396, '/' kept). */
export function encodeTrashInfoPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function deletionDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

async function devOfNearest(path: string): Promise<number | null> {
  let current = resolve(path);
  for (;;) {
    const facts = await stat(current).catch(() => null);
    if (facts) return facts.dev;
    const parent = resolve(current, '..');
    if (parent === current) return null;
    current = parent;
  }
}

/** A trash directory that is a real folder we own (never a link someone planted). */
async function ownDir(path: string, uid: number): Promise<boolean> {
  const facts = await lstat(path).catch(() => null);
  return !!facts && facts.isDirectory() && !facts.isSymbolicLink() && facts.uid === uid;
}

/**
 * Chooses the trash directory for a file per the freedesktop.org trash spec: the home trash when
 * the file is on the home trash's device, otherwise `$topdir/.Trash/$uid` (if the administrator
 * made a sticky `.Trash`) or `$topdir/.Trash-$uid`.
 */
async function trashDirForFile(
  path: string,
  dev: number,
  dataHome: string,
  uid: number,
): Promise<{ dir: string; topdir: string | null } | { reason: string }> {
  const home = join(dataHome, 'Trash');
  if ((await devOfNearest(home)) === dev) return { dir: home, topdir: null };
  const topdir = await mountTop(resolve(path, '..'));
  const shared = join(topdir, '.Trash');
  const sharedFacts = await lstat(shared).catch(() => null);
  if (
    sharedFacts?.isDirectory() &&
    !sharedFacts.isSymbolicLink() &&
    (sharedFacts.mode & STICKY_BIT) !== 0
  ) {
    const mine = join(shared, String(uid));
    await mkdir(mine, { mode: 0o700 }).catch(() => undefined);
    if (await ownDir(mine, uid)) return { dir: mine, topdir };
  }
  const own = join(topdir, `.Trash-${uid}`);
  await mkdir(own, { mode: 0o700 }).catch(() => undefined);
  if (await ownDir(own, uid)) return { dir: own, topdir };
  return { reason: `not deleted: this disk has no usable system trash (${topdir})` };
}

export function freedesktopTrashMover(options: FreedesktopOptions = {}): OsTrashMover {
  const dataHome =
    options.dataHome ?? process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const now = options.now ?? (() => new Date());
  return async (path, { originalPath }) => {
    const file = await lstat(path).catch(() => null);
    if (!file)
      return { ok: false, reason: 'not deleted: the file is no longer in the trash folder' };
    const where = await trashDirForFile(path, file.dev, dataHome, uid);
    if ('reason' in where) return { ok: false, reason: where.reason };
    const files = join(where.dir, 'files');
    const info = join(where.dir, 'info');
    try {
      await mkdir(files, { recursive: true, mode: 0o700 });
      await mkdir(info, { recursive: true, mode: 0o700 });
    } catch (error) {
      return {
        ok: false,
        reason: `not deleted: cannot use the system trash (${(error as Error).message})`,
      };
    }
    if ((await stat(files)).dev !== file.dev)
      return {
        ok: false,
        reason: 'not deleted: the system trash is on another disk than the file',
      };

    // The spec: claim a name by creating its .trashinfo exclusively, then move the file.
    const recordedPath =
      where.topdir === null ? resolve(originalPath) : relative(where.topdir, resolve(originalPath));
    const shownPath =
      where.topdir !== null && recordedPath.startsWith('..') ? resolve(originalPath) : recordedPath;
    const base = basename(originalPath);
    const ext = extname(base);
    const stem = base.slice(0, base.length - ext.length);
    for (let n = 1; n < 10_000; n += 1) {
      const name = n === 1 ? base : `${stem}.${n}${ext}`;
      const infoFile = join(info, `${name}.trashinfo`);
      let handle;
      try {
        handle = await open(infoFile, 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        return {
          ok: false,
          reason: `not deleted: cannot write to the system trash (${(error as Error).message})`,
        };
      }
      try {
        await handle.writeFile(
          `[Trash Info]\nPath=${encodeTrashInfoPath(shownPath)}\nDeletionDate=${deletionDate(now())}\n`,
        );
        await handle.sync();
      } finally {
        await handle.close();
      }
      const target = join(files, name);
      if (await lstat(target).catch(() => null)) {
        // A file without its .trashinfo: leave it alone and take the next name.
        await rm(infoFile, { force: true });
        continue;
      }
      try {
        await rename(path, target);
      } catch (error) {
        // Our own metadata file, never a photo: withdrawn so the OS trash shows no phantom.
        await rm(infoFile, { force: true });
        return {
          ok: false,
          reason: `not deleted: the system trash refused it (${(error as Error).message})`,
        };
      }
      return { ok: true, location: target };
    }
    return { ok: false, reason: 'not deleted: the system trash has no free name for this file' };
  };
}
