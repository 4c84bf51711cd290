// The engine end to end on real files: scan, index, reconcile on reopen, the hostile corpus.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, utimes, writeFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage, makeHostileCorpus } from '../../../test/fixtures/images.ts';
import { snapshotFiles } from '../../../test/helpers/file-snapshot.ts';
import { makeTempDir } from '../../../test/helpers/temp.ts';
import Database from 'better-sqlite3';
import { FEATURE_VERSIONS } from './features/versions.ts';
import { Library } from './library.ts';
import { libraryLayout } from './paths.ts';

let work: { path: string; remove(): Promise<void> };
let photos: string;
let libraryDir: string;
const open: Library[] = [];

async function openLibrary(): Promise<Library> {
  const library = await Library.open(libraryDir, { workers: 2 });
  open.push(library);
  return library;
}

async function writePhoto(
  name: string,
  seed: number,
  size = { width: 320, height: 240 },
): Promise<string> {
  const path = join(photos, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, await makeDetailedImage({ ...size, seed }));
  return path;
}

beforeEach(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  libraryDir = join(work.path, 'library');
  await mkdir(photos);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((library) => library.close()));
  await work.remove();
});

describe('indexing a folder', () => {
  it('finds photos recursively by content, skips hidden and system folders, and stores every feature', async () => {
    await writePhoto('a.jpg', 1);
    await writePhoto('2024/Summer/b.JPG', 2, { width: 400, height: 300 });
    await writeFile(
      join(photos, '2024', 'c-really-png.jpg'),
      await sharp(await makeDetailedImage({ width: 100, height: 80, seed: 3 }))
        .png()
        .toBuffer(),
    );
    // An image with no extension is recognised by its bytes; a text file is not considered.
    await writeFile(
      join(photos, 'scan-no-extension'),
      await makeDetailedImage({ width: 90, height: 90, seed: 4 }),
    );
    await writeFile(join(photos, 'notes.txt'), 'not a photo');
    await writePhoto('.hidden/secret.jpg', 5);
    await writePhoto('@eaDir/a.jpg/SYNOFILE_THUMB_M.jpg', 6);
    await writePhoto('$RECYCLE.BIN/old.jpg', 7);

    const library = await openLibrary();
    const folder = await library.registerFolder(photos);
    const report = await library.sync([folder]);

    expect(report.indexed).toBe(4);
    expect(report.failedNow).toBe(0);
    const page = library.listPhotos({ sort: 'name', offset: 0, limit: 100 });
    expect(page.total).toBe(4);
    expect(page.photos.map((p) => p.path.slice(photos.length + 1))).toEqual([
      '2024/Summer/b.JPG',
      '2024/c-really-png.jpg',
      'a.jpg',
      'scan-no-extension',
    ]);
    const b = page.photos[0]!;
    expect(b).toMatchObject({ width: 400, height: 300, format: 'jpeg', status: 'indexed' });
    expect(b.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(page.photos[1]!.format).toBe('png');
    const details = library.getPhoto(b.id)!;
    expect(details.palette.length).toBeGreaterThan(0);
    expect(details.palette.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 3);
    const thumb = library.thumbnailPath(b.id)!;
    expect(existsSync(thumb)).toBe(true);
    const meta = await sharp(thumb).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(512);
    expect(library.status()).toMatchObject({ photos: 4, failed: 0, folders: [photos] });
  });

  it('reuses work for identical files and reports nothing new on a second run', async () => {
    const a = await writePhoto('a.jpg', 11);
    await writeFile(
      join(photos, 'copy-of-a.jpg'),
      await import('node:fs/promises').then((fs) => fs.readFile(a)),
    );
    const library = await openLibrary();
    const folder = await library.registerFolder(photos);
    expect((await library.sync([folder])).indexed).toBe(2);
    const [first, second] = library.listPhotos({ sort: 'name', offset: 0, limit: 10 }).photos;
    expect(first!.contentHash).toBe(second!.contentHash);
    expect(library.thumbnailPath(first!.id)).toBe(library.thumbnailPath(second!.id));
    const again = await library.sync([folder]);
    expect(again).toMatchObject({ indexed: 0, unchanged: 2, removed: [], moved: [] });
  });

  it('analyses again, on reopen, the photos a newer Shoebox keeps more about', async () => {
    await writePhoto('a.jpg', 31);
    await writePhoto('b.jpg', 32);
    let library = await openLibrary();
    await library.sync([await library.registerFolder(photos)]);
    await library.close();
    // A catalog from before miniatures existed: the feature is simply not there, and the
    // versions it was last checked against are older ones.
    const db = new Database(libraryLayout(libraryDir).catalog);
    expect(db.prepare(`DELETE FROM features WHERE kind = 'miniature'`).run().changes).toBe(2);
    expect(
      db.prepare(`UPDATE settings SET value = '{}' WHERE key = 'feature-versions-checked'`).run()
        .changes,
    ).toBe(1);
    db.close();

    library = await openLibrary();
    await library.whenIdle();
    const check = new Database(libraryLayout(libraryDir).catalog, { readonly: true });
    const rows = check
      .prepare(`SELECT version, length(data) AS bytes FROM features WHERE kind = 'miniature'`)
      .all();
    check.close();
    expect(rows).toEqual([
      { version: FEATURE_VERSIONS.miniature, bytes: 32 * 32 * 3 },
      { version: FEATURE_VERSIONS.miniature, bytes: 32 * 32 * 3 },
    ]);
    expect(library.status()).toMatchObject({ photos: 2, failed: 0, pending: 0 });
  });

  it('reconciles on reopen: new, changed, removed and moved files; a move keeps the photo', async () => {
    const keep = await writePhoto('keep.jpg', 21);
    const change = await writePhoto('change.jpg', 22);
    const remove = await writePhoto('remove.jpg', 23);
    const move = await writePhoto('move.jpg', 24);
    let library = await openLibrary();
    await library.sync([await library.registerFolder(photos)]);
    const before = new Map(
      library.listPhotos({ sort: 'name', offset: 0, limit: 10 }).photos.map((p) => [p.path, p]),
    );
    await library.close();

    await writeFile(change, await makeDetailedImage({ width: 320, height: 240, seed: 99 }));
    await utimes(change, new Date(), new Date(Date.now() + 5000));
    await rm(remove);
    await mkdir(join(photos, 'Moved Here'));
    const moved = join(photos, 'Moved Here', 'renamed.jpg');
    await rename(move, moved);
    await writePhoto('new.jpg', 25);

    library = await openLibrary();
    const report = await library.sync();
    expect(report.indexed).toBe(2); // the changed file and the new one
    expect(report.removed).toHaveLength(1);
    expect(report.moved).toEqual([before.get(move)!.id]);
    const after = new Map(
      library.listPhotos({ sort: 'name', offset: 0, limit: 10 }).photos.map((p) => [p.path, p]),
    );
    expect([...after.keys()].sort()).toEqual([change, keep, moved, join(photos, 'new.jpg')].sort());
    expect(after.get(moved)).toMatchObject({
      id: before.get(move)!.id,
      contentHash: before.get(move)!.contentHash,
    });
    expect(after.get(keep)!.id).toBe(before.get(keep)!.id);
    expect(after.get(change)!.contentHash).not.toBe(before.get(change)!.contentHash);
  });

  it('keeps the photos of a folder that is not reachable (an unplugged drive)', async () => {
    await writePhoto('a.jpg', 31);
    const library = await openLibrary();
    await library.sync([await library.registerFolder(photos)]);
    await rename(photos, photos + '-unplugged');
    const report = await library.sync();
    expect(report.removed).toEqual([]);
    expect(report.folderErrors[0]?.reason).toMatch(/not reachable/);
    expect(library.status().photos).toBe(1);
    await rename(photos + '-unplugged', photos);
    expect((await library.sync()).unchanged).toBe(1);
  });

  it('covers nested folders once and refuses its own library folder', async () => {
    await writePhoto('inner/a.jpg', 41);
    const library = await openLibrary();
    const inner = await library.registerFolder(join(photos, 'inner'));
    await library.sync([inner]);
    const id = library.listPhotos({ sort: 'name', offset: 0, limit: 1 }).photos[0]!.id;
    const outer = await library.registerFolder(photos);
    expect(library.listFolders().map((f) => f.path)).toEqual([photos]);
    expect((await library.registerFolder(join(photos, 'inner'))).id).toBe(outer.id);
    await library.sync();
    expect(library.listPhotos({ sort: 'name', offset: 0, limit: 1 }).photos[0]).toMatchObject({
      id,
      folderId: outer.id,
    });
    await expect(library.registerFolder(libraryDir)).rejects.toThrow(/own library files/);
    await expect(library.registerFolder(join(photos, 'nope'))).rejects.toThrow(/does not exist/);
  });
});

describe('decoding in worker threads (the packaged desktop app)', () => {
  it('indexes and contains failures the same way as worker processes', async () => {
    await writePhoto('a.jpg', 61);
    await writePhoto('b.jpg', 62);
    await writeFile(join(photos, 'broken.jpg'), 'not a photo at all');
    const library = await Library.open(libraryDir, { workers: 2, workerTransport: 'thread' });
    open.push(library);
    const report = await library.sync([await library.registerFolder(photos)]);
    expect(report).toMatchObject({ indexed: 2, failedNow: 1 });
    expect(library.listFailures()).toEqual([
      { path: join(photos, 'broken.jpg'), reason: 'not an image' },
    ]);
    expect(
      existsSync(
        library.thumbnailPath(
          library.listPhotos({ sort: 'name', offset: 0, limit: 1 }).photos[0]!.id,
        )!,
      ),
    ).toBe(true);
  });
});

describe('hostile files', () => {
  it('indexes or lists every file with a one-sentence reason, finishes, and writes no user file', async () => {
    const expectations = await makeHostileCorpus(photos);
    // A link to a good photo elsewhere indexes like the photo.
    const elsewhere = join(work.path, 'elsewhere.jpg');
    await writeFile(elsewhere, await makeDetailedImage({ width: 64, height: 48, seed: 51 }));
    await symlink(elsewhere, join(photos, 'linked.jpg'));
    const before = await snapshotFiles(photos);

    const library = await openLibrary();
    await library.sync([await library.registerFolder(photos)]);

    const indexed = new Set(
      library.listPhotos({ sort: 'name', offset: 0, limit: 1000 }).photos.map((p) => p.path),
    );
    const failures = new Map(library.listFailures().map((f) => [f.path, f.reason]));
    for (const entry of [...expectations, { name: 'linked.jpg', expect: 'indexed' as const }]) {
      const path = join(photos, entry.name);
      if (entry.expect === 'indexed') {
        expect({
          path: entry.name,
          indexed: indexed.has(path),
          failure: failures.get(path),
        }).toEqual({
          path: entry.name,
          indexed: true,
          failure: undefined,
        });
      } else if (entry.expect === 'failed') {
        expect(failures.get(path), entry.name).toContain(entry.reasonIncludes);
      } else {
        // A broken or looping link is never a photo; if it claims to be one it is listed.
        expect(indexed.has(path)).toBe(false);
      }
    }
    for (const [path, reason] of failures) {
      expect(reason, path).toMatch(/^[^\n]{3,120}$/);
      expect(reason, path).not.toMatch(/Error:|at .*\.ts|vips/);
    }
    expect(failures.get(join(photos, 'dangling.jpg'))).toMatch(/does not exist/);
    expect(await snapshotFiles(photos)).toEqual(before);
  });
});
