import { describe, expect, it } from 'vitest';
import {
  buildDuplicateEdges,
  decisionFor,
  edgesAtOrAbove,
  groupDuplicates,
  similarityHistogram,
  type DuplicateDecision,
  type DuplicateEdges,
  type KnnLists,
} from './duplicates.ts';

type Pair = [number, number, number];

/** k-neighbour lists as the graph would give them for a set of symmetric similarities. */
function knnFromPairs(ids: number[], pairs: Pair[], k: number): KnnLists {
  const lists = new Map<number, { id: number; s: number }[]>(ids.map((id) => [id, []]));
  for (const [a, b, s] of pairs) {
    lists.get(a)!.push({ id: b, s });
    lists.get(b)!.push({ id: a, s });
  }
  const neighbourIds = new Int32Array(ids.length * k).fill(-1);
  const similarities = new Float32Array(ids.length * k).fill(-Infinity);
  ids.forEach((id, r) => {
    const top = lists
      .get(id)!
      .sort((x, y) => y.s - x.s)
      .slice(0, k);
    top.forEach((t, j) => {
      neighbourIds[r * k + j] = t.id;
      similarities[r * k + j] = t.s;
    });
  });
  return { ids: Int32Array.from(ids), k, neighbourIds, similarities };
}

// Hand-made library. 10 and 11 are the same file (hash a); 16 is not hashed yet.
//   10-11 1.00   10-12 0.96   15-16 0.93   12-13 0.91   13-14 0.84   14-15 0.82   12-14 0.79
const IDS = [10, 11, 12, 13, 14, 15, 16];
const HASHES = ['a', 'a', 'b', 'c', 'd', 'e', null];
const PAIRS: Pair[] = [
  [10, 11, 1.0],
  [10, 12, 0.96],
  [15, 16, 0.93],
  [12, 13, 0.91],
  [13, 14, 0.84],
  [14, 15, 0.82],
  [12, 14, 0.79],
];

function library(
  extra: { ids: number[]; hashes: (string | null)[]; pairs: Pair[] } | null = null,
): DuplicateEdges {
  const ids = [...IDS, ...(extra?.ids ?? [])];
  const hashes = [...HASHES, ...(extra?.hashes ?? [])];
  const pairs = [...PAIRS, ...(extra?.pairs ?? [])];
  return buildDuplicateEdges({ ids, contentHashes: hashes }, knnFromPairs(ids, pairs, 3));
}

const containing = (groups: ReturnType<typeof groupDuplicates>, id: number) =>
  groups.find((g) => g.members.includes(id));

const shape = (groups: ReturnType<typeof groupDuplicates>) =>
  groups.map((g) => ({
    tier: g.tier,
    members: g.members,
    min: Math.round(g.minSimilarity * 100) / 100,
  }));

describe('buildDuplicateEdges', () => {
  it('keeps each pair once, drops pairs below the floor, sorts by similarity descending', () => {
    const e = library();
    const pairs = [...e.similarities].map((s, i) => [
      e.ids[e.from[i]!],
      e.ids[e.to[i]!],
      Math.round(s * 100) / 100,
    ]);
    expect(pairs).toEqual([
      [10, 11, 1],
      [10, 12, 0.96],
      [15, 16, 0.93],
      [12, 13, 0.91],
      [13, 14, 0.84],
      [14, 15, 0.82],
    ]);
    expect(e.hashes).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([...e.hashOrdinals]).toEqual([0, 0, 1, 2, 3, 4, -1]);
  });

  it('ignores neighbours that are not in the photo list and accepts no lists at all', () => {
    const knn = knnFromPairs(
      [1, 2, 99],
      [
        [1, 2, 0.9],
        [1, 99, 0.95],
      ],
      2,
    );
    const e = buildDuplicateEdges({ ids: [1, 2], contentHashes: ['x', 'y'] }, knn);
    expect(e.similarities.length).toBe(1);
    const bare = buildDuplicateEdges({ ids: [1, 2, 3], contentHashes: ['x', 'x', 'y'] }, null);
    expect(bare.similarities.length).toBe(0);
    expect(shape(groupDuplicates({ edges: bare, threshold: 0.9 }))).toEqual([
      { tier: 'identical', members: [1, 2], min: 1 },
    ]);
  });

  it('rejects a negative floor and mismatched inputs', () => {
    expect(() => buildDuplicateEdges({ ids: [1], contentHashes: ['a'] }, null, -0.1)).toThrow(
      RangeError,
    );
    expect(() => buildDuplicateEdges({ ids: [1, 2], contentHashes: ['a'] }, null)).toThrow(
      RangeError,
    );
  });
});

