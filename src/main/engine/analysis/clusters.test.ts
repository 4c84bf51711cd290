import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  daviesBouldin,
  mulberry32,
  plantedEmbeddings,
  silhouetteFromMatrix,
  silhouetteFromVectors,
} from './cluster-scores.ts';
import {
  assignStableIds,
  clusterEmbeddings,
  fasterPam,
  hungarian,
  kMedoidsPlusPlus,
} from './clusters.ts';

/** Distance matrix of points on a line: |x_i - x_j|. */
function lineMatrix(xs: number[]): Float32Array {
  const n = xs.length;
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = Math.abs(xs[i]! - xs[j]!);
  return m;
}

function costOf(m: Float32Array, n: number, medoids: number[]): number {
  let cost = 0;
  for (let o = 0; o < n; o++) cost += Math.min(...medoids.map((c) => m[o * n + c]!));
  return cost;
}

const planted = plantedEmbeddings;

function labelsOf(result: ReturnType<typeof clusterEmbeddings>, ids: Int32Array): Int32Array {
  const row = new Map<number, number>();
  ids.forEach((id, i) => row.set(id, i));
  const labels = new Int32Array(ids.length).fill(-1);
  for (const c of result.clusters) for (const id of c.memberIds) labels[row.get(id)!] = c.id;
  return labels;
}

describe('silhouette', () => {
  // d01=1 d02=4 d03=5 d12=3 d13=4 d23=1 (worked by hand in the comments below)
  const m = new Float32Array([0, 1, 4, 5, 1, 0, 3, 4, 4, 3, 0, 1, 5, 4, 1, 0]);

  it('matches a hand-computed two-cluster case', () => {
    // s0 = (4.5-1)/4.5, s1 = (3.5-1)/3.5, s2 = (3.5-1)/3.5, s3 = (4.5-1)/4.5
    const expected = (2 * (3.5 / 4.5) + 2 * (2.5 / 3.5)) / 4;
    expect(silhouetteFromMatrix(m, 4, Int32Array.of(0, 0, 1, 1), 2)).toBeCloseTo(expected, 6);
  });

  it('scores a singleton 0 and a misplaced point negatively', () => {
    // {0,1,2} vs {3}: s0 = (5-2.5)/5, s1 = (4-2)/4, s2 = (1-3.5)/3.5, s3 = 0
    const expected = (0.5 + 0.5 - 2.5 / 3.5 + 0) / 4;
    expect(silhouetteFromMatrix(m, 4, Int32Array.of(0, 0, 0, 1), 2)).toBeCloseTo(expected, 6);
  });

  it('agrees between vectors and matrix on cosine distance', () => {
    // Unit vectors at 0, 10, 80, 90 degrees: cosine distances 1 - cos(angle difference).
    const deg = [0, 10, 80, 90].map((a) => (a * Math.PI) / 180);
    const v = new Float32Array(deg.flatMap((a) => [Math.cos(a), Math.sin(a)]));
    const d = (x: number, y: number) => 1 - Math.cos(deg[x]! - deg[y]!);
    const s0 = ((d(0, 2) + d(0, 3)) / 2 - d(0, 1)) / ((d(0, 2) + d(0, 3)) / 2);
    const s1 = ((d(1, 2) + d(1, 3)) / 2 - d(0, 1)) / ((d(1, 2) + d(1, 3)) / 2);
    // By symmetry s2 = s1 and s3 = s0.
    expect(silhouetteFromVectors(v, 2, Int32Array.of(0, 0, 1, 1), 2)).toBeCloseTo((s0 + s1) / 2, 5);
  });
});

describe('Davies-Bouldin and ARI', () => {
  it('matches hand-computed values', () => {
    // Scatter 1 and 2, medoids 10 apart (k=2): both ratios (1+2)/10.
    expect(daviesBouldin(new Float32Array([0, 10, 10, 0]), Float64Array.of(1, 2), 2)).toBeCloseTo(
      0.3,
      9,
    );
    expect(adjustedRandIndex(Int32Array.of(0, 0, 1, 1), Int32Array.of(5, 5, 7, 7))).toBe(1);
    // Contingency [[1,1],[0,2]]: index 1, rows 1+1, cols 0+3 -> (1 - 2*3/6) / (2.5 - 1) = 0.
    expect(adjustedRandIndex(Int32Array.of(0, 0, 1, 1), Int32Array.of(0, 1, 1, 1))).toBeCloseTo(
      0,
      9,
    );
  });
});

