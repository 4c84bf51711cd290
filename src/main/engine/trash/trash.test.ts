import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { Journal, journalPath } from '../journal/journal.ts';
import { factsOf } from './file-facts.ts';
import { mountTop, TRASH_FOLDER_NAME, trashDirFor } from './locations.ts';
import { encodeTrashInfoPath, freedesktopTrashMover, type OsTrashMover } from './os-trash.ts';
import { AppTrash, type AppTrashOptions, type TrashStep } from './trash.ts';

let work: { path: string; remove(): Promise<void> };
let photos: string;
let journal: Journal;
let changed: string[];

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function makeTrash(options: Partial<AppTrashOptions> = {}): AppTrash {
  return new AppTrash(journal, {
    roots: () => [photos],
    osTrash: async () => ({ ok: false, reason: 'not deleted: no OS trash in this test' }),
    onPathsChanged: (paths) => changed.push(...paths),
    ...options,
  });
}

/** A pause hook that "crashes" (throws) at one step, leaving the journal as a kill would. */
function crashAt(step: TrashStep): (at: TrashStep) => Promise<void> {
  return async (at) => {
    if (at === step) throw new Error(`simulated crash at ${step}`);
  };
}

async function photo(name: string, content = `bytes of ${name}`): Promise<string> {
  const path = join(photos, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

async function trashOne(trash: AppTrash, path: string) {
  const facts = (await factsOf(path))!;
  const moved = await trash.moveToTrash(path, facts);
  if (!moved.ok) throw new Error(moved.reason);
  return moved.record;
}

beforeEach(async () => {
  work = await makeTempDir('shoebox-trash-');
  photos = join(work.path, 'Photos');
  await mkdir(photos);
  journal = new Journal(journalPath(join(work.path)));
  changed = [];
});
afterEach(async () => {
  journal.close();
  await work.remove();
});

describe('AppTrash', () => {
  it('moves a photo into a hidden trash folder at the top of its library folder, by rename', async () => {
    const path = await photo('2024/summer/beach.jpg');
    const inode = (await stat(path)).ino;
    const record = await trashOne(makeTrash(), path);
    expect(record.state).toBe('trashed');
    expect(record.trashPath).toBe(join(photos, TRASH_FOLDER_NAME, `${record.id}-beach.jpg`));
    expect(existsSync(path)).toBe(false);
    // The same inode: renamed, not copied.
    expect((await stat(record.trashPath)).ino).toBe(inode);
    expect(record.contentHash).toBe(sha(Buffer.from('bytes of 2024/summer/beach.jpg')));
    expect(changed).toEqual([path]);
    expect(
      makeTrash()
        .list()
        .map((r) => r.originalPath),
    ).toEqual([path]);
  });

  it('refuses photos outside the library folders and photos that changed just before moving', async () => {
    const outside = join(work.path, 'elsewhere.jpg');
    await writeFile(outside, 'x');
    const trash = makeTrash();
    expect(await trash.moveToTrash(outside, (await factsOf(outside))!)).toEqual({
      ok: false,
      reason: "it is not in one of the library's folders",
    });
    const path = await photo('a.jpg');
    const facts = (await factsOf(path))!;
    await writeFile(path, 'different and longer bytes');
    expect(await trash.moveToTrash(path, facts)).toEqual({
      ok: false,
      reason: 'changed since you reviewed it',
    });
    // A trash folder that is a link planted elsewhere is not used.
    const other = join(work.path, 'Other');
    const elsewhere = join(work.path, 'elsewhere');
    await mkdir(other);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(other, TRASH_FOLDER_NAME));
    const inOther = join(other, 'b.jpg');
    await writeFile(inOther, 'b');
    const linked = makeTrash({ roots: () => [other] });
    expect(await linked.moveToTrash(inOther, (await factsOf(inOther))!)).toMatchObject({
      ok: false,
      reason: /is not a real folder/,
    });
    expect(journal.trashRecords()).toEqual([]);
    expect(await readFile(outside, 'utf8')).toBe('x');
  });

  it('never overwrites a stray file that already has the name a new entry would take', async () => {
    // As if an earlier journal had been lost: its trashed photo still sits in the trash folder.
    await mkdir(join(photos, TRASH_FOLDER_NAME));
    const stray = join(photos, TRASH_FOLDER_NAME, '1-a.jpg');
    await writeFile(stray, 'an older photo');
    const path = await photo('a.jpg');
    const record = await trashOne(makeTrash(), path);
    expect(record.trashPath).toBe(join(photos, TRASH_FOLDER_NAME, '2-a.jpg'));
    expect(await readFile(stray, 'utf8')).toBe('an older photo');
    expect(journal.trashRecord(1)).toMatchObject({
      state: 'cancelled',
      note: /already had this name/,
    });
    expect(
      makeTrash()
        .list()
        .map((r) => r.id),
    ).toEqual([2]);
    // Reported on the next open, and left where it is.
    expect((await makeTrash().reconcile()).strays).toEqual([stray]);
    expect(await readFile(stray, 'utf8')).toBe('an older photo');
  });

  it('restores byte-identical, recreating the folders that were removed meanwhile', async () => {
    const path = await photo('albums/2019/cat.jpg', 'meow'.repeat(1000));
    const trash = makeTrash();
    const record = await trashOne(trash, path);
    await rm(join(photos, 'albums'), { recursive: true });
    const restored = await trash.restore(record.id);
    expect(restored).toMatchObject({ ok: true, path, identical: true });
    expect(await readFile(path, 'utf8')).toBe('meow'.repeat(1000));
    expect(journal.trashRecord(record.id)).toMatchObject({ state: 'restored', restoredPath: path });
    expect(trash.list()).toEqual([]);
    expect(changed).toEqual([path, path]);
    expect(await trash.restore(record.id)).toMatchObject({ ok: false, reason: /not in the trash/ });
  });

  it('never overwrites a file that took the original path; offers and uses a suffixed name', async () => {
    const path = await photo('dog.jpg', 'the old dog');
    const trash = makeTrash();
    const record = await trashOne(trash, path);
    await writeFile(path, 'a new dog');
    const refused = await trash.restore(record.id);
    expect(refused).toEqual({
      ok: false,
      reason: `another file is now at ${path}; restore it as dog (restored).jpg instead`,
      suggestedPath: join(photos, 'dog (restored).jpg'),
    });
    expect(journal.trashRecord(record.id)?.state).toBe('trashed');
    const restored = await trash.restore(record.id, { onConflict: 'suffix' });
    expect(restored).toMatchObject({ ok: true, path: join(photos, 'dog (restored).jpg') });
    expect(await readFile(path, 'utf8')).toBe('a new dog');
    expect(await readFile(join(photos, 'dog (restored).jpg'), 'utf8')).toBe('the old dog');
  });

  it('empties into the OS trash, and a refusal leaves the photo in the trash with the reason', async () => {
    const a = await trashOne(makeTrash(), await photo('a.jpg'));
    const b = await trashOne(makeTrash(), await photo('b.jpg'));
    const taken: string[] = [];
    const picky: OsTrashMover = async (path, { originalPath }) => {
      if (originalPath.endsWith('b.jpg'))
        return { ok: false, reason: 'not deleted: the OS said no' };
      taken.push(path);
      const target = join(work.path, 'os-trash-a');
      await rename(path, target);
      return { ok: true, location: target };
    };
    const outcomes = await makeTrash({ osTrash: picky }).empty();
    expect(outcomes).toEqual([
      { id: a.id, path: a.originalPath, outcome: 'emptied' },
      {
        id: b.id,
        path: b.originalPath,
        outcome: 'not-deleted',
        reason: 'not deleted: the OS said no',
      },
    ]);
    expect(taken).toEqual([a.trashPath]);
    expect(journal.trashRecord(a.id)?.state).toBe('emptied');
    expect(journal.trashRecord(b.id)).toMatchObject({
      state: 'trashed',
      note: 'not deleted: the OS said no',
    });
    expect(existsSync(b.trashPath)).toBe(true);
  });

  it('does not believe an OS trash that says yes but leaves the file, nor one that throws', async () => {
    const a = await trashOne(makeTrash(), await photo('a.jpg'));
    const liar: OsTrashMover = async () => ({ ok: true, location: null });
    expect((await makeTrash({ osTrash: liar }).empty())[0]).toMatchObject({
      outcome: 'not-deleted',
      reason: 'not deleted: the system trash did not take the file',
    });
    const thrower: OsTrashMover = async () => {
      throw new Error('dbus is down');
    };
    expect((await makeTrash({ osTrash: thrower }).empty([a.id]))[0]).toMatchObject({
      outcome: 'not-deleted',
      reason: 'not deleted: dbus is down',
    });
    expect(existsSync(a.trashPath)).toBe(true);
    expect(journal.trashRecord(a.id)?.state).toBe('trashed');
  });
});

describe('AppTrash.reconcile after a crash', () => {
  it('rolls back a move that was recorded but never happened', async () => {
    const path = await photo('a.jpg');
    await expect(
      makeTrash({ pause: crashAt('recorded') }).moveToTrash(path, (await factsOf(path))!),
    ).rejects.toThrow(/simulated/);
    expect(journal.trashRecords()[0]?.state).toBe('moving');
    const report = await makeTrash().reconcile();
    expect(report.rolledBack.map((r) => r.state)).toEqual(['cancelled']);
    expect(existsSync(path)).toBe(true);
    expect(makeTrash().list()).toEqual([]);
  });

  it('completes a move whose rename happened, checking the hash', async () => {
    const path = await photo('a.jpg');
    await expect(
      makeTrash({ pause: crashAt('renamed') }).moveToTrash(path, (await factsOf(path))!),
    ).rejects.toThrow(/simulated/);
    const report = await makeTrash().reconcile();
    expect(report.completed).toMatchObject([{ state: 'trashed', note: null }]);
    expect(existsSync(path)).toBe(false);
    expect(changed).toContain(path);
  });

  it('rolls back or completes an interrupted restore by where the file is', async () => {
    const a = await trashOne(makeTrash(), await photo('a.jpg'));
    const b = await trashOne(makeTrash(), await photo('b.jpg'));
    await expect(makeTrash({ pause: crashAt('recorded') }).restore(a.id)).rejects.toThrow();
    await expect(makeTrash({ pause: crashAt('renamed') }).restore(b.id)).rejects.toThrow();
    expect(journal.trashRecords().map((r) => r.state)).toEqual(['restoring', 'restoring']);
    const report = await makeTrash().reconcile();
    expect(report.rolledBack.map((r) => [r.id, r.state])).toEqual([[a.id, 'trashed']]);
    expect(report.completed.map((r) => [r.id, r.state])).toEqual([[b.id, 'restored']]);
    expect(existsSync(a.trashPath)).toBe(true);
    expect(await readFile(b.originalPath, 'utf8')).toBe('bytes of b.jpg');
  });

  it('settles an interrupted empty either way, and marks a file gone from everywhere as missing', async () => {
    const a = await trashOne(makeTrash(), await photo('a.jpg'));
    const b = await trashOne(makeTrash(), await photo('b.jpg'));
    const c = await trashOne(makeTrash(), await photo('c.jpg'));
    journal.setTrashState(a.id, 'emptying');
    journal.setTrashState(b.id, 'emptying');
    // b reached the OS trash before the crash; c was removed by someone else entirely.
    await rename(b.trashPath, join(work.path, 'os-b'));
    await rename(c.trashPath, join(work.path, 'gone-c'));
    journal.setTrashState(c.id, 'moving');
    const report = await makeTrash().reconcile();
    expect(report.rolledBack.map((r) => [r.id, r.state])).toEqual([[a.id, 'trashed']]);
    expect(report.completed.map((r) => [r.id, r.state])).toEqual([[b.id, 'emptied']]);
    expect(report.missing.map((r) => [r.id, r.state])).toEqual([[c.id, 'missing']]);
    expect(journal.trashRecords(['moving', 'restoring', 'emptying'])).toEqual([]);
  });
});

describe('trash locations', () => {
  // /proc is a separate file system on Linux: a real mount boundary to test against, read-only.
  const procMounted =
    existsSync('/proc/self/status') &&
    statSync('/proc').dev !== statSync('/').dev &&
    statSync('/proc/self/status').dev === statSync('/proc').dev;

  it.skipIf(!procMounted)('finds the top of the mount a path sits on', async () => {
    expect(await mountTop('/proc/self')).toBe('/proc');
    const top = await mountTop(work.path);
    expect(statSync(top).dev).toBe(statSync(work.path).dev);
    if (top !== '/') expect(statSync(join(top, '..')).dev).not.toBe(statSync(top).dev);
  });

  it.skipIf(!procMounted)(
    'puts the trash of a photo on another device than its library folder at that mount',
    async () => {
      expect(await trashDirFor('/proc/self/status', ['/'])).toMatchObject({
        ok: true,
        dir: join('/proc', TRASH_FOLDER_NAME),
        dev: statSync('/proc').dev,
      });
    },
  );

  it('puts the trash at the top of the innermost library folder holding the photo', async () => {
    const path = await photo('x/y/z.jpg');
    const answer = await trashDirFor(path, [work.path, photos]);
    expect(answer).toMatchObject({ ok: true, dir: join(photos, TRASH_FOLDER_NAME) });
  });
});

describe('freedesktop OS trash', () => {
  it('writes the .trashinfo first, then renames the file into files/, never reusing a name', async () => {
    const dataHome = join(work.path, 'share');
    const mover = freedesktopTrashMover({ dataHome, now: () => new Date(2026, 0, 2, 3, 4, 5) });
    const first = join(work.path, 'one');
    const second = join(work.path, 'two');
    await writeFile(first, 'first');
    await writeFile(second, 'second');
    const original = join(photos, 'my photo #1.jpg');
    const r1 = await mover(first, { originalPath: original });
    const r2 = await mover(second, { originalPath: original });
    const files = join(dataHome, 'Trash', 'files');
    expect(r1).toEqual({ ok: true, location: join(files, 'my photo #1.jpg') });
    expect(r2).toEqual({ ok: true, location: join(files, 'my photo #1.2.jpg') });
    expect(await readFile(join(files, 'my photo #1.jpg'), 'utf8')).toBe('first');
    expect(existsSync(first)).toBe(false);
    const info = await readFile(
      join(dataHome, 'Trash', 'info', 'my photo #1.jpg.trashinfo'),
      'utf8',
    );
    expect(info).toBe(
      `[Trash Info]\nPath=${encodeTrashInfoPath(original)}\nDeletionDate=2026-01-02T03:04:05\n`,
    );
    expect(encodeTrashInfoPath('/a b/#1.jpg')).toBe('/a%20b/%231.jpg');
    expect((await readdir(join(dataHome, 'Trash', 'info'))).sort()).toEqual([
      'my photo #1.2.jpg.trashinfo',
      'my photo #1.jpg.trashinfo',
    ]);
  });

  it('empties Shoebox trash through it end to end', async () => {
    const dataHome = join(work.path, 'share');
    const trash = makeTrash({ osTrash: freedesktopTrashMover({ dataHome }) });
    const path = await photo('sunset.jpg');
    const record = await trashOne(trash, path);
    expect(await trash.empty()).toEqual([{ id: record.id, path, outcome: 'emptied' }]);
    expect(await readFile(join(dataHome, 'Trash', 'files', 'sunset.jpg'), 'utf8')).toBe(
      'bytes of sunset.jpg',
    );
    expect(journal.trashRecord(record.id)?.note).toMatch(/system trash at/);
  });
});
