// A decoder that dies or hangs costs one file, never the run: the real indexer and the real pool
// of worker processes, over a real catalog. The hostile file is a named pipe (FIFO) standing where
// the scan saw a photo: opening it blocks the worker inside its task for as long as we like, so
// "mid-task" is a fact the test can check (a non-blocking open for writing succeeds only once a
// reader is there) rather than a race with a sleep.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { makeTempDir, waitFor } from '../../../../test/helpers/temp.ts';
import { Catalog } from '../catalog/catalog.ts';
import { scanFolders } from '../scan/scan.ts';
import { Indexer } from './indexer.ts';

const linux = process.platform === 'linux';

let work: { path: string; remove(): Promise<void> };
let catalog: Catalog;
let indexer: Indexer | null = null;
let writerFd: number | null = null;

beforeEach(async () => {
  work = await makeTempDir('shoebox-crash-');
  catalog = new Catalog(join(work.path, 'catalog.sqlite'));
});

afterEach(async () => {
  if (writerFd !== null) closeSync(writerFd);
  writerFd = null;
  await indexer?.close();
  indexer = null;
  catalog.close();
  await work.remove();
});

/**
 * Four good photos and `stuck.jpg`, scanned as a photo and then swapped for a named pipe. The
 * stuck file is scanned in a scan of its own, after the others (the last job: no photo waits
 * behind it in a worker) or, with `stuckFirst`, before them (the first job).
 */
async function queueWithStuckFile({ stuckFirst = false } = {}): Promise<{
  stuck: string;
  photos: string;
}> {
  const photos = join(work.path, 'Photos');
  await mkdir(photos);
  const folder = catalog.addFolder(photos);
  const stuck = join(photos, 'stuck.jpg');
  const writeStuck = async (): Promise<void> => {
    await writeFile(stuck, await makeDetailedImage({ width: 96, height: 72, seed: 50 }));
    expect((await scanFolders(catalog, [folder])).added).toHaveLength(1);
  };
  if (stuckFirst) await writeStuck();
  for (let i = 0; i < 4; i++) {
    await writeFile(
      join(photos, `good-${i}.jpg`),
      await makeDetailedImage({ width: 96, height: 72, seed: 40 + i }),
    );
  }
  expect((await scanFolders(catalog, [folder])).added).toHaveLength(4);
  if (!stuckFirst) await writeStuck();
  await rm(stuck);
  execFileSync('mkfifo', [stuck]);
  return { stuck, photos };
}

/** Resolves once some process has the pipe open for reading: a worker is inside that task. */
async function waitUntilWorkerIsInside(fifo: string): Promise<void> {
  await waitFor(() => {
    try {
      writerFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false; // no reader yet
      throw error;
    }
  }, 'a decode worker to open the stuck file');
}

/**
 * The child process of this test that holds `path` open (the worker stuck on it), or null. A
 * reader's descriptor appears only when its open() returns, a moment after the writer's open
 * succeeds, so callers poll (a single look once missed it on a loaded machine).
 */
function childHolding(path: string): number | null {
  const readLink = (link: string): string | null => {
    try {
      return readlinkSync(link);
    } catch {
      return null; // closed while we looked (readdir's own descriptor is one)
    }
  };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    let fds: string[];
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue; // the process ended, or is not ours to look into
    }
    // Field 4 of /proc/<pid>/stat is the parent; the command name (field 2) may hold spaces.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== process.pid) continue;
    if (fds.some((fd) => readLink(`/proc/${name}/fd/${fd}`) === path)) return Number(name);
  }
  return null;
}

/** Names of the indexed photos (the grid lists only those). */
function indexedNames(): string[] {
  const page = catalog.listPhotos({ order: 'name', offset: 0, limit: 100 });
  return page.photos.map((p) => p.path.split('/').pop()!).sort();
}

const GOOD = ['good-0.jpg', 'good-1.jpg', 'good-2.jpg', 'good-3.jpg'];

/** The decode worker that is inside the stuck file's task, once it is: its process id. */
async function workerStuckOn(stuck: string): Promise<number> {
  await waitUntilWorkerIsInside(stuck);
  const pid = (await waitFor(() => childHolding(stuck), 'the worker to hold the stuck file open'))!;
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('decode-worker');
  return pid;
}

/** Every good photo is indexed, and the stuck file is the one failure, for `reason`. */
function expectOnlyTheStuckFileFailed(stuck: string, reason: string): void {
  expect(indexedNames()).toEqual(GOOD);
  expect(catalog.listFailures()).toEqual([expect.objectContaining({ path: stuck, reason })]);
}

describe.skipIf(!linux)('a decoder that dies or hangs costs one file', () => {
  it('a worker killed mid-task fails only that file, and indexing finishes', async () => {
    const { stuck } = await queueWithStuckFile();
    indexer = new Indexer(catalog, {
      workers: 2,
      thumbnailDir: join(work.path, 'thumbnails'),
    });
    indexer.kick();
    const pid = await workerStuckOn(stuck);
    // Once the others are indexed, the stuck file is all its worker is on.
    await waitFor(() => catalog.countByStatus().indexed === 4, 'the good photos to be indexed');
    process.kill(pid, 'SIGKILL');

    await indexer.whenIdle();
    expectOnlyTheStuckFileFailed(stuck, 'the decoder crashed on this file (SIGKILL)');
    expect(catalog.queuedJobCount()).toBe(0);
    expect(catalog.countByStatus()).toMatchObject({ indexed: 4, failed: 1, pending: 0 });
    // The pool replaced the dead worker: the next file is decoded as usual.
    const after = await indexer.probe(join(work.path, 'Photos', 'good-0.jpg'), false);
    expect(after.failure).toBeUndefined();
    expect(after.features?.meta.width).toBe(96);
  });

  it('a worker killed on one photo does not blame the next photo it was holding', async () => {
    // The stuck file first in the queue: the one worker takes it, and takes a good photo as its
    // second task, read and hashed while the stuck one waits for data.
    const { stuck } = await queueWithStuckFile({ stuckFirst: true });

    indexer = new Indexer(catalog, { workers: 1, thumbnailDir: join(work.path, 'thumbnails') });
    indexer.kick();
    process.kill(await workerStuckOn(stuck), 'SIGKILL');

    await indexer.whenIdle();
    expectOnlyTheStuckFileFailed(stuck, 'the decoder crashed on this file (SIGKILL)');
  });

  it('the per-task timeout marks a hanging file failed, and indexing finishes', async () => {
    const { stuck } = await queueWithStuckFile();
    indexer = new Indexer(catalog, {
      workers: 2,
      thumbnailDir: join(work.path, 'thumbnails'),
      taskTimeoutMs: 2000,
    });
    indexer.kick();
    const pid = await workerStuckOn(stuck);

    await indexer.whenIdle();
    expectOnlyTheStuckFileFailed(stuck, 'took longer than 2 seconds to read');
    // The hung worker was killed, not left behind holding the file.
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the hung worker to be gone');
  });
});
