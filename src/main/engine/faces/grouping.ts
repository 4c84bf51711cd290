// Groups faces into people by descriptor distance, density-based (DBSCAN over a neighbour graph):
// a face with enough close neighbours is a core, people are what the cores reach, and a face
// close to nobody stays unclustered, a stranger, instead of being forced into someone. On top of
// the automatic grouping come the user's decisions (faces pinned to a person or kept out) and the
// ids of the last grouping, so the same people keep the same ids.
//
// The expensive part, distances, lives in FaceGraph and is incremental: a new face is compared
// with every face once, a removed face is dropped from its neighbours' lists. Regrouping from the
// graph is linear in faces plus edges.
import { DESCRIPTOR_DIM } from './face-types.ts';

/**
 * Two faces closer than this (Euclidean distance between descriptors) are neighbours. face-api's
 * own "same person" bar is 0.6; grouping chains neighbours, so it needs a stricter one. Chosen on
 * bench/faces.ts (bench/README.md): the largest distance tried that merged no two of the 22
 * labelled people (0.45 already merged two sample faces).
 */
export const NEIGHBOUR_DISTANCE = 0.4;
/** A face with at least this many neighbours (itself not counted) is a core of a person. */
export const MIN_NEIGHBOURS = 1;
/** A person's representative is the medoid of at most this many of their faces. */
const MEDOID_SAMPLE = 400;

export function descriptorDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < DESCRIPTOR_DIM; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

interface Neighbour {
  id: number;
  distance: number;
}

/**
 * The squared distance between `descriptor` and the one packed at `offset`, or any value above
 * `limit2` as soon as the partial sum passes it (checked every 8 dimensions): most pairs of
 * faces are different people, about 1.0 apart, and are ruled out after a quarter of the sum.
 */
function boundedSquaredDistance(
  descriptor: Float32Array,
  packed: Float32Array,
  offset: number,
  limit2: number,
): number {
  let sum = 0;
  for (let i = 0, o = offset; i < DESCRIPTOR_DIM;) {
    // Eight at a time, unrolled: the engine compiles this to straight-line arithmetic.
    const d0 = descriptor[i++]! - packed[o++]!;
    const d1 = descriptor[i++]! - packed[o++]!;
    const d2 = descriptor[i++]! - packed[o++]!;
    const d3 = descriptor[i++]! - packed[o++]!;
    const d4 = descriptor[i++]! - packed[o++]!;
    const d5 = descriptor[i++]! - packed[o++]!;
    const d6 = descriptor[i++]! - packed[o++]!;
    const d7 = descriptor[i++]! - packed[o++]!;
    sum += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
    if (sum > limit2) return sum;
  }
  return sum;
}

/** Every face's neighbours within a distance, kept up to date as faces come and go. */
export class FaceGraph {
  private readonly descriptors = new Map<number, Float32Array>();
  private readonly neighbours = new Map<number, Neighbour[]>();
  // The descriptors again, back to back in one array (slot i holds the face slotIds[i]), so a new
  // face is compared with all the others in one pass over contiguous memory, each comparison
  // given up once it is out of reach. A first grouping of 10,000 faces compares 50 million pairs
  // on the engine's thread: 11 s with full distances over a Map of arrays, 2.0 s like this
  // (synthetic descriptors, 1,000 people of 10 faces; load average 3-4).
  private packed = new Float32Array(64 * DESCRIPTOR_DIM);
  private readonly slotIds: number[] = [];
  private readonly slotOf = new Map<number, number>();

  constructor(readonly maxDistance = NEIGHBOUR_DISTANCE) {}

  get size(): number {
    return this.descriptors.size;
  }

  descriptor(id: number): Float32Array | undefined {
    return this.descriptors.get(id);
  }

  neighboursOf(id: number): readonly Neighbour[] {
    return this.neighbours.get(id) ?? [];
  }

  ids(): number[] {
    return [...this.descriptors.keys()].sort((a, b) => a - b);
  }

  /**
   * Brings the graph to exactly these faces: drops the ones not listed, compares each new one
   * (or one whose descriptor changed) with every other. Returns how many were compared.
   */
  update(faces: readonly { id: number; descriptor: Float32Array }[]): number {
    const wanted = new Map(faces.map((f) => [f.id, f.descriptor]));
    for (const id of [...this.descriptors.keys()]) {
      const now = wanted.get(id);
      if (now === undefined || !sameVector(now, this.descriptors.get(id)!)) this.remove(id);
    }
    const limit2 = this.maxDistance * this.maxDistance;
    let added = 0;
    for (const face of faces) {
      if (this.descriptors.has(face.id)) continue;
      const list: Neighbour[] = [];
      const packed = this.packed;
      for (let slot = 0, offset = 0; slot < this.slotIds.length; slot++, offset += DESCRIPTOR_DIM) {
        const d2 = boundedSquaredDistance(face.descriptor, packed, offset, limit2);
        if (d2 <= limit2) {
          const other = this.slotIds[slot]!;
          const distance = Math.sqrt(d2);
          list.push({ id: other, distance });
          this.neighbours.get(other)!.push({ id: face.id, distance });
        }
      }
      this.descriptors.set(face.id, face.descriptor);
      this.neighbours.set(face.id, list);
      this.pack(face.id, face.descriptor);
      added += 1;
    }
    return added;
  }

