import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { isInside } from '../paths.ts';
import { Journal, journalPath } from '../journal/journal.ts';
import { factsOf, type FileExpectation } from './file-facts.ts';
import { NOT_INDEXED, TrashService } from './service.ts';

let work: { path: string; remove(): Promise<void> };
let photos: string;
let journal: Journal;
let indexed: Map<string, FileExpectation>;
let changed: string[];
let service: TrashService;

beforeEach(async () => {
  work = await makeTempDir('shoebox-trash-service-');
  photos = join(work.path, 'Photos');
  await mkdir(join(photos, 'reference'), { recursive: true });
  journal = new Journal(journalPath(work.path));
  indexed = new Map();
  changed = [];
  service = new TrashService(journal, {
    roots: () => [photos],
    isReferenceFolder: (path) => isInside(path, join(photos, 'reference')),
    expectationFor: (path) => indexed.get(path) ?? null,
    osTrash: async () => ({ ok: false, reason: 'not deleted: the OS refused' }),
    onPathsChanged: (paths) => changed.push(...paths),
  });
});
afterEach(async () => {
  journal.close();
  await work.remove();
});

async function indexedPhoto(name: string, content = name): Promise<string> {
  const path = join(photos, name);
  await writeFile(path, content);
  indexed.set(path, (await factsOf(path))!);
  return path;
}

describe('TrashService', () => {
  it('adds by path against what the catalog indexed, lists, and restores by path', async () => {
    const a = await indexedPhoto('a.jpg');
    const b = await indexedPhoto('b.jpg');
    const stranger = join(photos, 'never-indexed.jpg');
    await writeFile(stranger, 'new');
    const ref = await indexedPhoto('reference/r.jpg');
    await writeFile(b, 'edited since indexing');
    const added = await service.add([a, b, stranger, ref]);
    expect(added.map((o) => [o.outcome, o.reason])).toEqual([
      ['trashed', undefined],
      ['skipped', 'changed since you reviewed it'],
      ['skipped', NOT_INDEXED],
      ['skipped', 'it is in a reference folder'],
    ]);
    expect(service.list()).toMatchObject([{ path: a, size: 5, note: null }]);
    expect(typeof service.list()[0]?.trashedAt).toBe('number');

    expect(await service.restore([a, stranger])).toEqual([
      { path: a, outcome: 'restored', restoredTo: a, identical: true },
      { path: stranger, outcome: 'skipped', reason: 'it is not in the trash' },
    ]);
    expect(await readFile(a, 'utf8')).toBe('a.jpg');
    expect(changed).toEqual([a, a]);
  });

  it('reports an OS refusal when emptying and keeps the photo', async () => {
    const a = await indexedPhoto('a.jpg');
    await service.add([a]);
    const [outcome] = await service.empty();
    expect(outcome).toMatchObject({
      path: a,
      outcome: 'not-deleted',
      reason: 'not deleted: the OS refused',
    });
    expect(service.list()).toMatchObject([{ path: a, note: 'not deleted: the OS refused' }]);
    expect(existsSync(service.trash.list()[0]!.trashPath)).toBe(true);
    expect(await service.empty([join(photos, 'other.jpg')])).toEqual([]);
  });
});
