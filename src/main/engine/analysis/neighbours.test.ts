import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDuplicateEdges, groupDuplicates } from './duplicates.ts';
import { mulberry32 } from '../../../shared/seeded-random.ts';
import { NeighbourGraph, dotTile, type EmbeddingSet } from './neighbours.ts';

function normalise(v: Float32Array, dim: number): Float32Array {
  for (let i = 0; i < v.length; i += dim) {
    let q = 0;
    for (let d = 0; d < dim; d++) q += v[i + d]! ** 2;
    const inv = 1 / Math.sqrt(q);
    for (let d = 0; d < dim; d++) v[i + d]! *= inv;
  }
  return v;
}

/** Points around a few centres in `dim` dimensions: structured like real embeddings. */
function clustered(n: number, dim: number, seed: number, firstId = 1): EmbeddingSet {
  const r = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: dim }, g));
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    for (let d = 0; d < dim; d++) v[i * dim + d] = c[d]! + 0.8 * g();
  }
  return { ids: Array.from({ length: n }, (_, i) => firstId + i), vectors: normalise(v, dim), dim };
}

/** Reference k nearest neighbours by plain loops, written independently of the tiled kernel. */
function naive(set: EmbeddingSet, k: number): Map<number, { id: number; s: number }[]> {
  const n = set.ids.length;
  const out = new Map<number, { id: number; s: number }[]>();
  for (let i = 0; i < n; i++) {
    // Insertion into a short sorted list: a plain top-k selection, no tiles, no shared helpers.
    const top: { id: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let s = 0;
      for (let d = 0; d < set.dim; d++)
        s += set.vectors[i * set.dim + d]! * set.vectors[j * set.dim + d]!;
      if (top.length === k && s <= top[k - 1]!.s) continue;
      let p = top.findIndex((t) => t.s < s);
      if (p < 0) p = top.length;
      top.splice(p, 0, { id: set.ids[j]!, s });
      if (top.length > k) top.pop();
    }
    out.set(set.ids[i]!, top);
  }
  return out;
}

function recall(g: NeighbourGraph, truth: Map<number, { id: number; s: number }[]>): number {
  let hit = 0;
  let total = 0;
  for (const [id, list] of truth) {
    const got = new Set(g.neighbours(id).map((x) => x.id));
    for (const t of list) if (got.has(t.id)) hit++;
    total += list.length;
  }
  return hit / total;
}

function subset(set: EmbeddingSet, keep: (id: number) => boolean): EmbeddingSet {
  const ids: number[] = [];
  const parts: Float32Array[] = [];
  set.ids.forEach((id, i) => {
    if (!keep(id)) return;
    ids.push(id);
    parts.push(set.vectors.subarray(i * set.dim, (i + 1) * set.dim));
  });
  const vectors = new Float32Array(ids.length * set.dim);
  parts.forEach((p, i) => vectors.set(p, i * set.dim));
  return { ids, vectors, dim: set.dim };
}

