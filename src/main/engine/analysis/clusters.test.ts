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
  chooseK,
  clusterEmbeddings,
  fasterPam,
  hungarian,
  kMedoidsPlusPlus,
  type KCandidate,
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
    const data = planted(1200, 6, 24, 0.6, 5);
    const res = clusterEmbeddings(data, { maxPamSize: 300, sampleSize: 250, kMax: 9 });
    expect(res.method).toContain('CLARA');
    expect(res.k).toBe(6);
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

/**
 * A varied library in miniature: two broad families of pictures (55 % and 45 % of the rows),
 * each made of several looser groups (7 and 6). Row i's group is its `truth`.
 */
function nestedEmbeddings(n: number, dim: number, seed: number) {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const families = [0, 1].map(() => Array.from({ length: dim }, gauss));
  const groups: { family: number; centre: number[] }[] = [];
  for (const [family, count] of [7, 6].entries()) {
    for (let j = 0; j < count; j++)
      groups.push({ family, centre: families[family]!.map((v) => v + 0.7 * gauss()) });
  }
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const family = i < n * 0.55 ? 0 : 1;
    const own = groups.flatMap((g, j) => (g.family === family ? [j] : []));
    const group = own[i % own.length]!;
    truth[i] = group;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = groups[group]!.centre[d]! + 0.6 * gauss();
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) vectors[i * dim + d]! /= Math.sqrt(norm);
  }
  return { ids: Int32Array.from({ length: n }, (_, i) => 1 + i), vectors, dim, truth };
}

const largestShare = (res: ReturnType<typeof clusterEmbeddings>, n: number) =>
  Math.max(...res.clusters.map((c) => c.size)) / n;

describe('choosing k', () => {
  const curve = (points: [number, number, number][]): KCandidate[] =>
    points.map(([k, silhouette, largestShare]) => ({ k, silhouette, largestShare }));

  it('keeps a small k only when it separates the photos clearly', () => {
    const strong = curve([
      [2, 0.6, 0.6],
      [3, 0.9, 0.34],
      [5, 0.4, 0.3],
      [6, 0.35, 0.3],
    ]);
    expect(chooseK(strong)).toMatchObject({ k: 3, rule: 'strong-small' });
    // A weak peak at 2 (the wallpapers' case) gives way to the floor.
    const weak = curve([
      [2, 0.25, 0.55],
      [3, 0.2, 0.4],
      [5, 0.18, 0.3],
      [8, 0.21, 0.2],
    ]);
    expect(chooseK(weak)).toMatchObject({ k: 8, rule: 'browsable' });
    // Strong but barely above the best k at or over the floor: not clearly fewer groups.
    const close = curve([
      [2, 0.54, 0.55],
      [5, 0.2, 0.3],
      [13, 0.48, 0.08],
    ]);
    expect(chooseK(close)).toMatchObject({ k: 13, rule: 'browsable' });
  });

  it('passes over a k that leaves a giant cluster, and says so when every k does', () => {
    const giant = curve([
      [5, 0.3, 0.5],
      [6, 0.25, 0.38],
      [7, 0.2, 0.3],
    ]);
    expect(chooseK(giant)).toMatchObject({ k: 6, rule: 'browsable' });
    const allGiant = curve([
      [5, 0.3, 0.6],
      [6, 0.25, 0.45],
      [7, 0.2, 0.5],
    ]);
    expect(chooseK(allGiant)).toMatchObject({ k: 6, rule: 'smallest-largest' });
    expect(chooseK(curve([[2, 0.3, 0.6]]))).toMatchObject({ k: 2, rule: 'too-few' });
    expect(() => chooseK([])).toThrow();
  });
});

