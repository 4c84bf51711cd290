// The contract's `clusters.copyTo` over a real, indexed library: the handler finds the
// cluster's members through the analysis API, copies them, reports progress under the caller's
// ticket, and turns a refused destination into a sentence the screen can show.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFiles } from '../../../test/helpers/file-snapshot.ts';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';
import { ContractError, type CopyProgress } from '../../shared/api.ts';
import { openLibrary, type Library } from '../engine/library.ts';
import {
  createEngineHandlers,
  dispatchEngineCall,
  relayEngineEvents,
  type EngineHandlers,
} from './engine-handlers.ts';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let library: Library;
let handlers: EngineHandlers;
let photoDir: string;
const NAMES = ['red.jpg', 'red-too.jpg', 'blue.png', 'green.png', 'yellow.jpg'];

beforeAll(async () => {
  temp = await makeTempDir('shoebox-handlers-');
  photoDir = join(temp.path, 'photos');
  await mkdir(photoDir);
  const colours = [
    { r: 200, g: 30, b: 30 },
    { r: 190, g: 40, b: 35 },
    { r: 20, g: 40, b: 220 },
    { r: 30, g: 200, b: 40 },
    { r: 230, g: 220, b: 30 },
  ];
  for (const [i, name] of NAMES.entries()) {
    const image = sharp({
      create: { width: 320, height: 240, channels: 3, background: colours[i]! },
    });
    await (name.endsWith('.png') ? image.png() : image.jpeg()).toFile(join(photoDir, name));
  }
  library = await openLibrary(join(temp.path, 'library'), { watch: false, workers: 1 });
  await library.addFolder(photoDir);
  await waitFor(
    () => {
      const page = library.listPhotos({ sort: 'name', offset: 0, limit: 10 });
      return (
        page.total === NAMES.length &&
        page.photos.every((p) => library.thumbnailPath(p.id) !== null)
      );
    },
    'the photos indexed',
    60_000,
  );
  handlers = createEngineHandlers(library);
});

afterAll(async () => {
  await library?.close();
  await temp?.remove();
});

const call = (name: string, args: unknown) => dispatchEngineCall(handlers, name, args);

describe('clusters.copyTo', () => {
  it('copies every member of every cluster, reporting progress, and leaves the originals be', async () => {
    const before = await snapshotFiles(photoDir);
    const view = (await call('clusters.list', {})) as Awaited<
      ReturnType<EngineHandlers['clusters.list']>
    >;
    expect(view.clusters.length).toBeGreaterThan(0);
    const progress: CopyProgress[] = [];
    const stop = relayEngineEvents(library, (name, payload) => {
      if (name === 'copy.progress') progress.push(payload as CopyProgress);
    });
    const destination = join(temp.path, 'export');
    let copied = 0;
    try {
      for (const cluster of view.clusters) {
        const outcome = (await call('clusters.copyTo', {
          id: cluster.id,
          destination: `  ${destination}  `,
          ticket: `t${cluster.id}`,
        })) as Awaited<ReturnType<EngineHandlers['clusters.copyTo']>>;
        expect(outcome).toMatchObject({
          destination,
          total: cluster.size,
          copied: cluster.size,
          failed: [],
        });
        copied += outcome.copied;
        expect(progress.at(-1)).toMatchObject({
          ticket: `t${cluster.id}`,
          done: cluster.size,
          total: cluster.size,
          bytes: outcome.bytes,
        });
      }
    } finally {
      stop();
    }
    expect(copied).toBe(NAMES.length);
    expect((await readdir(destination)).sort()).toEqual([...NAMES].sort());
    expect(await snapshotFiles(photoDir)).toEqual(before);
  });

  it('refuses a destination inside a library folder as invalid arguments, with the reason', async () => {
    const view = (await call('clusters.list', {})) as { clusters: { id: number }[] };
    const refused = call('clusters.copyTo', {
      id: view.clusters[0]!.id,
      destination: join(photoDir, 'export'),
    });
    await expect(refused).rejects.toBeInstanceOf(ContractError);
    await expect(refused).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringMatching(/a folder Shoebox watches/),
    });
    expect(await readdir(photoDir)).not.toContain('export');
  });

  it('says when there is no such cluster', async () => {
    await expect(
      call('clusters.copyTo', { id: 999, destination: join(temp.path, 'x') }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });

  it('checks its arguments at the door', async () => {
    await expect(call('clusters.copyTo', { id: 0, destination: '   ' })).rejects.toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringMatching(/Type the path of the folder to copy to/),
    });
  });
});
