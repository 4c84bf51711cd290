import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../shared/seeded-random.ts';
import { DESCRIPTOR_DIM } from './face-types.ts';
import {
  FaceGraph,
  NEIGHBOUR_DISTANCE,
  densityClusters,
  descriptorDistance,
  groupFaces,
} from './grouping.ts';

/** A random direction scaled so that faces of one "person" lie about `spread` apart. */
function makePeople(counts: number[], seed = 1, spread = 0.2) {
  const random = mulberry32(seed);
  const gaussian = () => {
    const u = Math.max(random(), 1e-9);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const faces: { id: number; key: string; descriptor: Float32Array; person: number }[] = [];
  let id = 1;
  counts.forEach((count, person) => {
    const centre = Float32Array.from({ length: DESCRIPTOR_DIM }, () => gaussian() * 0.1);
    for (let i = 0; i < count; i++) {
      const d = Float32Array.from(
        centre,
        (v) => v + (gaussian() * spread) / Math.sqrt(2 * DESCRIPTOR_DIM),
      );
      faces.push({ id, key: `photo-${person}-${i}:0`, descriptor: d, person });
      id += 1;
    }
  });
  return faces;
}

function counter(start = 100) {
  let next = start;
  return () => next++;
}

describe('face grouping', () => {
  it('finds each person and leaves a stranger unclustered', () => {
    const faces = makePeople([5, 4, 3, 1]);
    const graph = new FaceGraph();
    graph.update(faces);
    const grouping = groupFaces(graph, faces, new Map(), new Map(), counter());
    expect(grouping.people.map((p) => p.faceIds.length)).toEqual([5, 4, 3]);
    const stranger = faces.find((f) => f.person === 3)!;
    expect(grouping.personOf.get(stranger.id)).toBeNull();
    for (const person of grouping.people) {
      const truth = new Set(person.faceIds.map((id) => faces.find((f) => f.id === id)!.person));
      expect(truth.size).toBe(1);
      // The representative is one of the person's faces, listed first.
      expect(person.faceIds[0]).toBe(person.representativeFaceId);
    }
  });

  it('updates the graph incrementally to exactly what a fresh graph holds', () => {
    const faces = makePeople([6, 6, 2], 2);
    const incremental = new FaceGraph();
    expect(incremental.update(faces.slice(0, 8))).toBe(8);
    // Two go, the rest arrive: only the new ones are compared.
    const now = faces.filter((f) => f.id !== 2 && f.id !== 5);
    expect(incremental.update(now)).toBe(now.length - 6);
    const fresh = new FaceGraph();
    fresh.update(now);
    for (const face of now) {
      const ids = (g: FaceGraph) =>
        g
          .neighboursOf(face.id)
          .map((n) => n.id)
          .sort((a, b) => a - b);
      expect(ids(incremental)).toEqual(ids(fresh));
    }
    expect(incremental.size).toBe(now.length);
  });

  it('holds exactly the pairs within reach, through faces coming, going and changing', () => {
    // Spread 0.5 puts many pairs of one person near the 0.4 line, both sides of it.
    const all = makePeople([30, 30, 20, 5], 9, 0.5);
    const random = mulberry32(4);
    const graph = new FaceGraph();
    let present = all.slice(0, 40);
    for (let round = 0; round < 12; round++) {
      graph.update(present);
      expect(graph.size).toBe(present.length);
      for (const face of present) {
        const want = present
          .filter((other) => other.id !== face.id)
          .map((other) => ({
            id: other.id,
            distance: descriptorDistance(face.descriptor, other.descriptor),
          }))
          .filter((n) => n.distance <= NEIGHBOUR_DISTANCE)
          .sort((a, b) => a.id - b.id);
        const have = [...graph.neighboursOf(face.id)].sort((a, b) => a.id - b.id);
        expect(have.map((n) => n.id)).toEqual(want.map((n) => n.id));
        have.forEach((n, i) => expect(n.distance).toBeCloseTo(want[i]!.distance, 5));
      }
      // Some leave (freeing slots in the middle of the packed array), some arrive, and one
      // face's descriptor changes under the same id.
      present = present.filter(() => random() > 0.25);
      const ids = new Set(present.map((f) => f.id));
      for (const face of all) if (!ids.has(face.id) && random() < 0.2) present.push(face);
      const changed = present[Math.floor(random() * present.length)]!;
      present = present.map((f) =>
        f === changed ? { ...f, descriptor: all[(f.id * 7) % all.length]!.descriptor } : f,
      );
    }
  });

  it('keeps ids across regroupings and follows the pins', () => {
    const faces = makePeople([4, 4], 3);
    const graph = new FaceGraph();
    graph.update(faces);
    const first = groupFaces(graph, faces, new Map(), new Map(), counter(1));
    const previous = new Map(
      faces.map((f) => [f.key, first.personOf.get(f.id)!] as [string, number]),
    );
    // Regrouped from a fresh id counter: the ids come from what the faces had before.
    const again = groupFaces(graph, faces, new Map(), previous, counter(50));
    expect(again.personOf).toEqual(first.personOf);

    // Merge: every face pinned to the second person.
    const [a, b] = first.people;
    const pins = new Map<string, number | null>(faces.map((f) => [f.key, b!.id]));
    const merged = groupFaces(graph, faces, pins, previous, counter(50));
    expect(merged.people).toHaveLength(1);
    expect(merged.people[0]!.id).toBe(b!.id);

    // Moved out: one face of the first person kept out of everyone, the rest pinned to it.
    const out = faces.find((f) => f.id === a!.faceIds[1])!;
    const outPins = new Map<string, number | null>(
      a!.faceIds.map((id) => [faces.find((f) => f.id === id)!.key, a!.id]),
    );
    outPins.set(out.key, null);
    const moved = groupFaces(graph, faces, outPins, previous, counter(50));
    expect(moved.personOf.get(out.id)).toBeNull();
    expect(moved.people.find((p) => p.id === a!.id)!.faceIds).toHaveLength(3);
    // A face moved to a new person of its own stays there; the group it left keeps its id.
    const newPins = new Map(outPins).set(out.key, 77);
    const alone = groupFaces(graph, faces, newPins, previous, counter(50));
    expect(alone.people.find((p) => p.id === 77)!.faceIds).toEqual([out.id]);
    expect(alone.people.find((p) => p.id === a!.id)!.faceIds).toHaveLength(3);
  });

  it('never puts two faces of one photo into one person', () => {
    const [a, b, c] = makePeople([3], 4);
    // b is a second face in a's photo (a mirror, a twin, a poster): it cannot be a's person.
    const faces = [
      { ...a!, key: 'photo1:0' },
      { ...b!, key: 'photo1:1' },
      { ...c!, key: 'photo2:0' },
    ];
    const graph = new FaceGraph();
    graph.update(faces);
    expect(densityClusters(graph, new Set()).get(b!.id)).toBe(0); // by distance alone: together
    const grouping = groupFaces(graph, faces, new Map(), new Map(), counter());
    const person = grouping.personOf.get(a!.id);
    expect(person).not.toBeNull();
    expect(grouping.personOf.get(c!.id)).toBe(person);
    expect(grouping.personOf.get(b!.id)).not.toBe(person);
  });

  it('does not chain through a face kept out of every person', () => {
    // Three faces on a line: a - bridge - c, a and c too far apart to be neighbours.
    const a = new Float32Array(DESCRIPTOR_DIM);
    const bridge = new Float32Array(DESCRIPTOR_DIM).fill(0.3 / Math.sqrt(DESCRIPTOR_DIM));
    const c = new Float32Array(DESCRIPTOR_DIM).fill(0.6 / Math.sqrt(DESCRIPTOR_DIM));
    expect(descriptorDistance(a, c)).toBeGreaterThan(NEIGHBOUR_DISTANCE);
    const graph = new FaceGraph();
    graph.update([
      { id: 1, descriptor: a },
      { id: 2, descriptor: bridge },
      { id: 3, descriptor: c },
    ]);
    expect(new Set(densityClusters(graph, new Set()).values())).toEqual(new Set([0]));
    const apart = densityClusters(graph, new Set([2]));
    expect(apart.get(1)).toBe(-1);
    expect(apart.get(3)).toBe(-1);
  });
});