describe('automatic k on varied and on clearly grouped photos', () => {
  it('gives three tight blobs three clusters', () => {
    const data = planted(300, 3, 32, 0.1, 7);
    const res = clusterEmbeddings(data);
    expect(res.k).toBe(3);
    expect(res.reason).toMatch(/^k = 3: the photos fall into 3 clearly separate groups/);
    expect(adjustedRandIndex(labelsOf(res, data.ids), data.truth)).toBe(1);
  });

  it('gives a varied library at least 5 clusters, none over 40 %', () => {
    const data = nestedEmbeddings(250, 64, 3);
    const res = clusterEmbeddings(data);
    expect(res.k).toBeGreaterThanOrEqual(5);
    expect(res.k).toBeLessThanOrEqual(Math.floor(Math.sqrt(250)));
    expect(largestShare(res, 250)).toBeLessThanOrEqual(0.4);
    expect(res.reason).toMatch(/^k = \d+: best separation \(silhouette 0\.\d\d\) between 5 and 15/);
    expect(adjustedRandIndex(labelsOf(res, data.ids), data.truth)).toBeGreaterThan(0.9);
    // Plain best silhouette (no floor, no size limit) splits the two families: k = 2, 55 %.
    const plain = clusterEmbeddings(data, { kFloor: 2, maxShare: 1 });
    expect(plain.k).toBe(2);
    expect(largestShare(plain, 250)).toBeCloseTo(0.55, 2);
  });

  it('splits a broad group that would hold most of the photos', () => {
    // Half the photos spread thinly around one centre, the rest in 6 tight groups: the best
    // silhouette keeps the broad half whole; the size limit splits it.
    const broad = planted(150, 1, 48, 1.2, 31);
    const tight = planted(150, 6, 48, 0.3, 32);
    const data = {
      ids: Int32Array.from({ length: 300 }, (_, i) => 1 + i),
      vectors: new Float32Array([...broad.vectors, ...tight.vectors]),
      dim: 48,
    };
    const plain = clusterEmbeddings(data, { maxShare: 1 });
    expect(largestShare(plain, 300)).toBeGreaterThan(0.4);
    const res = clusterEmbeddings(data);
    expect(res.k).toBeGreaterThanOrEqual(5);
    expect(largestShare(res, 300)).toBeLessThanOrEqual(0.4);
  });

  it('never splits a near-duplicate group, and a medoid is one of its photos', () => {
    const data = planted(240, 6, 32, 0.6, 13);
    const groups = new Int32Array(240).fill(-1);
    // Ordinary groups of near-copies (rows of one planted cluster), and two groups that
    // straddle planted clusters, the hardest case: their members' nearest medoids differ.
    for (let g = 0; g < 20; g++) for (const r of [g, g + 6, g + 12]) groups[r] = g;
    for (const r of [200, 201, 202]) groups[r] = 100;
    for (const r of [203, 210, 221]) groups[r] = 101;
    const res = clusterEmbeddings(data, { duplicateGroups: groups });
    const labels = labelsOf(res, data.ids);
    const clusterOfGroup = new Map<number, number>();
    for (let r = 0; r < 240; r++) {
      const g = groups[r]!;
      if (g < 0) continue;
      if (!clusterOfGroup.has(g)) clusterOfGroup.set(g, labels[r]!);
      expect(labels[r], `row ${r} of group ${g}`).toBe(clusterOfGroup.get(g));
    }
    expect(res.method).toContain('near-duplicate groups kept whole');
    const byId = new Map(Array.from(data.ids, (id, r) => [id, r]));
    let total = 0;
    for (const c of res.clusters) {
      total += c.size;
      expect(c.memberIds[0]).toBe(c.medoidId);
      const medoidRow = byId.get(c.medoidId)!;
      // Every distance is the member's real cosine distance to its own cluster's medoid.
      for (let i = 0; i < c.size; i++) {
        const row = byId.get(c.memberIds[i]!)!;
        let dot = 0;
        for (let d = 0; d < 32; d++)
          dot += data.vectors[row * 32 + d]! * data.vectors[medoidRow * 32 + d]!;
        expect(c.distances[i]!).toBeCloseTo(Math.max(0, 1 - dot), 4);
      }
    }
    expect(total).toBe(240);
    // Without the groups, the straddling ones are split: the test can fail.
    const free = labelsOf(clusterEmbeddings(data), data.ids);
    expect(new Set([203, 210, 221].map((r) => free[r])).size).toBeGreaterThan(1);
    expect(() => clusterEmbeddings(data, { duplicateGroups: new Int32Array(3) })).toThrow();
  });

  it('says why for a fixed k and for too few photos', () => {
    const data = planted(120, 4, 16, 0.5, 2);
    expect(clusterEmbeddings(data, { k: 8 }).reason).toMatch(/^k = 8, as chosen; the largest/);
    const three = planted(3, 1, 4, 0.1, 2);
    expect(clusterEmbeddings(three).reason).toBe('One group: too few photos to compare groups.');
  });
});

