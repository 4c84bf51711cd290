import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { journalMigrations, latestJournalVersion, migrateJournal } from './migrations.ts';

function tables(db: Database.Database): string[] {
  return (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
      name: string;
    }[]
  ).map((row) => row.name);
}

describe('journal migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(journalMigrations.map((m) => m.version)).toEqual(journalMigrations.map((_, i) => i + 1));
  });

  it('migration 1 creates the trash and decisions tables with their constraints', () => {
    const db = new Database(':memory:');
    expect(migrateJournal(db, 1)).toBe(1);
    expect(tables(db)).toEqual(['decisions', 'trash']);
    const insert = db.prepare(
      `INSERT INTO trash (original_path, trash_path, content_hash, size, mtime_ms, state, trashed_at, updated_at)
       VALUES (?, ?, 'h', 1, 1, ?, 1, 1)`,
    );
    insert.run('/p/a.jpg', '/p/.shoebox-trash/1-a.jpg', 'moving');
    expect(() => insert.run('/p/b.jpg', '/p/.shoebox-trash/2-b.jpg', 'bogus')).toThrow();
    // Two entries can never share a file in the trash.
    expect(() => insert.run('/p/c.jpg', '/p/.shoebox-trash/1-a.jpg', 'moving')).toThrow();
    const decide = db.prepare(`INSERT INTO decisions (kind, hashes, created_at) VALUES (?, ?, 1)`);
    decide.run('keep-all', '["a","b"]');
    expect(() => decide.run('keep-all', '["a","b"]')).toThrow();
    expect(() => decide.run('maybe', '["a","c"]')).toThrow();
  });

  it('migration 2 adds the folder list, keeping what migration 1 held', () => {
    const db = new Database(':memory:');
    migrateJournal(db, 1);
    db.prepare(
      `INSERT INTO decisions (kind, hashes, created_at) VALUES ('kept', '["a"]', 1)`,
    ).run();
    expect(migrateJournal(db, 2)).toBe(2);
    expect(tables(db)).toEqual(['decisions', 'folders', 'trash']);
    expect(db.prepare(`SELECT count(*) AS n FROM decisions`).get()).toEqual({ n: 1 });
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 1)`).run();
    expect(() =>
      db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 2)`).run(),
    ).toThrow();
  });

  it('migration 3 adds people and face assignments, keeping what was there', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrateJournal(db, 2);
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 1)`).run();
    expect(migrateJournal(db, 3)).toBe(3);
    expect(tables(db)).toEqual(expect.arrayContaining(['face_people', 'folders', 'people']));
    expect(db.prepare(`SELECT count(*) AS n FROM folders`).get()).toEqual({ n: 1 });
    const person = db.prepare(`INSERT INTO people (name, created_at) VALUES (?, 1)`);
    const first = Number(person.run('Ann').lastInsertRowid);
    db.prepare(`DELETE FROM people WHERE id = ?`).run(first);
    // An id is never handed out twice, even after its person went.
    expect(Number(person.run(null).lastInsertRowid)).toBe(first + 1);
    const assign = db.prepare(
      `INSERT INTO face_people (face_key, person_id, pinned) VALUES (?, ?, ?)`,
    );
    assign.run('h:0', first + 1, 0);
    assign.run('h:1', null, 1); // kept out of every person
    expect(() => assign.run('h:2', null, 0)).toThrow(/CHECK/);
    expect(() => assign.run('h:3', 999, 1)).toThrow(/FOREIGN KEY/);
    expect(() => assign.run('h:0', first + 1, 1)).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  it('is idempotent and refuses a journal from a newer version', () => {
    const db = new Database(':memory:');
    migrateJournal(db);
    expect(migrateJournal(db)).toBe(latestJournalVersion);
    db.pragma(`user_version = ${latestJournalVersion + 1}`);
    expect(() => migrateJournal(db)).toThrow(/newer Shoebox/);
  });
});
