// People in the journal (journal migration 3): person ids, names, and which face belongs to whom.
// The catalog can be rebuilt from the disk, and the faces found again are the same faces (same
// content, same order), so what is written here brings names, merges and moved-out faces back.
import type { Journal } from './journal.ts';

export interface FaceAssignment {
  personId: number | null;
  /** The user's decision (true), or only what the last grouping said (false). */
  pinned: boolean;
}

export class PeopleJournal {
  constructor(private readonly journal: Journal) {}

  private get db() {
    return this.journal.db;
  }

  /** Hands out a new person id, never used before. */
  newPerson(now = Date.now()): number {
    return Number(
      this.db.prepare(`INSERT INTO people (name, created_at) VALUES (NULL, ?)`).run(now)
        .lastInsertRowid,
    );
  }

  names(): Map<number, string> {
    const rows = this.db.prepare(`SELECT id, name FROM people WHERE name IS NOT NULL`).all() as {
      id: number;
      name: string;
    }[];
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  name(personId: number): string | null {
    const row = this.db.prepare(`SELECT name FROM people WHERE id = ?`).get(personId) as
      { name: string | null } | undefined;
    return row?.name ?? null;
  }

  setName(personId: number, name: string | null, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO people (id, name, created_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name`,
      )
      .run(personId, name, now);
  }

  assignments(): Map<string, FaceAssignment> {
    const rows = this.db.prepare(`SELECT face_key, person_id, pinned FROM face_people`).all() as {
      face_key: string;
      person_id: number | null;
      pinned: number;
    }[];
    return new Map(
      rows.map((row) => [row.face_key, { personId: row.person_id, pinned: row.pinned === 1 }]),
    );
  }

  /** The user's decision for these faces: they belong to `personId` (null: to nobody). */
  pin(faceKeys: Iterable<string>, personId: number | null): void {
    const put = this.db.prepare(
      `INSERT INTO face_people (face_key, person_id, pinned) VALUES (?, ?, 1)
       ON CONFLICT(face_key) DO UPDATE SET person_id = excluded.person_id, pinned = 1`,
    );
    this.db.transaction(() => {
      for (const key of faceKeys) put.run(key, personId);
    })();
  }

  /**
   * Remembers what a grouping said about faces the user has not decided on (pinned rows are left
   * alone), so the same people keep the same ids after a rebuild. `personId` null forgets.
   */
  remember(changes: Iterable<readonly [string, number | null]>): void {
    const put = this.db.prepare(
      `INSERT INTO face_people (face_key, person_id, pinned) VALUES (?, ?, 0)
       ON CONFLICT(face_key) DO UPDATE SET person_id = excluded.person_id WHERE pinned = 0`,
    );
    const forget = this.db.prepare(`DELETE FROM face_people WHERE face_key = ? AND pinned = 0`);
    this.db.transaction(() => {
      for (const [key, personId] of changes) {
        if (personId === null) forget.run(key);
        else put.run(key, personId);
      }
    })();
  }
}
