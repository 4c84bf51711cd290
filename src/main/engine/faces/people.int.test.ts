// People end to end on real photos: index the face-api package's sample photos and smaller,
// brighter, recompressed copies of them (each copy's faces are the same people), group, name, merge, move
// a face out, filter the grid, and rebuild the catalog from the disk: the names and decisions
// come back from the journal.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { createEngineHandlers, dispatchEngineCall } from '../../handlers/engine-handlers.ts';
import { Library } from '../library.ts';
import { libraryLayout } from '../paths.ts';

const samples = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);

let work: { path: string; remove(): Promise<void> };
let photos: string;
let libraryDir: string;
const open: Library[] = [];

async function indexed(): Promise<Library> {
  const library = await Library.open(libraryDir, { workers: 2 });
  open.push(library);
  const folder = await library.registerFolder(photos);
  await library.sync([folder]);
  return library;
}

beforeEach(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  libraryDir = join(work.path, 'library');
  await mkdir(photos);
  for (const n of [1, 3]) {
    const source = join(samples, `sample${n}.jpg`);
    await copyFile(source, join(photos, `party-${n}.jpg`));
    // Another copy of the same moment: smaller, brighter, recompressed. (A mirrored copy is not
    // used: mirroring moves a face's description further than the grouping distance.)
    await writeFile(
      join(photos, `party-${n}-copy.jpg`),
      await sharp(source)
        .resize(1440)
        .modulate({ brightness: 1.1 })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  await writeFile(
    join(photos, 'no-people.jpg'),
    await makeDetailedImage({ width: 800, height: 600, seed: 3 }),
  );
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((library) => library.close()));
  await work.remove();
});

describe('people', { timeout: 300_000 }, () => {
  it('groups each face with its copy, and names, merges and moves out survive a rebuild', async () => {
    let library = await indexed();
    const view = library.people.list();
    expect(view.pending).toBe(0);
    // Six people, each seen in a photo and its copy.
    expect(view.persons).toHaveLength(6);
    for (const person of view.persons) {
      expect(person.faceCount).toBe(2);
      expect(person.photoCount).toBe(2);
      expect(person.name).toBeNull();
    }
    const photoNames = (ids: number[]) =>
      ids.map((id) => library.getPhoto(id)!.path.slice(photos.length + 1)).sort();

    // The viewer's faces, and the grid filtered by person.
    const party1 = library
      .listPhotos({ sort: 'name', offset: 0, limit: 10 })
      .photos.find((p) => p.path.endsWith('party-1.jpg'))!;
    const faces = library.people.forPhoto(party1.id);
    expect(faces).toHaveLength(3);
    const noPeople = library
      .listPhotos({ sort: 'name', offset: 0, limit: 10 })
      .photos.find((p) => p.path.endsWith('no-people.jpg'))!;
    expect(library.people.forPhoto(noPeople.id)).toEqual([]);
    const ann = faces[0]!.personId!;
    const page = library.listPhotos({ sort: 'name', offset: 0, limit: 10, personId: ann });
    expect(page.total).toBe(2);
    expect(photoNames(page.photos.map((p) => p.id))).toEqual(['party-1-copy.jpg', 'party-1.jpg']);

    // Through the contract, as the screens ask.
    const handlers = createEngineHandlers(library);
    const renamed = (await dispatchEngineCall(handlers, 'people.rename', {
      personId: ann,
      name: '  Ann ',
    })) as { name: string };
    expect(renamed.name).toBe('Ann');
    await expect(
      dispatchEngineCall(handlers, 'people.rename', { personId: 99_999, name: 'X' }),
    ).rejects.toMatchObject({ code: 'not-found' });
    await expect(
      dispatchEngineCall(handlers, 'people.merge', { personId: ann, intoPersonId: ann }),
    ).rejects.toMatchObject({ code: 'invalid-arguments' });

    const bea = faces[1]!.personId!;
    const cat = faces[2]!.personId!;
    const merged = library.people.merge(cat, bea);
    expect(merged).toMatchObject({ id: bea, faceCount: 4, photoCount: 2 });
    // Moving one of Ann's faces out: to nobody.
    const annFaces = library.people.show(ann, 0, 10).faces;
    expect(annFaces).toHaveLength(2);
    const movedOut = annFaces.find((f) => f.photo.path.endsWith('copy.jpg'))!.face;
    expect(library.people.moveOut(movedOut.id, 'unclustered')).toEqual({ personId: null });
    const after = library.people.list();
    expect(after.persons).toHaveLength(5);
    expect(after.unclustered).toBe(1);
    expect(after.persons.find((p) => p.id === ann)).toMatchObject({ name: 'Ann', faceCount: 1 });
    const map = (await dispatchEngineCall(handlers, 'map.layout', { personId: bea })) as {
      points: { id: number }[];
    };
    expect(map.points.length).toBeLessThanOrEqual(2);

    // Rebuild: the catalog goes, the journal stays.
    await library.close();
    open.splice(open.indexOf(library), 1);
    const layout = libraryLayout(libraryDir);
    for (const suffix of ['', '-wal', '-shm'])
      await rm(`${layout.catalog}${suffix}`, { force: true });
    library = await indexed();
    const rebuilt = library.people.list();
    expect(rebuilt.persons).toHaveLength(5);
    expect(rebuilt.unclustered).toBe(1);
    expect(rebuilt.persons.find((p) => p.id === ann)).toMatchObject({ name: 'Ann', faceCount: 1 });
    expect(rebuilt.persons.find((p) => p.id === bea)).toMatchObject({ faceCount: 4 });
    // The people nobody touched keep their ids too.
    expect(rebuilt.persons.map((p) => p.id).sort()).toEqual(after.persons.map((p) => p.id).sort());
  });
});
