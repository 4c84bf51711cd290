// The catalog's faces and people tables (migration 6), in domain terms. Faces belong to content,
// like features; a face is shown through one indexed photo with that content. Only faces of
// content some indexed photo still has count anywhere: the rows of a removed photo's content stay
// as a cache (as its features do) until it is analysed again.
import type { Statement } from 'better-sqlite3';
import type { Face } from '../../../shared/domain.ts';
import type { Catalog, PhotoOrder } from '../catalog/catalog.ts';
import { FACES_VERSION } from '../features/versions.ts';
import { DESCRIPTOR_DIM, type DetectedFace } from './face-types.ts';

/** A face as grouping needs it: its id, its journal name and its descriptor. */
export interface FaceForGrouping {
  id: number;
  /** `<content hash>:<index in the photo>`: how the journal names this face. */
  key: string;
  descriptor: Float32Array;
  personId: number | null;
}

export interface PersonCounts {
  id: number;
  faceCount: number;
  photoCount: number;
  representativeFaceId: number;
}

interface FaceRowDb {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  person_id: number | null;
  photo_id: number;
}

const ON_INDEXED_PHOTO = `EXISTS (SELECT 1 FROM photos p WHERE p.content_hash = f.content_hash AND p.status = 'indexed')`;
const FACE_COLUMNS = `f.id, f.x, f.y, f.width, f.height, f.score, f.person_id,
  (SELECT min(p.id) FROM photos p WHERE p.content_hash = f.content_hash AND p.status = 'indexed') AS photo_id`;

const orderColumns: Record<PhotoOrder, string> = {
  takenAt: 'taken_at IS NULL, taken_at {dir}, path {dir}',
  name: 'path {dir}',
  size: 'size {dir}, path {dir}',
};

export function faceKey(contentHash: string, index: number): string {
  return `${contentHash}:${index}`;
}

function toFace(row: FaceRowDb): Face {
  return {
    id: row.id,
    photoId: row.photo_id,
    box: { x: row.x, y: row.y, width: row.width, height: row.height },
    score: row.score,
    personId: row.person_id,
  };
}

