import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { latestVersion, migrate, migrations } from './migrations.ts';

function tables(db: Database.Database): string[] {
  return (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
      name: string;
    }[]
  ).map((row) => row.name);
}

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  it('migration 1 creates the catalog tables and records the version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 1)).toBe(1);
    expect(tables(db)).toEqual(['features', 'folders', 'jobs', 'photos', 'settings']);
    db.pragma('foreign_keys = ON');
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 1)`).run();
    db.prepare(
      `INSERT INTO photos (folder_id, path, size, mtime_ms, first_seen_at) VALUES (1, '/p/a.jpg', 1, 1, 1)`,
    ).run();
    db.prepare(`INSERT INTO jobs (photo_id, queued_at) VALUES (1, 1)`).run();
    // Removing a folder cascades to its photos and their jobs.
    db.prepare(`DELETE FROM folders WHERE id = 1`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM jobs`).get()).toEqual({ n: 0 });
    expect(() =>
      db
        .prepare(
          `INSERT INTO photos (folder_id, path, size, mtime_ms, first_seen_at, status)
                  VALUES (1, '/x', 1, 1, 1, 'bogus')`,
        )
        .run(),
    ).toThrow();
  });

  it('migration 2 adds the analysis results table to a version-1 catalog with data in it', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 1)`).run();
    expect(migrate(db, 2)).toBe(2);
    expect(tables(db)).toContain('analysis');
    expect(db.prepare(`SELECT count(*) AS n FROM folders`).get()).toEqual({ n: 1 });
    db.prepare(
      `INSERT INTO analysis (key, space, data, updated_at) VALUES ('layout', 'fp', x'00', 1)`,
    ).run();
    expect(() =>
      db
        .prepare(
          `INSERT INTO analysis (key, space, data, updated_at) VALUES ('layout', 'fp', x'00', 2)`,
        )
        .run(),
    ).toThrow(/UNIQUE/);
  });

  it('migration 3 lets every grid page read in index order, without sorting the table', async () => {
    const { Catalog } = await import('./catalog.ts');
    const catalog = new Catalog(':memory:');
    for (const order of ['takenAt', 'name', 'size'] as const) {
      for (const descending of [false, true]) {
        const sql = catalog.listPhotosSql({ order, descending, folderId: undefined });
        const plan = (
          catalog.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(500, 100_000) as {
            detail: string;
          }[]
        ).map((row) => row.detail);
        expect(plan.join(' | '), `${order} ${descending ? 'desc' : 'asc'}`).not.toMatch(
          /TEMP B-TREE/,
        );
        expect(plan.join(' | ')).toMatch(/USING (COVERING )?INDEX photos_grid_/);
      }
    }
    catalog.close();
  });

  it('migration 4 lets the indexer take the next job without sorting the queue', async () => {
    const { Catalog } = await import('./catalog.ts');
    const catalog = new Catalog(':memory:');
    const plan = (
      catalog.db.prepare(`EXPLAIN QUERY PLAN ${catalog.nextJobsSql}`).all(1) as { detail: string }[]
    )
      .map((row) => row.detail)
      .join(' | ');
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(plan).toMatch(/INDEX jobs_order/);
    catalog.close();
  });

  it('migration 5 keeps one picture-check verdict per pair of contents', async () => {
    const db = new Database(':memory:');
    migrate(db, 4);
    expect(migrate(db, 5)).toBe(5);
    expect(tables(db)).toContain('picture_checks');
    const insert = db.prepare(`INSERT INTO picture_checks (pair, version, same) VALUES (?, ?, ?)`);
    insert.run('a|b', 'v1', 1);
    expect(() => insert.run('a|b', 'v1', 0)).toThrow(/UNIQUE/);
    expect(() => insert.run('a|c', 'v1', 2)).toThrow(/CHECK/);
    db.close();

    const { Catalog } = await import('./catalog.ts');
    const catalog = new Catalog(':memory:');
    catalog.savePictureVerdicts('v1', [
      ['a|b', true],
      ['a|c', false],
    ]);
    catalog.savePictureVerdicts('v2', [['a|b', false]]); // a newer check replaces a verdict
    expect(catalog.pictureVerdicts('v1')).toEqual(new Map([['a|c', false]]));
    expect(catalog.pictureVerdicts('v2')).toEqual(new Map([['a|b', false]]));
    catalog.close();
  });

  it('migration 6 keeps one row per face of a content, and people with their representative', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 5);
    expect(migrate(db, 6)).toBe(6);
    expect(tables(db)).toEqual(expect.arrayContaining(['faces', 'people']));
    const insert = db.prepare(
      `INSERT INTO faces (content_hash, face_index, x, y, width, height, score, descriptor)
       VALUES (?, ?, 0.1, 0.2, 0.3, 0.4, 0.9, ?)`,
    );
    const first = Number(insert.run('a', 0, Buffer.alloc(512)).lastInsertRowid);
    insert.run('a', 1, Buffer.alloc(512));
    expect(() => insert.run('a', 0, Buffer.alloc(512))).toThrow(/UNIQUE/);
    db.prepare(`INSERT INTO people (id, representative_face_id) VALUES (7, ?)`).run(first);
    expect(() =>
      db.prepare(`INSERT INTO people (id, representative_face_id) VALUES (8, 999)`).run(),
    ).toThrow(/FOREIGN KEY/);
    // A face that goes (its photo's content was re-analysed) takes its person's row with it.
    db.prepare(`DELETE FROM faces WHERE id = ?`).run(first);
    expect(db.prepare(`SELECT count(*) AS n FROM people`).get()).toEqual({ n: 0 });
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM faces WHERE person_id = ?`).all(1) as {
        detail: string;
      }[]
    )
      .map((row) => row.detail)
      .join(' | ');
    expect(plan).toMatch(/INDEX faces_person/);
    db.close();
  });

  it('is idempotent and refuses a catalog from a newer version', () => {
    const db = new Database(':memory:');
    migrate(db);
    expect(migrate(db)).toBe(latestVersion);
    db.pragma(`user_version = ${latestVersion + 1}`);
    expect(() => migrate(db)).toThrow(/newer Shoebox/);
  });
});
