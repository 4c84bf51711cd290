// What the first-open screens ask of a real library: the clusters saved last time are there to
// show at once after a reopen (without computing anything), the clusters request reports its
// work while it runs, and the library's own colours come from the stored palettes and each
// finds photos through the colour search.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp.ts';
import { deltaE76, hexToLab } from '../../shared/colour.ts';
import { MIN_SEPARATION } from './analysis/library-colours.ts';
import { Library } from './library.ts';

let work: { path: string; remove(): Promise<void> };
let photos: string;
let libraryDir: string;
const PHOTOS = 30;

beforeAll(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  libraryDir = join(work.path, 'library');
  await mkdir(photos);
  const emoji = join(process.cwd(), 'node_modules/emoji-datasource-google/img/google/64');
  const names = (await readdir(emoji)).filter((n) => n.endsWith('.png')).sort();
  // Every 60th emoji: faces, animals, objects, flags, so the library has several colours.
  for (let i = 0; i < PHOTOS; i++) {
    const name = names[(i * 60) % names.length]!;
    await copyFile(join(emoji, name), join(photos, name));
  }
});

afterAll(async () => {
  await work.remove();
});

describe('first open', () => {
  it('shows saved clusters at once after a reopen, and reports work while clustering', async () => {
    let library = await Library.open(libraryDir, { workers: 1 });
    try {
      await library.sync([await library.registerFolder(photos)]);
      // Nothing saved and nothing running yet.
      expect(library.analysis.clustersProgress()).toEqual({ stored: null, work: null });
      const request = library.analysis.clusters();
      // The request is under way before it answers (the neighbour graph first).
      expect(library.analysis.clustersProgress().work).not.toBeNull();
      const view = await request;
      expect(view.clusters.length).toBeGreaterThanOrEqual(2);
      const after = library.analysis.clustersProgress();
      expect(after.work).toBeNull();
      expect(after.stored?.clusters.map((c) => c.medoid.id)).toEqual(
        view.clusters.map((c) => c.medoid.id),
      );
    } finally {
      await library.close();
    }

    library = await Library.open(libraryDir, { workers: 1 });
    try {
      // Reopened: the saved clustering answers before anything is computed.
      const progress = library.analysis.clustersProgress();
      expect(progress.work).toBeNull();
      expect(progress.stored).not.toBeNull();
      const stored = progress.stored!;
      expect(stored.clusters.reduce((sum, c) => sum + c.size, 0)).toBe(PHOTOS);
      const view = await library.analysis.clusters();
      expect(stored.clusters.map((c) => c.medoid.id)).toEqual(
        view.clusters.map((c) => c.medoid.id),
      );
    } finally {
      await library.close();
    }
    // Indexing and two opens of a real library: a minute or more on two shared, busy cores.
  }, 180_000);

  it('offers the library’s own colours, each of which finds photos that hold it', async () => {
    const library = await Library.open(libraryDir, { workers: 1 });
    try {
      const own = library.analysis.libraryColours();
      expect(own.photos).toBe(PHOTOS);
      expect(own.colours.length).toBeGreaterThanOrEqual(4);
      expect(own.colours.length).toBeLessThanOrEqual(12);
      for (const colour of own.colours) {
        expect(colour.hex).toMatch(/^#[0-9a-f]{6}$/);
        expect(colour.photos).toBeGreaterThan(0);
        // The swatch is a colour a photo of the library holds, exactly (not a blend)…
        const all = await library.analysis.byColours([{ hex: colour.hex }], { k: PHOTOS });
        expect(all.some((hit) => hit.palette?.includes(colour.hex))).toBe(true);
        // …and searching for it brings photos holding a colour near it to the top five.
        const nearest = Math.min(
          ...all
            .slice(0, 5)
            .flatMap((hit) => hit.palette ?? [])
            .map((hex) => deltaE76(hexToLab(hex), hexToLab(colour.hex))),
        );
        expect(nearest, `${colour.name} ${colour.hex}`).toBeLessThan(MIN_SEPARATION);
      }
      expect(library.analysis.libraryColours({ count: 3 }).colours).toEqual(
        own.colours.slice(0, 3),
      );
    } finally {
      await library.close();
    }
  });
});