/** Rows `rows` of a distance matrix of size n, as a matrix of their own. */
function subMatrix(m: Float32Array, n: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * rows.length);
  rows.forEach((a, i) => rows.forEach((b, j) => (out[i * rows.length + j] = m[a * n + b]!)));
  return out;
}

describe('near-duplicate groups weigh as many photos as they hold', () => {
  // A line: a loose group at 0..4 whose photo at 4 has 9 exact copies (10 photos in all), and
  // a far group at 20..22. Expanded, the copies are rows 6..14; weighted, row 4 weighs 10.
  const xs = [0, 1, 2, 3, 4, 20, ...Array.from({ length: 9 }, () => 4), 21, 22];
  const expanded = lineMatrix(xs);
  const distinct = [0, 1, 2, 3, 4, 5, 15, 16];
  const matrix = subMatrix(expanded, xs.length, distinct);
  const weights = Float64Array.from(distinct, (r) => (r === 4 ? 10 : 1));

  it('scores the same silhouette as every photo would', () => {
    const labels = Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1);
    const expandedLabels = Int32Array.from(xs, (x) => (x < 10 ? 0 : 1));
    const all = silhouetteFromMatrix(expanded, xs.length, expandedLabels, 2);
    expect(silhouetteFromMatrix(matrix, 8, labels, 2, weights)).toBeCloseTo(all, 6);
    // Counted once, the loose end of the group weighs as much as its heavy end.
    expect(Math.abs(silhouetteFromMatrix(matrix, 8, labels, 2) - all)).toBeGreaterThan(0.01);
  });

  it('moves the medoid to the heavy group, as PAM on every photo does', () => {
    const start = Int32Array.of(0, 5);
    const once = fasterPam(matrix, 8, start);
    expect([...once.medoids].sort((a, b) => a - b)).toEqual([2, 6]);
    const weighted = fasterPam(matrix, 8, start, 50, weights);
    expect([...weighted.medoids].sort((a, b) => a - b)).toEqual([4, 6]);
    // Every photo: the medoid sits on the copies (x = 4), at the same total cost.
    const all = fasterPam(expanded, xs.length, Int32Array.of(0, 5));
    expect(Math.min(...Array.from(all.medoids, (r) => Math.abs(xs[r]! - 4)))).toBe(0);
    expect(weighted.cost).toBeCloseTo(all.cost, 6);
    expect(weighted.cost).toBeCloseTo(4 + 3 + 2 + 1 + 1 + 1, 6);
  });

  it('chooses the k and the medoids that clustering every photo chooses', () => {
    // 8 planted clusters of 25 photos, and 100 exact copies of the first photo.
    const dim = 16;
    const base = planted(200, 8, dim, 0.7, 5);
    const n = 300;
    const vectors = new Float32Array(n * dim);
    vectors.set(base.vectors);
    for (let r = 200; r < n; r++) vectors.set(base.vectors.subarray(0, dim), r * dim);
    const ids = Int32Array.from({ length: n }, (_, i) => 1 + i);
    const groups = Int32Array.from({ length: n }, (_, r) => (r === 0 || r >= 200 ? 0 : -1));
    const every = clusterEmbeddings({ ids, vectors, dim });
    const grouped = clusterEmbeddings({ ids, vectors, dim }, { duplicateGroups: groups });
    expect(grouped.k).toBe(every.k);
    const silhouetteAt = (res: typeof every) =>
      res.scores.silhouette.find((s) => s.k === res.k)!.value;
    expect(silhouetteAt(grouped)).toBeCloseTo(silhouetteAt(every), 6);
    // The same medoid pictures (a copy of photo 1 may stand in for it when every photo counts).
    const picture = (id: number) => (id > 200 ? 1 : id);
    const medoidsOf = (res: typeof every) => res.clusters.map((c) => picture(c.medoidId)).sort();
    expect(medoidsOf(grouped)).toEqual(medoidsOf(every));
    // Counted once, the 101 photos of the group weigh like one, and k comes out otherwise.
    const once = clusterEmbeddings({ ids: ids.slice(0, 200), vectors: base.vectors, dim });
    expect(once.k).not.toBe(every.k);
  });
});

