// The watcher on a real folder: files added, changed, renamed, deleted and whole folders moved
// reach the catalog within seconds; a refused watch falls back to rescans and says so.
import { EventEmitter } from 'node:events';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { makeTempDir, waitFor } from '../../../../test/helpers/temp.ts';
import { Library } from '../library.ts';

let work: { path: string; remove(): Promise<void> };
let photos: string;
let library: Library | null = null;

const paths = (lib: Library) =>
  lib
    .listPhotos({ sort: 'name', offset: 0, limit: 1000 })
    .photos.map((p) => p.path.slice(photos.length + 1))
    .sort();

beforeEach(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  await mkdir(photos);
});

afterEach(async () => {
  await library?.close();
  library = null;
  await work.remove();
});

describe('watching folders', () => {
  it('converges on adds, changes, renames, deletes and folder moves', async () => {
    await writeFile(
      join(photos, 'a.jpg'),
      await makeDetailedImage({ width: 160, height: 120, seed: 1 }),
    );
    library = await Library.open(join(work.path, 'library'), {
      watch: true,
      workers: 2,
      watcher: { stabilityMs: 300 },
    });
    await library.sync([await library.registerFolder(photos)]);
    const lib = library;
    const idOfA = lib.listPhotos({ sort: 'name', offset: 0, limit: 1 }).photos[0]!.id;
    const changes: number[] = [];
    lib.on('photosChanged', (c) =>
      changes.push(c.added.length + c.updated.length + c.removed.length),
    );

    // New files, including one written slowly in pieces (a copy in progress).
    await writeFile(
      join(photos, 'b.jpg'),
      await makeDetailedImage({ width: 160, height: 120, seed: 2 }),
    );
    const slow = await makeDetailedImage({ width: 400, height: 300, seed: 3 });
    const third = Math.floor(slow.length / 3);
    await writeFile(join(photos, 'slow.jpg'), slow.subarray(0, third));
    await new Promise((r) => setTimeout(r, 150));
    await appendFile(join(photos, 'slow.jpg'), slow.subarray(third, 2 * third));
    await new Promise((r) => setTimeout(r, 150));
    await appendFile(join(photos, 'slow.jpg'), slow.subarray(2 * third));
    await waitFor(
      async () => (await lib.whenIdle(), paths(lib).join() === 'a.jpg,b.jpg,slow.jpg'),
      'new files',
    );
    // The slow file was read once complete, not as a truncated JPEG.
    expect(lib.listFailures()).toEqual([]);

    // Rename keeps the photo's identity.
    await rename(join(photos, 'a.jpg'), join(photos, 'a-renamed.jpg'));
    await waitFor(
      async () => (
        await lib.whenIdle(),
        paths(lib).includes('a-renamed.jpg') && !paths(lib).includes('a.jpg')
      ),
      'rename',
    );
    expect(
      lib
        .listPhotos({ sort: 'name', offset: 0, limit: 10 })
        .photos.find((p) => p.path.endsWith('a-renamed.jpg'))!.id,
    ).toBe(idOfA);

    // Change: new content, new hash.
    const hashBefore = lib
      .listPhotos({ sort: 'name', offset: 0, limit: 10 })
      .photos.find((p) => p.path.endsWith('b.jpg'))!.contentHash;
    await writeFile(
      join(photos, 'b.jpg'),
      await makeDetailedImage({ width: 200, height: 100, seed: 4 }),
    );
    await waitFor(async () => {
      await lib.whenIdle();
      const b = lib
        .listPhotos({ sort: 'name', offset: 0, limit: 10 })
        .photos.find((p) => p.path.endsWith('b.jpg'));
      return b && b.contentHash !== hashBefore && b.width === 200;
    }, 'change');

    // A whole folder moved in, then renamed, then deleted.
    const outside = join(work.path, 'Import');
    await mkdir(outside);
    for (let i = 0; i < 5; i++)
      await writeFile(
        join(outside, `i${i}.jpg`),
        await makeDetailedImage({ width: 64, height: 64, seed: 10 + i }),
      );
    await rename(outside, join(photos, 'Import'));
    await waitFor(
      async () => (
        await lib.whenIdle(),
        paths(lib).filter((p) => p.startsWith('Import/')).length === 5
      ),
      'folder moved in',
    );
    const importIds = lib
      .listPhotos({ sort: 'name', offset: 0, limit: 100 })
      .photos.filter((p) => p.path.includes('/Import/'))
      .map((p) => p.id)
      .sort();
    await rename(join(photos, 'Import'), join(photos, 'Trip 2024'));
    await waitFor(
      async () => (
        await lib.whenIdle(),
        paths(lib).filter((p) => p.startsWith('Trip 2024/')).length === 5 &&
          !paths(lib).some((p) => p.startsWith('Import/'))
      ),
      'folder renamed',
    );
    const tripIds = lib
      .listPhotos({ sort: 'name', offset: 0, limit: 100 })
      .photos.filter((p) => p.path.includes('/Trip 2024/'))
      .map((p) => p.id)
      .sort();
    expect(tripIds).toEqual(importIds);
    await rm(join(photos, 'Trip 2024'), { recursive: true });
    await rm(join(photos, 'slow.jpg'));
    await waitFor(
      async () => (await lib.whenIdle(), paths(lib).join() === 'a-renamed.jpg,b.jpg'),
      'deletes',
    );
    expect(changes.length).toBeGreaterThan(0);
  });

  it('falls back to periodic rescans when the system refuses more watches, and says so', async () => {
    const refusing = (() => {
      const fake = new EventEmitter() as EventEmitter & { close(): Promise<void> };
      fake.close = async () => {};
      setTimeout(
        () => fake.emit('error', Object.assign(new Error('watch limit'), { code: 'ENOSPC' })),
        10,
      );
      return fake;
    }) as never;
    library = await Library.open(join(work.path, 'library'), {
      watch: true,
      workers: 1,
      rescanIntervalMs: 300,
      watcher: { createWatcher: refusing },
    });
    const notices: string[] = [];
    library.on('notice', (n) => notices.push(n.message));
    await library.registerFolder(photos);
    const lib = library;
    await waitFor(() => lib.status().watchFallback, 'fallback');
    expect(lib.status().watchFallback).toMatch(/rescans your folders every minute/);
    await writeFile(
      join(photos, 'late.jpg'),
      await makeDetailedImage({ width: 64, height: 64, seed: 9 }),
    );
    await waitFor(
      async () => (await lib.whenIdle(), paths(lib).join() === 'late.jpg'),
      'rescan picks up the file',
    );
  });
});
