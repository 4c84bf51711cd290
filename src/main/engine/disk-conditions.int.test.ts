// Disk full and read-only disks, for real: the tests run as root, which no chmod can stop, so the
// conditions are made with tiny tmpfs mounts (a full file system answers ENOSPC to root too, and
// a read-only mount answers EROFS). Where `mount` is not allowed the tests are skipped and say so.
import { execFileSync, spawn } from 'node:child_process';
import { appendFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../test/fixtures/images.ts';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';
import { Catalog } from './catalog/catalog.ts';
import { Indexer } from './index/indexer.ts';
import { scanFolders } from './scan/scan.ts';
import { Library } from './library.ts';

function canMount(): boolean {
  if (process.platform !== 'linux') return false;
  let probe: string | null = null;
  try {
    probe = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    if (probe) execFileSync('rmdir', [probe]);
  }
}
const mountable = canMount();
if (!mountable) {
  console.warn(
    'disk-conditions: skipped, this machine does not let the tests mount a tmpfs (needs root or CAP_SYS_ADMIN)',
  );
}

let work: { path: string; remove(): Promise<void> };
let library: Library | null = null;
const mounts: string[] = [];

beforeEach(async () => {
  work = await makeTempDir('shoebox-disk-');
});

afterEach(async () => {
  await library?.close();
  library = null;
  for (const dir of mounts.splice(0).reverse()) execFileSync('umount', ['-l', dir]);
  await work.remove();
});

async function mountTmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
}