export class FaceStore {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly catalog: Catalog) {}

  private statement(sql: string): Statement {
    let found = this.statements.get(sql);
    if (!found) {
      found = this.catalog.db.prepare(sql);
      this.statements.set(sql, found);
    }
    return found;
  }

  /**
   * Stores the faces found in one content. A face keeps its id (and so its person) when the
   * content is analysed again and the face is still there at the same index; faces past the new
   * count go. Call inside the transaction that stores the content's features.
   */
  putFaces(contentHash: string, faces: readonly DetectedFace[]): void {
    const upsert = this.statement(
      `INSERT INTO faces (content_hash, face_index, x, y, width, height, score, descriptor)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (content_hash, face_index) DO UPDATE SET
         x = excluded.x, y = excluded.y, width = excluded.width, height = excluded.height,
         score = excluded.score, descriptor = excluded.descriptor`,
    );
    faces.forEach((face, index) => {
      const d = face.descriptor;
      upsert.run(
        contentHash,
        index,
        face.box.x,
        face.box.y,
        face.box.width,
        face.box.height,
        face.score,
        Buffer.from(d.buffer, d.byteOffset, d.byteLength),
      );
    });
    this.statement(`DELETE FROM faces WHERE content_hash = ? AND face_index >= ?`).run(
      contentHash,
      faces.length,
    );
  }

  /** Every face of the library's indexed photos, in id order, with its descriptor. */
  facesForGrouping(): FaceForGrouping[] {
    const rows = this.statement(
      `SELECT f.id, f.content_hash, f.face_index, f.descriptor, f.person_id FROM faces f
       WHERE ${ON_INDEXED_PHOTO} ORDER BY f.id`,
    ).all() as {
      id: number;
      content_hash: string;
      face_index: number;
      descriptor: Buffer;
      person_id: number | null;
    }[];
    return rows.map((row) => ({
      id: row.id,
      key: faceKey(row.content_hash, row.face_index),
      descriptor: toDescriptor(row.descriptor),
      personId: row.person_id,
    }));
  }

  /** Records a grouping: every face's person (null: unclustered) and each person's medoid. */
  saveGrouping(
    personOf: ReadonlyMap<number, number | null>,
    people: readonly { id: number; representativeFaceId: number }[],
  ): void {
    this.catalog.transaction(() => {
      const update = this.statement(
        `UPDATE faces SET person_id = ? WHERE id = ? AND person_id IS NOT ?`,
      );
      for (const [faceId, personId] of personOf) update.run(personId, faceId, personId);
      this.statement(`DELETE FROM people`).run();
      const insert = this.statement(
        `INSERT INTO people (id, representative_face_id) VALUES (?, ?)`,
      );
      for (const person of people) insert.run(person.id, person.representativeFaceId);
    });
  }

  /** The people of the last grouping, with how many faces and photos each has. */
  people(): PersonCounts[] {
    return this.statement(
      `SELECT pe.id AS id, pe.representative_face_id AS representativeFaceId,
         (SELECT count(*) FROM faces f WHERE f.person_id = pe.id AND ${ON_INDEXED_PHOTO}) AS faceCount,
         (SELECT count(*) FROM photos p WHERE p.status = 'indexed' AND p.content_hash IN
            (SELECT f.content_hash FROM faces f WHERE f.person_id = pe.id)) AS photoCount
       FROM people pe`,
    ).all() as PersonCounts[];
  }

  /** Faces on indexed photos that belong to nobody. */
  unclusteredCount(): number {
    return (
      this.statement(
        `SELECT count(*) AS n FROM faces f WHERE f.person_id IS NULL AND ${ON_INDEXED_PHOTO}`,
      ).get() as { n: number }
    ).n;
  }

  facesByIds(ids: readonly number[]): Map<number, Face> {
    const found = new Map<number, Face>();
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      const rows = this.statement(
        `SELECT ${FACE_COLUMNS} FROM faces f WHERE f.id IN (${chunk.map(() => '?').join(',')})
         AND ${ON_INDEXED_PHOTO}`,
      ).all(...chunk) as FaceRowDb[];
      for (const row of rows) found.set(row.id, toFace(row));
    }
    return found;
  }

  face(id: number): (Face & { key: string }) | null {
    const row = this.statement(
      `SELECT ${FACE_COLUMNS}, f.content_hash, f.face_index FROM faces f
       WHERE f.id = ? AND ${ON_INDEXED_PHOTO}`,
    ).get(id) as (FaceRowDb & { content_hash: string; face_index: number }) | undefined;
    return row ? { ...toFace(row), key: faceKey(row.content_hash, row.face_index) } : null;
  }

  /** The faces of one content, in their order in the photo, shown through `photoId`. */
  facesOfContent(contentHash: string, photoId: number): Face[] {
    const rows = this.statement(
      `SELECT f.id, f.x, f.y, f.width, f.height, f.score, f.person_id, ? AS photo_id FROM faces f
       WHERE f.content_hash = ? ORDER BY f.face_index`,
    ).all(photoId, contentHash) as FaceRowDb[];
    return rows.map(toFace);
  }

  /** Photos in which the person's face was found: the grid's page, in the grid's order. */
  photosOfPerson(query: {
    personId: number;
    order: PhotoOrder;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
  }): { total: number; ids: number[] } {
    const where = `status = 'indexed' AND content_hash IN
      (SELECT content_hash FROM faces WHERE person_id = ?)${query.folderId === undefined ? '' : ' AND folder_id = ?'}`;
    const params =
      query.folderId === undefined ? [query.personId] : [query.personId, query.folderId];
    const total = (
      this.statement(`SELECT count(*) AS n FROM photos WHERE ${where}`).get(...params) as {
        n: number;
      }
    ).n;
    const order = orderColumns[query.order].replaceAll('{dir}', query.descending ? 'DESC' : 'ASC');
    const ids = (
      this.statement(`SELECT id FROM photos WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(
        ...params,
        query.limit,
        query.offset,
      ) as { id: number }[]
    ).map((row) => row.id);
    return { total, ids };
  }

  /** Ids of every indexed photo showing the person (for the map's filter). */
  photoIdsOfPerson(personId: number): Set<number> {
    const rows = this.statement(
      `SELECT id FROM photos WHERE status = 'indexed' AND content_hash IN
         (SELECT content_hash FROM faces WHERE person_id = ?)`,
    ).all(personId) as { id: number }[];
    return new Set(rows.map((row) => row.id));
  }

  /** Photos (not failed) whose content has not been looked at for faces by this version yet. */
  pendingCount(): number {
    return (
      this.statement(
        `SELECT count(*) AS n FROM photos p WHERE p.status != 'failed' AND NOT EXISTS
           (SELECT 1 FROM features x WHERE x.content_hash = p.content_hash AND x.kind = 'faces'
            AND x.version = ?)`,
      ).get(FACES_VERSION) as { n: number }
    ).n;
  }
}

function toDescriptor(blob: Buffer): Float32Array {
  // Copied out: SQLite's buffer may not be aligned for a Float32Array view.
  const out = new Float32Array(DESCRIPTOR_DIM);
  new Uint8Array(out.buffer).set(blob.subarray(0, DESCRIPTOR_DIM * 4));
  return out;
}