describe('groupDuplicates', () => {
  const edges = library();

  it('regroups the hand-computed cases at each threshold', () => {
    expect(shape(groupDuplicates({ edges, threshold: 0.99 }))).toEqual([
      { tier: 'identical', members: [10, 11], min: 1 },
    ]);
    expect(shape(groupDuplicates({ edges, threshold: 0.92 }))).toEqual([
      { tier: 'near', members: [10, 11, 12], min: 0.96 },
      { tier: 'near', members: [15, 16], min: 0.93 },
    ]);
    // Near groups come strongest first.
    expect(shape(groupDuplicates({ edges, threshold: 0.85 }))).toEqual([
      { tier: 'near', members: [15, 16], min: 0.93 },
      { tier: 'near', members: [10, 11, 12, 13], min: 0.91 },
    ]);
    // 12-14 (0.79) is under the floor and never cached; the chain 13-14-15 joins everything.
    expect(shape(groupDuplicates({ edges, threshold: 0.8 }))).toEqual([
      { tier: 'near', members: [10, 11, 12, 13, 14, 15, 16], min: 0.82 },
    ]);
  });

  it('labels groups by content identity and lists their hashes', () => {
    const g = containing(groupDuplicates({ edges, threshold: 0.85 }), 10);
    expect(g!.id).toBe('h:a');
    expect(g!.hashes).toEqual(['a', 'b', 'c']);
    const unhashed = containing(groupDuplicates({ edges, threshold: 0.92 }), 16)!;
    expect(unhashed.hashes).toEqual(['e']);
    expect(unhashed.id).toBe('h:e');
  });

  it('compares at float32 precision so a pair exactly at the threshold is in', () => {
    expect(edgesAtOrAbove(edges, 0.91)).toBe(4);
    expect(edgesAtOrAbove(edges, 0.9100001)).toBe(3);
    expect(edgesAtOrAbove(edges, 2)).toBe(0);
    expect(edgesAtOrAbove(edges, 0)).toBe(6);
  });

  describe('decisions', () => {
    const keepAll = (...hashes: string[]): DuplicateDecision => ({ kind: 'keep-all', hashes });

    it('hides a decided group at the threshold it was decided and at stricter ones', () => {
      const decided = containing(groupDuplicates({ edges, threshold: 0.85 }), 10)!;
      const d = decisionFor(decided, 'keep-all');
      expect(d).toEqual({ kind: 'keep-all', hashes: ['a', 'b', 'c'] });
      for (const threshold of [0.85, 0.92, 0.99]) {
        const ids = groupDuplicates({ edges, threshold, decisions: [d] }).map((g) => g.members);
        expect(ids.some((m) => m.includes(10))).toBe(false);
      }
    });

    it('brings the group back when a member with a new hash joins it', () => {
      const d = keepAll('a', 'b');
      expect(shape(groupDuplicates({ edges, threshold: 0.92, decisions: [d] }))).toEqual([
        { tier: 'near', members: [15, 16], min: 0.93 },
      ]);
      // Loosening the threshold pulls in 13 (hash c): not judged yet, so the group is back.
      expect(
        containing(groupDuplicates({ edges, threshold: 0.85, decisions: [d] }), 10)!.members,
      ).toEqual([10, 11, 12, 13]);
    });

    it('keeps the group hidden when the newcomer is another copy of a decided file', () => {
      const more = library({ ids: [17], hashes: ['b'], pairs: [[12, 17, 1]] });
      const groups = groupDuplicates({
        edges: more,
        threshold: 0.92,
        decisions: [keepAll('a', 'b')],
      });
      expect(groups.map((g) => g.members)).toEqual([[15, 16]]);
    });

    it('survives rescans: new photo ids with the same hashes stay decided', () => {
      const renumbered = buildDuplicateEdges(
        { ids: IDS.map((i) => i + 100), contentHashes: HASHES },
        knnFromPairs(
          IDS.map((i) => i + 100),
          PAIRS.map(([a, b, s]) => [a + 100, b + 100, s] as Pair),
          3,
        ),
      );
      const groups = groupDuplicates({
        edges: renumbered,
        threshold: 0.85,
        decisions: [keepAll('a', 'b', 'c')],
      });
      expect(groups.map((g) => g.members)).toEqual([[115, 116]]);
    });

    it('shows two decided groups that merge, since that comparison was never made', () => {
      const ds = [keepAll('a', 'b', 'c'), keepAll('d', 'e')];
      const at = (threshold: number) =>
        groupDuplicates({ edges, threshold, decisions: ds }).map((g) => g.members);
      // At 0.85 the first decision hides {10..13}; {15,16} shows because 16 has no hash yet (it
      // cannot have been decided). At 0.80 both decided sets join into one group: shown.
      expect(at(0.85)).toEqual([[15, 16]]);
      expect(at(0.8)).toEqual([[10, 11, 12, 13, 14, 15, 16]]);
    });

    it('hides identical groups decided keep-all', () => {
      expect(groupDuplicates({ edges, threshold: 0.99, decisions: [keepAll('a')] })).toEqual([]);
    });

    it('not-duplicates cuts the edges between the decided hashes', () => {
      const d: DuplicateDecision = { kind: 'not-duplicates', hashes: ['b', 'c'] };
      expect(shape(groupDuplicates({ edges, threshold: 0.85, decisions: [d] }))).toEqual([
        { tier: 'near', members: [10, 11, 12], min: 0.96 },
        { tier: 'near', members: [15, 16], min: 0.93 },
      ]);
      expect(groupDuplicates({ edges, threshold: 0.85, decisions: [d] })).toHaveLength(2);
      expect(shape(groupDuplicates({ edges, threshold: 0.8, decisions: [d] }))).toEqual([
        { tier: 'near', members: [10, 11, 12], min: 0.96 },
        { tier: 'near', members: [13, 14, 15, 16], min: 0.82 },
      ]);
      // A new photo close to both links them again, and the group shows with the newcomer.
      const bridged = library({
        ids: [18],
        hashes: ['f'],
        pairs: [
          [12, 18, 0.9],
          [13, 18, 0.9],
        ],
      });
      expect(
        containing(groupDuplicates({ edges: bridged, threshold: 0.85, decisions: [d] }), 10)!
          .members,
      ).toEqual([10, 11, 12, 13, 18]);
    });

    it('resolved groups stay hidden when a removed copy is restored', () => {
      const d: DuplicateDecision = { kind: 'resolved', hashes: ['a', 'b'], kept: ['a'] };
      expect(
        groupDuplicates({ edges, threshold: 0.92, decisions: [d] }).map((g) => g.members),
      ).toEqual([[15, 16]]);
    });
  });

  it('matches connected components of all cached edges >= T on random graphs', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const n = 300;
    const ids = Array.from({ length: n }, (_, i) => i * 3 + 1);
    const hashes = ids.map((_, i) => (i % 37 === 0 ? 'dup' : `h${i}`));
    const pairs: Pair[] = [];
    for (let e = 0; e < 500; e++) {
      const a = Math.floor(rnd() * n);
      const b = Math.floor(rnd() * n);
      if (a !== b) pairs.push([ids[a]!, ids[b]!, 0.8 + 0.2 * rnd()]);
    }
    const e = buildDuplicateEdges({ ids, contentHashes: hashes }, knnFromPairs(ids, pairs, 8));
    for (const threshold of [0.82, 0.9, 0.97]) {
      // Reference: flood fill over the cached edges (and equal hashes), written independently.
      const adj = new Map<number, number[]>(ids.map((id) => [id, []]));
      for (let i = 0; i < e.similarities.length; i++) {
        if (e.similarities[i]! < Math.fround(threshold)) continue;
        const a = e.ids[e.from[i]!]!;
        const b = e.ids[e.to[i]!]!;
        adj.get(a)!.push(b);
        adj.get(b)!.push(a);
      }
      const dupIds = ids.filter((_, i) => hashes[i] === 'dup');
      for (const a of dupIds) for (const b of dupIds) if (a !== b) adj.get(a)!.push(b);
      const seen = new Set<number>();
      const expected: number[][] = [];
      for (const id of ids) {
        if (seen.has(id)) continue;
        const comp: number[] = [];
        const stack = [id];
        seen.add(id);
        while (stack.length) {
          const x = stack.pop()!;
          comp.push(x);
          for (const y of adj.get(x)!) {
            if (seen.has(y)) continue;
            seen.add(y);
            stack.push(y);
          }
        }
        if (comp.length > 1) expected.push(comp.sort((x, y) => x - y));
      }
      const got = groupDuplicates({ edges: e, threshold }).map((g) => g.members);
      const key = (gs: number[][]) => gs.map((g) => g.join(',')).sort();
      expect(key(got)).toEqual(key(expected));
    }
  });
});

describe('similarityHistogram', () => {
  it('counts cached pairs per bin over [floor, 1]', () => {
    const h = similarityHistogram(library(), 4);
    expect(h.min).toBe(0.8);
    expect(h.max).toBe(1);
    // 0.82 0.84 | - | 0.91 0.93 | 0.96 1.00
    expect([...h.counts]).toEqual([2, 0, 2, 2]);
    expect(() => similarityHistogram(library(), 0)).toThrow(RangeError);
  });
});