describe('a near-duplicate group counts at its photos, not at one of its copies', () => {
  /** Unit vectors in the plane at these angles (degrees): cosine distance 1 - cos(difference). */
  const atAngles = (degrees: number[]) => ({
    ids: Int32Array.from(degrees, (_, i) => 1 + i),
    vectors: new Float32Array(
      degrees.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]),
    ),
    dim: 2,
  });
  const distance = (a: number, b: number) => 1 - Math.cos(((a - b) * Math.PI) / 180);

  it('puts a group with the cluster nearest its photos together, whichever copy comes first', () => {
    // Two tight clusters at 0 and 60 degrees. A pair of copies at 24 and 46 degrees: together
    // nearer 60 (0.221 against 0.392), though the first copy alone is nearer 0. Four copies at
    // 10 degrees whose first row is an edited copy at 40: together nearer 0 (0.295 against
    // 1.49), though that copy alone is nearer 60. Groups come first, as an index order may have it.
    const degrees = [24, 46, 40, 10, 10, 10, 10, -3, -1.5, 0, 1.5, 3, 57, 58.5, 60, 61.5, 63];
    const groups = Int32Array.from(degrees, (_, r) => (r < 2 ? 0 : r < 7 ? 1 : -1));
    expect(distance(24, 60) + distance(46, 60)).toBeLessThan(distance(24, 0) + distance(46, 0));
    const data = atAngles(degrees);
    const res = clusterEmbeddings(data, { k: 2, duplicateGroups: groups });
    const angleOf = (id: number) => degrees[id - 1]!;
    const clusterWith = (angle: number) =>
      res.clusters.find((c) => [...c.memberIds].map(angleOf).includes(angle))!;
    expect(clusterWith(0)).not.toBe(clusterWith(60));
    expect(clusterWith(24)).toBe(clusterWith(60));
    expect(clusterWith(46)).toBe(clusterWith(60));
    expect(clusterWith(40)).toBe(clusterWith(0));
    expect(clusterWith(10)).toBe(clusterWith(0));
    // Every photo, each group held together and sent where its photos cost least: the same.
    for (const members of [
      [24, 46],
      [40, 10, 10, 10, 10],
    ]) {
      const cost = (c: (typeof res.clusters)[number]) =>
        members.reduce((sum, a) => sum + distance(a, angleOf(c.medoidId)), 0);
      const best = res.clusters.reduce((a, b) => (cost(b) < cost(a) ? b : a));
      expect(best.memberIds).toContain(data.ids[degrees.indexOf(members[0]!)]);
    }
  });

  it('reports as its cost the total distance of every photo to its medoid', () => {
    // Loose near-duplicate groups (three rows of one planted cluster each): the cost k-medoids
    // minimised is then exactly that of the clustering handed back.
    const data = planted(240, 6, 32, 0.6, 13);
    const groups = new Int32Array(240).fill(-1);
    for (let g = 0; g < 30; g++) for (const r of [g, g + 6, g + 12]) groups[r] = g;
    for (const k of [4, 6, 9]) {
      const res = clusterEmbeddings(data, { k, duplicateGroups: groups });
      let total = 0;
      for (const c of res.clusters) for (const d of c.distances) total += d;
      const reported = res.scores.elbow.find((e) => e.k === k)!.cost;
      expect(reported).toBeCloseTo(total, 3);
    }
  });
});