const tmp = mkdtempSync(join(tmpdir(), 'shoebox-neighbours-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dotTile', () => {
  it('computes every dot product of a tile, odd sizes included', () => {
    const r = mulberry32(3);
    const dim = 7;
    const A = Float32Array.from({ length: 5 * dim }, () => r() - 0.5);
    const B = Float32Array.from({ length: 9 * dim }, () => r() - 0.5);
    const out = new Float32Array(3 * 5);
    dotTile(A, 1, 4, B, 3, 8, dim, out);
    for (let i = 1; i < 4; i++) {
      for (let j = 3; j < 8; j++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += A[i * dim + d]! * B[j * dim + d]!;
        expect(out[(i - 1) * 5 + (j - 3)]).toBeCloseTo(s, 5);
      }
    }
  });
});

describe('NeighbourGraph (exact)', () => {
  const set = clustered(301, 24, 1);
  const k = 6;
  const truth = naive(set, k);

  it('matches brute force exactly, similarities included', () => {
    const g = NeighbourGraph.build(set, { k });
    expect(g.method).toBe('exact');
    expect(g.size).toBe(301);
    for (const [id, list] of truth) {
      const got = g.neighbours(id);
      expect(got.map((x) => x.id)).toEqual(list.map((x) => x.id));
      got.forEach((x, j) => expect(x.similarity).toBeCloseTo(list[j]!.s, 5));
    }
  });

  it('adds photos incrementally to the same lists as a full build', () => {
    const g = NeighbourGraph.build(
      subset(set, (id) => id <= 250),
      { k },
    );
    const rest = subset(set, (id) => id > 250);
    g.add(rest.ids[0]!, rest.vectors.subarray(0, set.dim));
    g.addMany(subset(rest, (id) => id !== rest.ids[0]));
    expect(recall(g, truth)).toBe(1);
  });

  it('removes photos and refills the lists that held them', () => {
    const g = NeighbourGraph.build(set, { k });
    const gone = (id: number) => id % 7 === 0;
    g.removeMany(set.ids.filter(gone));
    g.remove(5);
    g.remove(123456); // unknown ids are ignored
    const left = subset(set, (id) => !gone(id) && id !== 5);
    expect(g.size).toBe(left.ids.length);
    expect(g.has(7)).toBe(false);
    expect(recall(g, naive(left, k))).toBe(1);
  });

  it('replaces the vector of a photo added again', () => {
    const g = NeighbourGraph.build(set, { k });
    // Photo 1 becomes a copy of photo 200: they must now be each other's nearest.
    g.add(1, set.vectors.slice(199 * set.dim, 200 * set.dim));
    expect(g.neighbours(1)[0]!.id).toBe(200);
    expect(g.neighbours(200)[0]).toEqual({ id: 1, similarity: expect.closeTo(1, 5) });
    expect(g.size).toBe(301);
  });

  it('rejects ids that cannot be stored and vectors of the wrong size', () => {
    const v = new Float32Array(24).fill(1 / Math.sqrt(24));
    expect(() => NeighbourGraph.build({ ids: [-1], vectors: v, dim: 24 })).toThrow(RangeError);
    expect(() => NeighbourGraph.build({ ids: [1, 2], vectors: v, dim: 24 })).toThrow(RangeError);
    expect(() => NeighbourGraph.build({ ids: [3], vectors: v, dim: 24 }, { k: 0 })).toThrow(
      RangeError,
    );
  });

  it('answers exact queries for vectors outside the library', () => {
    const g = NeighbourGraph.build(set, { k });
    const q = set.vectors.slice(10 * set.dim, 11 * set.dim);
    const res = g.query(q, 3);
    expect(res[0]!.id).toBe(11);
    expect(res.slice(1).map((x) => x.id)).toEqual(
      truth
        .get(11)!
        .slice(0, 2)
        .map((x) => x.id),
    );
  });

  it('round-trips through serialise/deserialise without recomputing', () => {
    const g = NeighbourGraph.build(set, { k });
    const data = g.serialise();
    expect(data.ids).toBeInstanceOf(Int32Array);
    expect(data.neighbourIds.length).toBe(301 * k);
    // Feed the embeddings in a different order: rows follow the serialised ids.
    const shuffled = subset(set, () => true);
    shuffled.ids = [...shuffled.ids].reverse();
    shuffled.vectors = new Float32Array(set.vectors.length);
    shuffled.ids.forEach((id, i) =>
      shuffled.vectors.set(set.vectors.subarray((id - 1) * set.dim, id * set.dim), i * set.dim),
    );
    const h = NeighbourGraph.deserialise(data, shuffled);
    expect(h.serialise()).toEqual(data);
    // And it stays live: a further add gives the same result on both.
    const extra = clustered(1, 24, 99, 5000);
    g.addMany(extra);
    h.addMany(extra);
    expect(h.neighbours(5000)).toEqual(g.neighbours(5000));
    expect(() =>
      NeighbourGraph.deserialise(
        data,
        subset(set, (id) => id > 1),
      ),
    ).toThrow();
  });
});

describe('NeighbourGraph (ANN)', () => {
  const set = clustered(1000, 32, 2);
  const k = 8;
  const truth = naive(set, k);

  it('uses HNSW above the exact limit with high recall on structured data', () => {
    const g = NeighbourGraph.build(set, { k, exactLimit: 100 });
    expect(g.method).toBe('ann');
    expect(g.hasIndex).toBe(true);
    expect(recall(g, truth)).toBeGreaterThan(0.95);
  });

  it('keeps recall through incremental adds and removes done with the index', () => {
    const g = NeighbourGraph.build(
      subset(set, (id) => id <= 850),
      {
        k,
        exactLimit: 100,
        bruteForceBudget: 0,
      },
    );
    g.addMany(subset(set, (id) => id > 850));
    g.removeMany(set.ids.filter((id) => id % 10 === 0));
    const left = subset(set, (id) => id % 10 !== 0);
    for (const id of left.ids) {
      expect(g.neighbours(id).some((x) => x.id % 10 === 0)).toBe(false);
    }
    expect(recall(g, naive(left, k))).toBeGreaterThan(0.93);
  });

  it('refills lists from neighbours of neighbours when removing without an index', () => {
    const built = NeighbourGraph.build(set, { k, exactLimit: 100 });
    const options = { k, exactLimit: 100, bruteForceBudget: 0 };
    const g = NeighbourGraph.deserialise(built.serialise(), set, options);
    expect(g.hasIndex).toBe(false);
    g.removeMany(set.ids.filter((id) => id % 10 === 0));
    // Removals never build the index: a removed photo may sit in many lists.
    expect(g.hasIndex).toBe(false);
    const left = subset(set, (id) => id % 10 !== 0);
    for (const id of left.ids) {
      expect(g.neighbours(id)).toHaveLength(k);
      expect(g.neighbours(id).some((x) => x.id % 10 === 0)).toBe(false);
    }
    expect(recall(g, naive(left, k))).toBeGreaterThan(0.93);
  });

  it('builds the index for a large batch of new photos, not for a small one', () => {
    const base = subset(set, (id) => id <= 900);
    const options = { k, exactLimit: 100, bruteForceBudget: 0, indexBuildThreshold: 20 };
    const g = NeighbourGraph.deserialise(
      NeighbourGraph.build(base, options).serialise(),
      base,
      options,
    );
    g.addMany(subset(set, (id) => id > 900 && id <= 910));
    expect(g.hasIndex).toBe(false);
    g.addMany(subset(set, (id) => id > 910));
    expect(g.hasIndex).toBe(true);
    expect(recall(g, truth)).toBeGreaterThan(0.95);
  });

  it('saves the index beside the lists and reloads it only if it still matches', () => {
    const g = NeighbourGraph.build(set, { k, exactLimit: 100 });
    const path = join(tmp, 'graph.usearch');
    expect(g.saveIndex(path)).toBe(true);
    const reopened = NeighbourGraph.deserialise(g.serialise(), set, { indexPath: path });
    expect(reopened.hasIndex).toBe(true);
    // Lists and index of different photos: the stale index is ignored, the lists still load.
    const smaller = NeighbourGraph.build(
      subset(set, (id) => id <= 900),
      { k, exactLimit: 100 },
    );
    const stale = NeighbourGraph.deserialise(
      smaller.serialise(),
      subset(set, (id) => id <= 900),
      {
        indexPath: path,
      },
    );
    expect(stale.hasIndex).toBe(false);
    expect(stale.neighbours(3)).toEqual(smaller.neighbours(3));
    // Without an index, a small change is answered exactly by brute force, no rebuild.
    stale.add(9999, set.vectors.slice(0, set.dim));
    expect(stale.hasIndex).toBe(false);
    expect(stale.neighbours(9999)[0]!.id).toBe(1);
  });
});

describe('neighbour graph into duplicate groups', () => {
  it('groups a burst of more photos than k as one group', () => {
    const dim = 32;
    const r = mulberry32(5);
    const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const base = Float32Array.from({ length: dim }, g);
    const n = 60;
    const v = new Float32Array(n * dim);
    // 40 shots of one scene (cosine ~0.97 to each other) and 20 unrelated photos.
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) v[i * dim + d] = i < 40 ? base[d]! + 0.15 * g() : g();
    }
    const set = { ids: Array.from({ length: n }, (_, i) => i), vectors: normalise(v, dim), dim };
    const graph = NeighbourGraph.build(set, { k: 4 });
    const edges = buildDuplicateEdges(
      { ids: set.ids, contentHashes: set.ids.map((i) => `h${i}`) },
      graph.serialise(),
    );
    const groups = groupDuplicates({ edges, threshold: 0.9 });
    expect(groups.map((x) => x.members)).toEqual([Array.from({ length: 40 }, (_, i) => i)]);
  });
});
