// Folders and files Shoebox may not read. The tests run as root, whom no permission bit stops,
// so the library runs in a child process as an unprivileged user (nobody) against folders root
// has locked; run as any other user, the child simply runs as that user.
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../test/fixtures/images.ts';
import { makeTempDir } from '../../../test/helpers/temp.ts';

const run = promisify(execFile);
const ENTRY = fileURLToPath(new URL('../../../test/fixtures/as-other-user.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** Why the unprivileged user cannot run the library from this checkout, or null when it can. */
function cannotRunAsOtherUser(): string | null {
  if (process.platform === 'win32') return 'no POSIX permissions on Windows';
  if (!isRoot) return null; // the tests already run unprivileged
  try {
    const files = [ENTRY, fileURLToPath(TSX)].map((f) => JSON.stringify(f)).join(',');
    execFileSync(
      process.execPath,
      ['-e', `[${files}].forEach((f) => require('fs').accessSync(f))`],
      {
        uid: NOBODY,
        gid: NOBODY,
        stdio: 'ignore',
      },
    );
    return null;
  } catch {
    return 'the user nobody cannot read this checkout (a parent folder is private), so no unprivileged process can run the library here';
  }
}
const skipReason = cannotRunAsOtherUser();
if (skipReason) console.warn(`permissions: skipped, ${skipReason}`);

interface Seen {
  uid: number;
  folderError: string | null;
  notices: string[];
  folderErrors: { path: string; reason: string }[];
  indexed: string[];
  failures: { path: string; reason: string }[];
}

let work: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  work = await makeTempDir('shoebox-perms-');
  await chmod(work.path, 0o755); // the unprivileged user must reach what lies inside
});

afterAll(async () => {
  // Unlock first: run as any user but root, the removal cannot read a folder left at 0o000
  // (by a test that failed before unlocking it, or by the one that never does).
  for (const path of locked) await chmod(path, 0o755).catch(() => undefined);
  await work?.remove();
});

/** Paths a test has taken every permission from, unlocked before the temporary folder goes. */
const locked: string[] = [];

async function lock(path: string): Promise<void> {
  locked.push(path);
  await chmod(path, 0o000);
}

async function asOtherUser(libraryDir: string, photos: string): Promise<Seen> {
  const { stdout } = await run(process.execPath, ['--import', TSX, ENTRY, libraryDir, photos], {
    ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    env: { ...process.env, HOME: work.path },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Seen;
}

async function libraryFolder(name: string): Promise<string> {
  const dir = join(work.path, name);
  await mkdir(dir);
  if (isRoot) await chown(dir, NOBODY, NOBODY);
  return dir;
}

async function photo(path: string, seed: number): Promise<void> {
  await writeFile(path, await makeDetailedImage({ width: 96, height: 72, seed }));
}

describe.skipIf(skipReason !== null)('folders and files Shoebox may not read', () => {
  it('says so for a folder it cannot read, keeps what it knew, and picks up when allowed', async () => {
    const photos = join(work.path, 'Photos');
    await mkdir(join(photos, 'open'), { recursive: true });
    await mkdir(join(photos, 'locked'));
    await photo(join(photos, 'open', 'a.jpg'), 1);
    await photo(join(photos, 'locked', 'b.jpg'), 2);
    await photo(join(photos, 'private.jpg'), 3);
    await lock(join(photos, 'private.jpg'));
    const libraryDir = await libraryFolder('library');

    const first = await asOtherUser(libraryDir, photos);
    expect(first.uid).not.toBe(0);
    expect(first.indexed).toEqual(['locked/b.jpg', 'open/a.jpg']);
    expect(first.failures).toEqual([
      { path: 'private.jpg', reason: 'Shoebox does not have permission to read this file' },
    ]);

    await lock(join(photos, 'locked'));
    await photo(join(photos, 'open', 'c.jpg'), 4);
    const second = await asOtherUser(libraryDir, photos);
    expect(second.folderErrors).toEqual([
      { path: 'locked', reason: 'Shoebox does not have permission to open this folder' },
    ]);
    expect(second.notices).toContain(
      `${join(photos, 'locked')}: Shoebox does not have permission to open this folder.`,
    );
    // What is inside is unknown, not gone: its photo stays; the rest of the folder goes on.
    expect(second.indexed).toEqual(['locked/b.jpg', 'open/a.jpg', 'open/c.jpg']);

    await chmod(join(photos, 'locked'), 0o755);
    await chmod(join(photos, 'private.jpg'), 0o644);
    await photo(join(photos, 'locked', 'd.jpg'), 5);
    const third = await asOtherUser(libraryDir, photos);
    expect(third.folderErrors).toEqual([]);
    expect(third.indexed).toEqual([
      'locked/b.jpg',
      'locked/d.jpg',
      'open/a.jpg',
      'open/c.jpg',
      'private.jpg',
    ]);
    expect(third.failures).toEqual([]);
  });

  it('refuses to add a folder it cannot read, with a sentence', async () => {
    const photos = join(work.path, 'Closed');
    await mkdir(photos);
    await photo(join(photos, 'x.jpg'), 9);
    await lock(photos);
    const seen = await asOtherUser(await libraryFolder('library-2'), photos);
    expect(seen.folderError).toBe(`Shoebox does not have permission to read ${photos}.`);
    expect(seen.indexed).toEqual([]);
  });
});