/** Fills the file system holding `dir` until it refuses another byte. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler.bin');
  const chunk = Buffer.alloc(16 * 1024, 7);
  for (;;) {
    try {
      await appendFile(filler, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw error;
    }
  }
  // The last partial chunk may have left a few bytes: fill those too.
  for (;;) {
    try {
      await appendFile(filler, Buffer.alloc(512, 7));
    } catch {
      break;
    }
  }
  return filler;
}

async function writePhotos(dir: string, count: number, firstSeed: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await writeFile(
      join(dir, `p${firstSeed + i}.jpg`),
      await makeDetailedImage({ width: 160, height: 120, seed: firstSeed + i }),
    );
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    db.close();
  }
}

/** Runs the `shoebox` command; resolves with its exit code and output. */
function shoebox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = new URL('../../../bin/shoebox.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!mountable)('disk full and read-only disks', () => {
  it('stops `shoebox index` with one sentence on a full disk, and the next run carries on', async () => {
    const libraryDir = join(work.path, 'library');
    const thumbnails = join(libraryDir, 'thumbnails');
    await mountTmpfs(thumbnails, '256k');
    const filler = await fill(thumbnails);
    const photos = join(work.path, 'Photos');
    await writePhotos(photos, 4, 40);

    const full = await shoebox(['index', photos, '--library', libraryDir, '--json']);
    expect(full.code).toBe(1);
    expect(full.stdout).toBe('');
    const lines = full.stderr.split('\n').filter((line) => line.startsWith('shoebox:'));
    expect(lines).toEqual([
      "shoebox: indexing paused: the disk holding Shoebox's library is full; put it right and run `shoebox index` again (nothing done so far is lost).",
    ]);

    await rm(filler);
    const after = await shoebox(['index', photos, '--library', libraryDir, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ indexed: 4, failed: [] });
  });
  it('pauses indexing with a clear message while the thumbnail disk is full, and resumes when there is room', async () => {
    const libraryDir = join(work.path, 'library');
    const thumbnails = join(libraryDir, 'thumbnails');
    await mountTmpfs(thumbnails, '256k');
    const filler = await fill(thumbnails);
    const photos = join(work.path, 'Photos');
    await writePhotos(photos, 6, 1);

    library = await Library.open(libraryDir, { watch: false, workers: 2, indexRetryMs: 300 });
    const lib = library;
    const notices: string[] = [];
    lib.on('notice', (n) => notices.push(`${n.level}: ${n.message}`));
    await lib.addFolder(photos);
    await waitFor(() => notices.some((n) => n.startsWith('error: Indexing is paused')), 'pause');
    expect(notices).toContain(
      "error: Indexing is paused: the disk holding Shoebox's library is full. Shoebox keeps trying, and carries on by itself once this is put right.",
    );
    // Nothing was blamed on the photos, nothing half-written was left, the catalog is sound.
    expect(lib.listFailures()).toEqual([]);
    expect(lib.status()).toMatchObject({ photos: 0, failed: 0, pending: 6 });
    expect((await filesUnder(thumbnails)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(integrity(join(libraryDir, 'catalog.sqlite'))).toBe('ok');
    // Still full after several retries: still nothing blamed on the photos (attempts are not
    // counted against a file when the disk was at fault).
    await new Promise((resolve) => setTimeout(resolve, 1500)); // several retries (every 300 ms)
    expect(lib.listFailures()).toEqual([]);
    expect(lib.status()).toMatchObject({ photos: 0, failed: 0, pending: 6 });

    await rm(filler);
    await waitFor(
      async () => (await lib.whenIdle(), lib.status().photos === 6),
      'indexing to resume once there is room',
    );
    expect(lib.status()).toMatchObject({ photos: 6, failed: 0, pending: 0 });
    expect(notices).toContain('info: Indexing has resumed.');
    const page = lib.listPhotos({ sort: 'name', offset: 0, limit: 10 });
    for (const photo of page.photos) expect(lib.thumbnailPath(photo.id)).not.toBeNull();
  });

  it('indexes a read-only photo folder, since Shoebox never writes there', async () => {
    const photos = join(work.path, 'Camera');
    await mountTmpfs(photos, '4m');
    await writePhotos(photos, 4, 20);
    execFileSync('mount', ['-o', 'remount,ro', photos]);
    // Read-only even for root: the condition is real.
    await expect(writeFile(join(photos, 'probe.txt'), 'x')).rejects.toMatchObject({
      code: 'EROFS',
    });

    library = await Library.open(join(work.path, 'library'), { watch: true, workers: 2 });
    const report = await library.sync([await library.registerFolder(photos)]);
    expect(report.indexed).toBe(4);
    expect(library.listFailures()).toEqual([]);
    expect(library.status()).toMatchObject({ photos: 4, failed: 0, pending: 0 });
  });

  it('keeps the catalog sound when its own disk fills up, says so, and catches up after', async () => {
    const libraryDir = join(work.path, 'library');
    await mountTmpfs(libraryDir, '8m');
    const photos = join(work.path, 'Photos');
    await writePhotos(photos, 3, 40);
    library = await Library.open(libraryDir, { watch: false, workers: 2, indexRetryMs: 300 });
    const lib = library;
    const notices: string[] = [];
    lib.on('notice', (n) => notices.push(`${n.level}: ${n.message}`));
    const folder = await lib.registerFolder(photos);
    await lib.sync([folder]);
    expect(lib.status().photos).toBe(3);

    const filler = await fill(libraryDir);
    await writePhotos(photos, 3, 50);
    // The scan cannot record the new photos: SQLite rolls the change back and the caller is told
    // in a sentence, not with SQLITE_FULL.
    await expect(lib.sync([folder])).rejects.toThrow(
      "The disk holding Shoebox's library is full, so changes in your folders cannot be recorded yet.",
    );
    expect(lib.status()).toMatchObject({ photos: 3, failed: 0 });
    expect(integrity(join(libraryDir, 'catalog.sqlite'))).toBe('ok');
    expect(integrity(join(libraryDir, 'journal.sqlite'))).toBe('ok');

    // Room again: the library catches up by itself (no second sync from anyone).
    await rm(filler);
    await waitFor(
      async () => (await lib.whenIdle(), lib.status().photos === 6 && lib.status().pending === 0),
      'the library to catch up once there is room',
    );
    expect(lib.listFailures()).toEqual([]);
  });

  it('pauses the indexer, rather than failing photos, when the catalog cannot store results', async () => {
    const catalogDir = join(work.path, 'catalog-disk');
    await mountTmpfs(catalogDir, '8m');
    const photos = join(work.path, 'Photos');
    await writePhotos(photos, 4, 60);
    const catalog = new Catalog(join(catalogDir, 'catalog.sqlite'));
    const indexer = new Indexer(catalog, {
      workers: 2,
      thumbnailDir: join(work.path, 'thumbnails'), // on a disk with room: only the catalog is full
      retryAfterMs: 300,
    });
    try {
      await scanFolders(catalog, [catalog.addFolder(photos)]);
      expect(catalog.queuedJobCount()).toBe(4);
      const filler = await fill(catalogDir);
      const paused: string[] = [];
      indexer.on('paused', (reason) => paused.push(reason));
      indexer.kick();
      await waitFor(() => paused.length > 0, 'the indexer to pause');
      expect(paused[0]).toBe("the disk holding Shoebox's library is full");
      expect(catalog.listFailures()).toEqual([]);
      expect(catalog.queuedJobCount()).toBe(4);

      await rm(filler);
      await indexer.whenIdle();
      expect(catalog.countByStatus()).toMatchObject({ indexed: 4, failed: 0, pending: 0 });
      expect(catalog.listFailures()).toEqual([]);
    } finally {
      await indexer.close();
      catalog.close();
    }
    expect(integrity(join(catalogDir, 'catalog.sqlite'))).toBe('ok');
  });
});
