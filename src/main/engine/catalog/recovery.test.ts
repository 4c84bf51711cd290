import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { Catalog } from './catalog.ts';
import { latestVersion } from './migrations.ts';
import { openCatalogSafely, recoveryMessage } from './recovery.ts';

let work: { path: string; remove(): Promise<void> };
let file: string;
const openCatalog = (f: string): Catalog => new Catalog(f);
const fixedNow = () => new Date('2026-01-02T03:04:05.678Z');

/** A real catalog with enough rows to span many pages, closed (checkpointed) on disk. */
function makeCatalog(photos = 400): void {
  const catalog = new Catalog(file);
  const folder = catalog.addFolder('/photos');
  catalog.transaction(() => {
    for (let i = 0; i < photos; i++)
      catalog.insertPendingPhoto(folder.id, {
        path: `/photos/some/long/folder/name/photo-${String(i).padStart(5, '0')}.jpg`,
        size: 1000 + i,
        mtimeMs: 1_700_000_000_000 + i,
        dev: 1,
        ino: i,
      });
  });
  catalog.close();
}

beforeEach(async () => {
  work = await makeTempDir('shoebox-recovery-');
  file = join(work.path, 'catalog.sqlite');
});
afterEach(() => work.remove());

describe('openCatalogSafely', () => {
  it('opens a healthy catalog as it is', async () => {
    makeCatalog();
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog);
    expect(recovered).toBeNull();
    expect(catalog.countByStatus().pending).toBe(400);
    catalog.close();
    expect((await readdir(work.path)).filter((n) => n.includes('damaged'))).toEqual([]);
  });

  it('creates a catalog that does not exist yet without calling it a recovery', async () => {
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog);
    expect(recovered).toBeNull();
    expect(catalog.listFolders()).toEqual([]);
    catalog.close();
  });

  it('moves aside a file that is not a database and opens a fresh catalog', async () => {
    await writeFile(file, 'this is not a database at all, just some text '.repeat(200));
    const before = await readFile(file);
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog, { now: fixedNow });
    expect(recovered).toEqual({
      movedTo: join(work.path, 'catalog.damaged-2026-01-02T03-04-05-678Z.sqlite'),
      reason: 'the catalog file is not a database',
    });
    expect(await readFile(recovered!.movedTo)).toEqual(before);
    expect(catalog.listFolders()).toEqual([]);
    expect(catalog.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    catalog.close();
    expect(recoveryMessage(recovered!)).toMatch(/catalog\.damaged-2026.*rebuilding/);
  });

  it('detects a truncated catalog', async () => {
    makeCatalog();
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(8 * 4096);
    await truncate(file, Math.floor(size / 2));
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog);
    expect(recovered).not.toBeNull();
    expect(recovered!.reason).toMatch(/damaged|not a database|cannot be read/);
    expect((await stat(recovered!.movedTo)).size).toBe(Math.floor(size / 2));
    expect(catalog.countByStatus()).toEqual({ pending: 0, indexed: 0, failed: 0 });
    catalog.close();
  });

  it('detects garbled pages in the middle of a catalog', async () => {
    makeCatalog();
    const size = (await stat(file)).size;
    const handle = await open(file, 'r+');
    // Overwrite the body of several b-tree pages (page headers included) with noise.
    for (let page = 2; page * 4096 < size - 4096; page += 3)
      await handle.write(Buffer.alloc(600, 0xa5), 0, 600, page * 4096 + 7);
    await handle.close();
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog);
    expect(recovered?.reason).toMatch(/damaged/);
    expect(catalog.db.pragma('integrity_check', { simple: true })).toBe('ok');
    catalog.close();
  });

  it('moves the write-ahead log aside with the damaged file', async () => {
    makeCatalog(10);
    await writeFile(file, Buffer.alloc(8192, 7));
    await writeFile(`${file}-wal`, Buffer.alloc(100, 1));
    const { catalog, recovered } = await openCatalogSafely(file, openCatalog);
    expect(existsSync(`${recovered!.movedTo}-wal`)).toBe(true);
    catalog.close();
  });

  it('leaves a catalog from a newer Shoebox alone and reports it', async () => {
    makeCatalog(5);
    const db = new Database(file);
    db.pragma(`user_version = ${latestVersion + 1}`);
    db.close();
    const before = await readFile(file);
    await expect(openCatalogSafely(file, openCatalog)).rejects.toThrow(/newer Shoebox/);
    expect(await readFile(file)).toEqual(before);
    expect((await readdir(work.path)).filter((n) => n.includes('damaged'))).toEqual([]);
  });
});
