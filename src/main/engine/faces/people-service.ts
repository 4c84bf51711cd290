// People: the faces the indexer found, grouped (faces/grouping.ts) and brought up to date when
// asked after photos changed, with the user's decisions (names, merges, faces moved out) kept in
// the journal so that they survive a rebuilt catalog. Grouping runs on the engine's thread: the
// distances are incremental (a new face is compared with every face once), and regrouping from
// the neighbour graph is linear; see docs/architecture.md, "Faces and people", for its cost.
import type { PhotoFace } from '../../../shared/api.ts';
import type {
  Face,
  PeopleView,
  PersonCard,
  PersonFacesPage,
  Photo,
} from '../../../shared/domain.ts';
import type { Catalog, PhotoOrder } from '../catalog/catalog.ts';
import type { Journal } from '../journal/journal.ts';
import { PeopleJournal } from '../journal/people-journal.ts';
import { FaceStore } from './face-store.ts';
import { PeopleError } from './face-types.ts';
import { FaceGraph, groupFaces, type Person } from './grouping.ts';

export interface PeopleApi {
  list(): PeopleView;
  show(personId: number, offset: number, limit: number): PersonFacesPage;
  rename(personId: number, name: string | null): PersonCard;
  merge(personId: number, intoPersonId: number): PersonCard;
  moveOut(faceId: number, to: 'unclustered' | 'new-person'): { personId: number | null };
  forPhoto(photoId: number): PhotoFace[];
  /** Ids of the photos showing the person (the map's filter). */
  photoIdsOf(personId: number): Set<number>;
  photosOf(query: {
    personId: number;
    order: PhotoOrder;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
  }): { total: number; photos: Photo[] };
}

export class PeopleService implements PeopleApi {
  private readonly store: FaceStore;
  private readonly journal: PeopleJournal;
  private readonly graph = new FaceGraph();
  private stale = true;
  private people = new Map<number, Person>();

  constructor(
    private readonly catalog: Catalog,
    journal: Journal,
  ) {
    this.store = new FaceStore(catalog);
    this.journal = new PeopleJournal(journal);
  }

  /** Photos were added, changed or removed: group again on the next question. */
  markStale(): void {
    this.stale = true;
  }

  /** Groups the faces again if photos changed since the last grouping. */
  refresh(): void {
    if (!this.stale) return;
    const faces = this.store.facesForGrouping();
    this.graph.update(faces);
    const assignments = this.journal.assignments();
    const pins = new Map<string, number | null>();
    const previous = new Map<string, number>();
    for (const [key, a] of assignments) {
      if (a.pinned) pins.set(key, a.personId);
      else if (a.personId !== null) previous.set(key, a.personId);
    }
    const grouping = groupFaces(this.graph, faces, pins, previous, () => this.journal.newPerson());
    this.store.saveGrouping(
      grouping.personOf,
      grouping.people.map((p) => ({ id: p.id, representativeFaceId: p.representativeFaceId })),
    );
    // What the grouping said about faces nobody decided on, so ids survive a rebuild.
    const changes: [string, number | null][] = [];
    for (const face of faces) {
      if (pins.has(face.key)) continue;
      const now = grouping.personOf.get(face.id) ?? null;
      if ((previous.get(face.key) ?? null) !== now) changes.push([face.key, now]);
    }
    if (changes.length > 0) this.journal.remember(changes);
    this.people = new Map(grouping.people.map((p) => [p.id, p]));
    this.stale = false;
  }

  list(): PeopleView {
    this.refresh();
    const persons = this.cards();
    persons.sort((a, b) => b.faceCount - a.faceCount || a.id - b.id);
    return {
      state: persons.length > 0 ? 'ready' : 'empty',
      persons,
      unclustered: this.store.unclusteredCount(),
      pending: this.store.pendingCount(),
    };
  }

  show(personId: number, offset: number, limit: number): PersonFacesPage {
    this.refresh();
    const person = this.requirePerson(personId);
    const card = this.card(personId);
    const pageIds = person.faceIds.slice(offset, offset + limit);
    const faces = this.store.facesByIds(pageIds);
    const photos = this.catalog.photosByIds([...faces.values()].map((f) => f.photoId));
    const page: PersonFacesPage['faces'] = [];
    for (const id of pageIds) {
      const face = faces.get(id);
      const photo = face ? photos.get(face.photoId) : undefined;
      if (face && photo) page.push({ face, photo });
    }
    return { person: card, total: person.faceIds.length, faces: page };
  }

