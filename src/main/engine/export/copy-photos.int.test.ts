// Copying photos to a folder, on real files in a temporary folder: the originals are never
// touched, nothing in the destination is ever overwritten, and every photo that could not be
// copied is reported with its reason.
import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { snapshotFiles } from '../../../../test/helpers/file-snapshot.ts';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { CopyDestinationError, checkDestination, copyPhotos } from './copy-photos.ts';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let library: string;
let camera: string;
let sources: string[];

beforeEach(async () => {
  temp = await makeTempDir('shoebox-copy-');
  library = join(temp.path, 'Pictures');
  camera = join(library, 'Camera');
  await mkdir(camera, { recursive: true });
  sources = [];
  for (let i = 0; i < 3; i++) {
    const file = join(camera, `IMG_${i + 1}.jpg`);
    await writeFile(file, await makeDetailedImage({ width: 160, height: 120, seed: i + 1 }));
    // An old date, so a copy that kept it is told apart from one made now.
    await utimes(file, new Date('2019-05-04T10:00:00Z'), new Date('2019-05-04T10:00:00Z'));
    sources.push(file);
  }
});

afterEach(async () => {
  await temp.remove();
});

const options = () => ({ libraryFolders: [library] });

describe('copyPhotos', () => {
  it('copies every photo into a new folder, keeping bytes and dates, touching no original', async () => {
    const before = await snapshotFiles(library);
    const destination = join(temp.path, 'export', 'cluster 1');
    const progress: number[] = [];
    const outcome = await copyPhotos(sources, destination, {
      ...options(),
      onProgress: (p) => progress.push(p.done),
    });

    const sizes = await Promise.all(sources.map(async (s) => (await stat(s)).size));
    expect(outcome).toEqual({
      destination,
      created: true,
      total: 3,
      copied: 3,
      renamed: 0,
      skipped: 0,
      failed: [],
      bytes: sizes.reduce((a, b) => a + b, 0),
    });
    expect((await readdir(destination)).sort()).toEqual(['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg']);
    for (const source of sources) {
      const copy = join(destination, source.slice(camera.length + 1));
      expect(await readFile(copy)).toEqual(await readFile(source));
      expect((await stat(copy)).mtimeMs).toBe((await stat(source)).mtimeMs);
    }
    expect(progress).toEqual([1, 2, 3]);
    expect(await snapshotFiles(library)).toEqual(before);
  });

  it('never overwrites: a taken name gets a numbered suffix, and the file there stays as it was', async () => {
    const destination = join(temp.path, 'export');
    await mkdir(destination);
    const theirs = join(destination, 'IMG_1.jpg');
    await writeFile(theirs, 'someone else’s file');
    await writeFile(join(destination, 'IMG_1 (2).jpg'), 'and another one');

    const outcome = await copyPhotos(sources, destination, options());

    expect(outcome).toMatchObject({ created: false, copied: 3, renamed: 1, skipped: 0 });
    expect(await readFile(theirs, 'utf8')).toBe('someone else’s file');
    expect(await readFile(join(destination, 'IMG_1 (2).jpg'), 'utf8')).toBe('and another one');
    expect(await readFile(join(destination, 'IMG_1 (3).jpg'))).toEqual(
      await readFile(sources[0] as string),
    );
  });

  it('gives two photos with one name from different folders both a place', async () => {
    const other = join(library, 'Phone', 'IMG_1.jpg');
    await mkdir(join(library, 'Phone'));
    await writeFile(other, await makeDetailedImage({ width: 160, height: 120, seed: 99 }));
    const destination = join(temp.path, 'export');

    const outcome = await copyPhotos([sources[0] as string, other], destination, options());

    expect(outcome).toMatchObject({ copied: 2, renamed: 1 });
    expect(await readFile(join(destination, 'IMG_1 (2).jpg'))).toEqual(await readFile(other));
  });

  it('run again, copies nothing twice: files already there with the same bytes are skipped', async () => {
    const destination = join(temp.path, 'export');
    await copyPhotos(sources.slice(0, 2), destination, options());
    const outcome = await copyPhotos([...sources, sources[0] as string], destination, options());
    expect(outcome).toMatchObject({ total: 4, copied: 1, skipped: 3, renamed: 0, failed: [] });
    expect((await readdir(destination)).sort()).toEqual(['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg']);
  });

  it('reports a photo that is gone or is not a file, and copies the rest', async () => {
    const gone = join(camera, 'IMG_GONE.jpg');
    const folder = join(camera, 'not-a-photo.jpg');
    await mkdir(folder);
    const destination = join(temp.path, 'export');

    const outcome = await copyPhotos([gone, ...sources, folder], destination, options());

    expect(outcome.copied).toBe(3);
    expect(outcome.failed).toEqual([
      { path: gone, reason: 'The file is no longer there.' },
      { path: folder, reason: 'It is not a file.' },
    ]);
    expect(await readdir(destination)).toHaveLength(3);
  });

  it('refuses a destination inside a library folder, and makes nothing there', async () => {
    const before = await snapshotFiles(library);
    for (const destination of [library, camera, join(camera, 'export', 'deeper')]) {
      const refused = copyPhotos(sources, destination, options());
      await expect(refused).rejects.toBeInstanceOf(CopyDestinationError);
      await expect(refused).rejects.toThrow(
        /is inside .*Pictures, a folder Shoebox watches, so the copies would be indexed again as duplicates; choose a folder outside the library\.$/,
      );
    }
    expect(await snapshotFiles(library)).toEqual(before);
  });

  it('sees through a symbolic link into a library folder', async () => {
    const link = join(temp.path, 'shortcut');
    await symlink(camera, link);
    await expect(copyPhotos(sources, join(link, 'export'), options())).rejects.toThrow(
      /a folder Shoebox watches/,
    );
    await expect(readdir(camera)).resolves.not.toContain('export');
  });

  it('accepts a folder beside the library whose name merely starts the same', async () => {
    const outcome = await copyPhotos(sources, `${library} export`, options());
    expect(outcome.copied).toBe(3);
  });

  it('refuses a relative path, a file, Shoebox’s own folder and a folder that cannot be made', async () => {
    await expect(copyPhotos(sources, 'export', options())).rejects.toThrow(/full path/);
    const file = join(temp.path, 'notes.txt');
    await writeFile(file, 'not a folder');
    await expect(copyPhotos(sources, file, options())).rejects.toThrow(
      `${file} is a file, not a folder.`,
    );
    await expect(copyPhotos(sources, join(file, 'inside'), options())).rejects.toThrow(
      /could not be made/,
    );
    const own = join(temp.path, 'library-data');
    await expect(
      copyPhotos(sources, join(own, 'thumbnails'), { ...options(), ownFolders: [own] }),
    ).rejects.toThrow(/Shoebox’s own library folder/);
    expect(await readFile(file, 'utf8')).toBe('not a folder');
  });

  it('reads ~ as the home folder', async () => {
    await expect(checkDestination('~/Desktop/export', options())).resolves.toBe(
      join(homedir(), 'Desktop', 'export'),
    );
  });
});
