// The watcher under stress, at a scale CI can afford (scripts/watch-stress.ts runs the full 10k
// with a memory measurement): a burst of new files, a whole folder renamed, the library folder
// itself taken away and brought back (an unplugged drive), and a folder deleted. After each, the
// catalog converges to what is on disk, and photos keep their identity where the files did.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNoiseJpeg, writeBurst } from '../../../../test/fixtures/burst.ts';
import { makeTempDir, waitFor } from '../../../../test/helpers/temp.ts';
import { Library } from '../library.ts';

const BURST = 400;
const STABILITY_MS = 300;

let work: { path: string; remove(): Promise<void> };
let photos: string;
let library: Library;

/** Relative path -> photo id of every indexed photo. */
function catalogued(): Map<string, number> {
  const page = library.listPhotos({ sort: 'name', offset: 0, limit: BURST * 2 });
  return new Map(page.photos.map((p) => [p.path.slice(photos.length + 1), p.id]));
}

/** True once the library has nothing left to do and holds exactly `expected` (relative paths). */
async function holdsExactly(expected: readonly string[]): Promise<boolean> {
  await library.whenIdle();
  const status = library.status();
  if (status.pending !== 0 || status.photos !== expected.length) return false;
  const have = catalogued();
  return expected.every((path) => have.has(path));
}

beforeAll(async () => {
  work = await makeTempDir('shoebox-watch-stress-');
  photos = join(work.path, 'Photos');
  await mkdir(photos);
  library = await Library.open(join(work.path, 'library'), {
    watch: true,
    workers: 2,
    watcher: { stabilityMs: STABILITY_MS },
  });
  await library.sync([await library.registerFolder(photos)]);
});

afterAll(async () => {
  await library?.close();
  await work?.remove();
});

// One story in order: each step starts from the state the one before left.
describe('the watcher under stress', () => {
  const burstNames = Array.from(
    { length: BURST },
    (_, i) => `Burst/img-${String(i).padStart(5, '0')}.jpg`,
  );
  let burstIds: number[] = [];

  it(`takes in a burst of ${BURST} new files`, async () => {
    await mkdir(join(photos, 'Burst'));
    await writeBurst(join(photos, 'Burst'), BURST);
    await waitFor(() => holdsExactly(burstNames), 'the burst to be catalogued', 90_000);
    expect(library.listFailures()).toEqual([]);
    const have = catalogued();
    burstIds = burstNames.map((name) => have.get(name)!).sort((a, b) => a - b);
    expect(new Set(burstIds).size).toBe(BURST);
  });

  it('follows a whole folder renamed, keeping every photo', async () => {
    await rename(join(photos, 'Burst'), join(photos, 'Renamed'));
    const renamed = burstNames.map((name) => name.replace(/^Burst\//, 'Renamed/'));
    await waitFor(() => holdsExactly(renamed), 'the renamed folder', 60_000);
    const have = catalogued();
    expect([...have.keys()].some((path) => path.startsWith('Burst/'))).toBe(false);
    expect(renamed.map((name) => have.get(name)!).sort((a, b) => a - b)).toEqual(burstIds);
  });

  it('keeps the photos of a library folder that goes away, and watches it again when it is back', async () => {
    const away = join(work.path, 'Photos (unplugged)');
    await rename(photos, away);
    // Longer than the library holds an unmatched removal before treating it as a deletion, so a
    // library that deleted the rows of an unreachable folder would show it below.
    await new Promise((resolve) => setTimeout(resolve, STABILITY_MS + 300 + 1500 + 1500));
    await library.whenIdle();
    expect(library.status().photos).toBe(BURST);

    await rename(away, photos);
    await writeFile(join(photos, 'after.jpg'), await makeNoiseJpeg(99_999));
    const renamed = burstNames.map((name) => name.replace(/^Burst\//, 'Renamed/'));
    await waitFor(
      () => holdsExactly([...renamed, 'after.jpg']),
      'a file added after the folder came back',
      60_000,
    );
    const have = catalogued();
    expect(renamed.map((name) => have.get(name)!).sort((a, b) => a - b)).toEqual(burstIds);
    // Live watching again, not just a rescan on return: a later file arrives by itself.
    await writeFile(join(photos, 'later.jpg'), await makeNoiseJpeg(99_998));
    await waitFor(
      () => holdsExactly([...renamed, 'after.jpg', 'later.jpg']),
      'a file added once the folder is watched again',
    );
  });

  it('drops the photos of a deleted folder', async () => {
    await rm(join(photos, 'Renamed'), { recursive: true });
    await waitFor(
      () => holdsExactly(['after.jpg', 'later.jpg']),
      'the deleted folder to leave',
      60_000,
    );
    expect(library.listFailures()).toEqual([]);
  });
});