  rename(personId: number, name: string | null): PersonCard {
    this.refresh();
    const person = this.requirePerson(personId);
    // The name follows these faces: pinned, they bring the person (and so the name) back after
    // a rebuild even if the automatic grouping would draw the lines a little differently.
    this.journal.pin(this.keysOf(person.faceIds), personId);
    this.journal.setName(personId, name);
    this.stale = true;
    return this.card(personId);
  }

  merge(personId: number, intoPersonId: number): PersonCard {
    if (personId === intoPersonId) {
      throw new PeopleError('invalid-arguments', 'Pick two different people to merge.');
    }
    this.refresh();
    const from = this.requirePerson(personId);
    const into = this.requirePerson(intoPersonId);
    this.journal.pin(this.keysOf([...from.faceIds, ...into.faceIds]), intoPersonId);
    const fromName = this.journal.name(personId);
    if (this.journal.name(intoPersonId) === null && fromName !== null) {
      this.journal.setName(intoPersonId, fromName);
    }
    this.stale = true;
    this.refresh();
    return this.card(intoPersonId);
  }

  moveOut(faceId: number, to: 'unclustered' | 'new-person'): { personId: number | null } {
    this.refresh();
    const face = this.store.face(faceId);
    if (!face) throw new PeopleError('not-found', `There is no face with id ${faceId}.`);
    // The rest of the person stays who they are: their faces are pinned too, so the face that
    // leaves cannot take the group with it.
    const from = face.personId === null ? undefined : this.people.get(face.personId);
    if (from) {
      this.journal.pin(this.keysOf(from.faceIds.filter((id) => id !== faceId)), from.id);
    }
    const target = to === 'new-person' ? this.journal.newPerson() : null;
    this.journal.pin([face.key], target);
    this.stale = true;
    this.refresh();
    return { personId: this.store.face(faceId)?.personId ?? null };
  }

  forPhoto(photoId: number): PhotoFace[] {
    const photo = this.catalog.getPhoto(photoId);
    if (!photo) throw new PeopleError('not-found', `There is no photo with id ${photoId}.`);
    if (photo.status !== 'indexed' || !photo.contentHash) return [];
    this.refresh();
    const names = this.journal.names();
    return this.store.facesOfContent(photo.contentHash, photoId).map((face) => ({
      ...face,
      personName: face.personId === null ? null : (names.get(face.personId) ?? null),
    }));
  }

  photoIdsOf(personId: number): Set<number> {
    this.refresh();
    this.requirePerson(personId);
    return this.store.photoIdsOfPerson(personId);
  }

  photosOf(query: {
    personId: number;
    order: PhotoOrder;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
  }): { total: number; photos: Photo[] } {
    this.refresh();
    this.requirePerson(query.personId);
    const { total, ids } = this.store.photosOfPerson(query);
    const found = this.catalog.photosByIds(ids);
    return { total, photos: ids.map((id) => found.get(id)).filter((p): p is Photo => !!p) };
  }

  private requirePerson(personId: number): Person {
    const person = this.people.get(personId);
    if (!person) throw new PeopleError('not-found', `There is no person with id ${personId}.`);
    return person;
  }

  private keysOf(faceIds: readonly number[]): string[] {
    const keys: string[] = [];
    for (const id of faceIds) {
      const face = this.store.face(id);
      if (face) keys.push(face.key);
    }
    return keys;
  }

  private card(personId: number): PersonCard {
    const found = this.cards([personId])[0];
    if (!found) throw new PeopleError('not-found', `There is no person with id ${personId}.`);
    return found;
  }

  private cards(only?: readonly number[]): PersonCard[] {
    const counts = this.store.people().filter((p) => only === undefined || only.includes(p.id));
    const faces: Map<number, Face> = this.store.facesByIds(
      counts.map((p) => p.representativeFaceId),
    );
    const photos = this.catalog.photosByIds([...faces.values()].map((f) => f.photoId));
    const names = this.journal.names();
    const cards: PersonCard[] = [];
    for (const p of counts) {
      const representative = faces.get(p.representativeFaceId);
      const representativePhoto = representative ? photos.get(representative.photoId) : undefined;
      if (!representative || !representativePhoto || p.faceCount === 0) continue;
      cards.push({
        id: p.id,
        name: names.get(p.id) ?? null,
        faceCount: p.faceCount,
        photoCount: p.photoCount,
        representative,
        representativePhoto,
      });
    }
    return cards;
  }
}