  private pack(id: number, descriptor: Float32Array): void {
    const slot = this.slotIds.length;
    if ((slot + 1) * DESCRIPTOR_DIM > this.packed.length) {
      const grown = new Float32Array(this.packed.length * 2);
      grown.set(this.packed);
      this.packed = grown;
    }
    this.packed.set(descriptor.subarray(0, DESCRIPTOR_DIM), slot * DESCRIPTOR_DIM);
    this.slotIds.push(id);
    this.slotOf.set(id, slot);
  }

  private remove(id: number): void {
    for (const { id: other } of this.neighbours.get(id) ?? []) {
      const list = this.neighbours.get(other);
      if (list) {
        const at = list.findIndex((n) => n.id === id);
        if (at >= 0) list.splice(at, 1);
      }
    }
    this.neighbours.delete(id);
    this.descriptors.delete(id);
    // The last slot moves into the freed one, so the packed faces stay back to back.
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    const last = this.slotIds.length - 1;
    if (slot !== last) {
      const moved = this.slotIds[last]!;
      this.packed.copyWithin(
        slot * DESCRIPTOR_DIM,
        last * DESCRIPTOR_DIM,
        (last + 1) * DESCRIPTOR_DIM,
      );
      this.slotIds[slot] = moved;
      this.slotOf.set(moved, slot);
    }
    this.slotIds.pop();
    this.slotOf.delete(id);
  }
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * DBSCAN labels from the graph: -1 for noise, else a cluster number. Faces in `excluded` take no
 * part (the user kept them out of every person, so they must not join two people either). Two
 * faces of one photo (same `photoOf`) are two people: a cluster never takes a second face from a
 * photo it already has one from (the later, farther one is left to another cluster or noise).
 */
export function densityClusters(
  graph: FaceGraph,
  excluded: ReadonlySet<number>,
  minNeighbours = MIN_NEIGHBOURS,
  photoOf: (id: number) => string = String,
): Map<number, number> {
  const label = new Map<number, number>();
  const live = (id: number) => !excluded.has(id);
  const liveNeighbours = (id: number) => graph.neighboursOf(id).filter((n) => live(n.id));
  const isCore = (id: number) => liveNeighbours(id).length >= minNeighbours;
  let next = 0;
  for (const id of graph.ids()) {
    if (!live(id) || label.has(id) || !isCore(id)) continue;
    const cluster = next++;
    label.set(id, cluster);
    const photos = new Set([photoOf(id)]);
    const queue = [id];
    while (queue.length > 0) {
      const core = queue.shift()!;
      // Nearest first, so a photo's face that joins is the one most like this person.
      const near = [...liveNeighbours(core)].sort((a, b) => a.distance - b.distance || a.id - b.id);
      for (const { id: other } of near) {
        if (label.has(other) || photos.has(photoOf(other))) continue;
        label.set(other, cluster);
        photos.add(photoOf(other));
        // Only cores carry the cluster further; a border face joins but does not reach on.
        if (isCore(other)) queue.push(other);
      }
    }
  }
  for (const id of graph.ids()) if (live(id) && !label.has(id)) label.set(id, -1);
  return label;
}

export interface GroupingFace {
  id: number;
  key: string;
}

export interface Person {
  id: number;
  representativeFaceId: number;
  /** Most typical first: by distance to the representative. */
  faceIds: number[];
}

export interface Grouping {
  personOf: Map<number, number | null>;
  people: Person[];
}

/**
 * The people of these faces: automatic clusters, then the user's pins (a pinned face belongs
 * where it was pinned; a cluster holding pinned faces belongs to the person most of them were
 * pinned to), then ids: a cluster takes the id most of its faces had before, unless another
 * cluster with more of them took it, else a new one from `newId`.
 */
export function groupFaces(
  graph: FaceGraph,
  faces: readonly GroupingFace[],
  pins: ReadonlyMap<string, number | null>,
  previous: ReadonlyMap<string, number>,
  newId: () => number,
  minNeighbours = MIN_NEIGHBOURS,
): Grouping {
  const pinOf = new Map<number, number | null>();
  for (const face of faces) {
    const pin = pins.get(face.key);
    if (pin !== undefined) pinOf.set(face.id, pin);
  }
  const excluded = new Set([...pinOf].filter(([, p]) => p === null).map(([id]) => id));
  // A face's key is `<content hash>:<index>`: the content is its photo.
  const photoOfFace = new Map(faces.map((f) => [f.id, f.key.slice(0, f.key.lastIndexOf(':'))]));
  const labels = densityClusters(graph, excluded, minNeighbours, (id) => photoOfFace.get(id) ?? '');

  const members = new Map<number, number[]>();
  for (const face of faces) {
    const cluster = labels.get(face.id) ?? -1;
    if (cluster < 0) continue;
    let list = members.get(cluster);
    if (!list) members.set(cluster, (list = []));
    list.push(face.id);
  }

  const personOf = new Map<number, number | null>();
  for (const face of faces) personOf.set(face.id, pinOf.has(face.id) ? pinOf.get(face.id)! : null);
  const pinnedPeople = new Set([...pinOf.values()].filter((p): p is number => p !== null));
  const taken = new Set(pinnedPeople);
  const keyOf = new Map(faces.map((f) => [f.id, f.key]));

  // Clusters holding pinned faces follow the pins.
  const unpinnedClusters: number[][] = [];
  for (const ids of members.values()) {
    const votes = countVotes(ids.map((id) => pinOf.get(id)));
    const target = bestVote(votes);
    if (target === null) {
      unpinnedClusters.push(ids);
      continue;
    }
    for (const id of ids) if (!pinOf.has(id)) personOf.set(id, target);
  }

  // The others keep the ids their faces had, largest overlap first.
  const claims: { cluster: number; id: number; votes: number }[] = [];
  unpinnedClusters.forEach((ids, cluster) => {
    for (const [id, votes] of countVotes(ids.map((f) => previous.get(keyOf.get(f)!)))) {
      claims.push({ cluster, id, votes });
    }
  });
  claims.sort((a, b) => b.votes - a.votes || a.id - b.id || a.cluster - b.cluster);
  const idOfCluster = new Map<number, number>();
  for (const claim of claims) {
    if (idOfCluster.has(claim.cluster) || taken.has(claim.id)) continue;
    idOfCluster.set(claim.cluster, claim.id);
    taken.add(claim.id);
  }
  unpinnedClusters.forEach((ids, cluster) => {
    let id = idOfCluster.get(cluster);
    if (id === undefined) {
      id = newId();
      taken.add(id);
    }
    for (const face of ids) personOf.set(face, id);
  });

  const facesOf = new Map<number, number[]>();
  for (const [face, person] of personOf) {
    if (person === null) continue;
    let list = facesOf.get(person);
    if (!list) facesOf.set(person, (list = []));
    list.push(face);
  }
  const people: Person[] = [];
  for (const [id, ids] of facesOf) people.push(withRepresentative(graph, id, ids));
  people.sort((a, b) => b.faceIds.length - a.faceIds.length || a.id - b.id);
  return { personOf, people };
}

function countVotes(values: readonly (number | null | undefined)[]): Map<number, number> {
  const votes = new Map<number, number>();
  for (const value of values) {
    if (value === null || value === undefined) continue;
    votes.set(value, (votes.get(value) ?? 0) + 1);
  }
  return votes;
}

function bestVote(votes: ReadonlyMap<number, number>): number | null {
  let best: number | null = null;
  let bestCount = 0;
  for (const [id, count] of votes) {
    if (count > bestCount || (count === bestCount && best !== null && id < best)) {
      best = id;
      bestCount = count;
    }
  }
  return best;
}

/** The medoid (least total distance to the others) and the faces ordered by distance to it. */
function withRepresentative(graph: FaceGraph, id: number, faceIds: number[]): Person {
  const sorted = [...faceIds].sort((a, b) => a - b);
  // Evenly spaced, so a huge person costs a bounded amount and the same faces are chosen again.
  const step = Math.max(1, Math.ceil(sorted.length / MEDOID_SAMPLE));
  const sample = sorted.filter((_, i) => i % step === 0);
  let medoid = sample[0]!;
  let best = Infinity;
  for (const candidate of sample) {
    const own = graph.descriptor(candidate)!;
    let total = 0;
    for (const other of sample) total += descriptorDistance(own, graph.descriptor(other)!);
    if (total < best) {
      best = total;
      medoid = candidate;
    }
  }
  const centre = graph.descriptor(medoid)!;
  const distance = new Map(
    sorted.map((f) => [f, descriptorDistance(centre, graph.descriptor(f)!)]),
  );
  sorted.sort((a, b) => distance.get(a)! - distance.get(b)! || a - b);
  return { id, representativeFaceId: medoid, faceIds: sorted };
}