describe('k-medoids', () => {
  it('swaps from a bad start to the hand-computed optimum', () => {
    const xs = [0, 1, 2, 10, 11, 12];
    const m = lineMatrix(xs);
    const res = fasterPam(m, 6, Int32Array.of(0, 1));
    expect([...res.medoids].sort((a, b) => a - b)).toEqual([1, 4]);
    expect(res.cost).toBeCloseTo(4, 6);
    expect([...res.labels]).toEqual(
      xs.map((_, i) => (i < 3 ? res.medoids.indexOf(1) : res.medoids.indexOf(4))),
    );
  });

  it('ends at a swap-local optimum that matches brute force on small random sets', () => {
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 12;
      const k = 3;
      const xs = Array.from({ length: n }, () => Math.floor(rnd() * 100));
      const m = lineMatrix(xs);
      const res = fasterPam(m, n, kMedoidsPlusPlus(m, n, k, rnd));
      const med = [...res.medoids];
      expect(res.cost).toBeCloseTo(costOf(m, n, med), 4);
      // No single swap improves it (the PAM stopping condition).
      for (let s = 0; s < k; s++) {
        for (let x = 0; x < n; x++) {
          if (med.includes(x)) continue;
          const alt = med.slice();
          alt[s] = x;
          expect(costOf(m, n, alt)).toBeGreaterThanOrEqual(res.cost - 1e-6);
        }
      }
    }
  });

  it('k-medoids++ is deterministic under a seed and picks distinct medoids', () => {
    const m = lineMatrix([0, 1, 2, 10, 11, 12, 30, 31]);
    const a = kMedoidsPlusPlus(m, 8, 3, mulberry32(3));
    const b = kMedoidsPlusPlus(m, 8, 3, mulberry32(3));
    expect([...a]).toEqual([...b]);
    expect(new Set(a).size).toBe(3);
  });

  it('hungarian finds the minimum-cost matching', () => {
    // Hand check: 0->1 (1), 1->0 (2), 2->2 (2) = 5 beats every other permutation.
    const match = hungarian(Float64Array.of(4, 1, 3, 2, 0, 5, 3, 2, 2), 3, 3);
    expect([...match]).toEqual([1, 0, 2]);
    // Rectangular: two rows, three columns.
    expect([...hungarian(Float64Array.of(5, 1, 9, 1, 5, 9), 2, 3)]).toEqual([1, 0]);
  });
});

