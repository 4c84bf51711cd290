import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { Journal, journalPath } from './journal.ts';

let work: { path: string; remove(): Promise<void> };
let journal: Journal;

beforeEach(async () => {
  work = await makeTempDir('shoebox-journal-');
  journal = new Journal(journalPath(work.path));
});
afterEach(async () => {
  journal.close();
  await work.remove();
});

describe('Journal', () => {
  it('is durable: WAL with synchronous FULL', () => {
    expect(journal.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('records a move with a unique trash name and walks it through its states', () => {
    const a = journal.beginMove({
      originalPath: '/photos/a.jpg',
      trashDir: '/photos/.shoebox-trash',
      contentHash: 'h1',
      size: 10,
      mtimeMs: 1234.9,
      now: 100,
    });
    const b = journal.beginMove({
      originalPath: '/photos/sub/a.jpg',
      trashDir: '/photos/.shoebox-trash',
      contentHash: 'h2',
      size: 11,
      mtimeMs: 5,
      now: 101,
    });
    expect(a).toMatchObject({ state: 'moving', trashedAt: 100, mtimeMs: 1234 });
    expect(a.trashPath).toBe(join('/photos/.shoebox-trash', `${a.id}-a.jpg`));
    expect(b.trashPath).not.toBe(a.trashPath);
    journal.setTrashState(a.id, 'trashed', {}, 200);
    expect(journal.trashRecords(['trashed']).map((r) => r.id)).toEqual([a.id]);
    const restoring = journal.setTrashState(a.id, 'restoring', {
      restoredPath: '/photos/a (restored).jpg',
    });
    expect(restoring.restoredPath).toBe('/photos/a (restored).jpg');
    expect(journal.setTrashState(a.id, 'restored', { note: 'ok' }).note).toBe('ok');
    expect(journal.trashRecords().map((r) => r.state)).toEqual(['restored', 'moving']);
    expect(() => journal.setTrashState(999, 'trashed')).toThrow(/no trash record/);
  });

  it('keeps decisions keyed by the sorted set of hashes and kind', () => {
    const first = journal.recordDecision('keep-all', ['b', 'a', 'b'], null, 1);
    expect(first).toMatchObject({ kind: 'keep-all', hashes: ['a', 'b'], kept: null, createdAt: 1 });
    // The same group and kind again re-dates the one decision rather than adding another.
    journal.recordDecision('keep-all', ['a', 'b'], null, 2);
    journal.recordDecision('kept', ['c', 'a'], ['c'], 3);
    expect(journal.decisions()).toHaveLength(2);
    expect(journal.decisions('keep-all')[0]?.createdAt).toBe(2);
    expect(journal.decisions('kept')[0]).toMatchObject({ hashes: ['a', 'c'], kept: ['c'] });
    journal.removeDecision(first.id);
    expect(journal.decisions().map((d) => d.kind)).toEqual(['kept']);
  });

  it('mirrors the library folders', () => {
    journal.putFolder('/b', false, 1);
    journal.putFolder('/a', true, 2);
    journal.putFolder('/b', true, 3);
    expect(journal.listFolders()).toEqual([
      { path: '/a', isReference: true, addedAt: 2 },
      { path: '/b', isReference: true, addedAt: 1 },
    ]);
    journal.removeFolder('/a');
    expect(journal.listFolders().map((f) => f.path)).toEqual(['/b']);
  });

  it('survives being reopened', () => {
    journal.recordDecision('not-duplicates', ['x', 'y']);
    journal.close();
    journal = new Journal(journalPath(work.path));
    expect(journal.decisions('not-duplicates')).toHaveLength(1);
  });
});