describe('clusterEmbeddings', () => {
  it('recovers planted clusters with auto k and sorts members by distance', () => {
    const data = planted(400, 5, 32, 0.6, 11);
    const res = clusterEmbeddings(data, { seed: 2 });
    expect(res.k).toBe(5);
    expect(res.method).toContain('FasterPAM on all 400');
    expect(res.scores.silhouette.map((s) => s.k)).toEqual(
      Array.from({ length: 19 }, (_, i) => i + 2),
    );
    expect(res.scores.elbow).toHaveLength(19);
    expect(adjustedRandIndex(labelsOf(res, data.ids), data.truth)).toBeGreaterThan(0.99);
    let total = 0;
    for (const c of res.clusters) {
      total += c.size;
      expect(c.memberIds[0]).toBe(c.medoidId);
      for (let i = 1; i < c.size; i++)
        expect(c.distances[i]!).toBeGreaterThanOrEqual(c.distances[i - 1]!);
    }
    expect(total).toBe(400);
    // Davies-Bouldin is lowest at the planted k, and the elbow curve bends there: the cost
    // drops much more from 4 to 5 clusters than from 5 to 6.
    const db = res.scores.daviesBouldin;
    expect(db.reduce((a, b) => (b.value < a.value ? b : a)).k).toBe(5);
    const cost = (k: number) => res.scores.elbow.find((e) => e.k === k)!.cost;
    expect(cost(4) - cost(5)).toBeGreaterThan(5 * (cost(5) - cost(6)));
  });

  it('uses CLARA sampling above maxPamSize and still recovers the clusters', () => {
    const data = planted(1200, 4, 24, 0.6, 5);
    const res = clusterEmbeddings(data, { maxPamSize: 300, sampleSize: 250, kMax: 8 });
    expect(res.method).toContain('CLARA');
    expect(res.k).toBe(4);
    expect(adjustedRandIndex(labelsOf(res, data.ids), data.truth)).toBeGreaterThan(0.99);
  });

  it('honours a fixed k', () => {
    const data = planted(300, 5, 16, 0.6, 9);
    const res = clusterEmbeddings(data, { k: 3, scoreRange: false });
    expect(res.k).toBe(3);
    expect(res.clusters).toHaveLength(3);
    expect(res.scores.silhouette).toHaveLength(0);
    expect(() => clusterEmbeddings(data, { k: 0 })).toThrow();
  });

  it('handles tiny sets and a fixed k larger than the CLARA sample', () => {
    // Three unit vectors at 0, 10 and 20 degrees: the middle one is the 1-medoid.
    const deg = [0, 10, 20].map((a) => (a * Math.PI) / 180);
    const three = {
      ids: Int32Array.of(7, 8, 9),
      vectors: new Float32Array(deg.flatMap((a) => [Math.cos(a), Math.sin(a)])),
      dim: 2,
    };
    const res = clusterEmbeddings(three);
    expect(res.k).toBe(1);
    expect(res.clusters[0]!.medoidId).toBe(8);
    // Medoid first, then the two others (equally far, so in row order).
    expect(Array.from(res.clusters[0]!.memberIds)).toEqual([8, 7, 9]);
    expect(
      clusterEmbeddings({ ids: Int32Array.of(1), vectors: Float32Array.of(1, 0), dim: 2 }).k,
    ).toBe(1);
    expect(
      clusterEmbeddings({ ids: new Int32Array(0), vectors: new Float32Array(0), dim: 2 }).k,
    ).toBe(0);

    const many = planted(600, 5, 16, 0.6, 3);
    const big = clusterEmbeddings(many, {
      k: 100,
      maxPamSize: 200,
      sampleSize: 150,
      scoreRange: false,
    });
    expect(big.clusters).toHaveLength(100);
    expect(big.clusters.reduce((t, c) => t + c.size, 0)).toBe(600);
    for (const c of big.clusters) expect(c.size).toBeGreaterThan(0);
  });

  it('keeps cluster ids when a few photos are added', () => {
    const base = planted(600, 6, 32, 0.7, 21);
    const first = clusterEmbeddings(base, { k: 6, seed: 1 });
    const firstLabels = labelsOf(first, base.ids);
    // Same generator with 20 more photos: the first 600 are identical, then 20 new ones.
    const grown = planted(620, 6, 32, 0.7, 21);
    grown.ids[600 + 0] = 5000; // new ids are new photos
    for (let i = 601; i < 620; i++) grown.ids[i] = 5000 + i;
    const previous = first.clusters.map((c) => ({ id: c.id, medoidId: c.medoidId }));
    // A different seed reorders k-medoids++ slots; the ids must not care.
    const second = clusterEmbeddings(grown, { k: 6, seed: 99, previous });
    const secondLabels = labelsOf(second, grown.ids);
    for (let i = 0; i < 600; i++) expect(secondLabels[i]).toBe(firstLabels[i]);
    // Without `previous` the slot order of a different seed gives different ids.
    const fresh = labelsOf(clusterEmbeddings(grown, { k: 6, seed: 99 }), grown.ids);
    expect(Array.from({ length: 600 }, (_, i) => fresh[i] === firstLabels[i]).every(Boolean)).toBe(
      false,
    );
  });

  it('retires the id of a cluster whose medoid photo is gone', () => {
    const data = planted(90, 3, 8, 0.3, 4);
    const first = clusterEmbeddings(data, { k: 3 });
    const medoidRows = Int32Array.from(first.clusters, (c) => data.ids.indexOf(c.medoidId));
    const labels = new Int32Array(90);
    first.clusters.forEach((c, slot) => {
      for (const id of c.memberIds) labels[data.ids.indexOf(id)] = slot;
    });
    const previous = first.clusters.map((c, i) => ({
      id: c.id + 10,
      medoidId: i === 0 ? -1 : c.medoidId, // cluster 0's medoid photo was deleted
    }));
    const ids = assignStableIds(data, medoidRows, labels, previous);
    expect(ids[1]).toBe(first.clusters[1]!.id + 10);
    expect(ids[2]).toBe(first.clusters[2]!.id + 10);
    expect(ids[0]).toBe(Math.max(...previous.map((p) => p.id)) + 1);
  });
});
