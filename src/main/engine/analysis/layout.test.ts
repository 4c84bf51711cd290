import { describe, expect, it } from 'vitest';
import { mulberry32, plantedEmbeddings, silhouetteFromMatrix } from './cluster-scores.ts';
import {
  computeLayout,
  exactKnn,
  fuzzyGraph,
  knnFromNeighbourIds,
  knnFromNeighbourLists,
  normaliseCoords,
  placeNewPoints,
  runLayoutInWorker,
  type LayoutProgress,
} from './layout.ts';
import { fitPca, projectPca, symmetricEigen } from './pca.ts';

/** Silhouette of the planted labels in the 2-D map: high when clusters stay apart. */
function mapSilhouette(coords: Float32Array, labels: Int32Array, k: number): number {
  const n = labels.length;
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      m[i * n + j] = Math.hypot(
        coords[2 * i]! - coords[2 * j]!,
        coords[2 * i + 1]! - coords[2 * j + 1]!,
      );
    }
  }
  return silhouetteFromMatrix(m, n, labels, k);
}

describe('pca', () => {
  it('decomposes a hand-checked symmetric matrix', () => {
    // [[2,1],[1,2]] has eigenvalues 3 (along (1,1)) and 1 (along (1,-1)).
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(3, 9);
    expect(values[1]).toBeCloseTo(1, 9);
    expect(Math.abs(vectors[0]! * Math.SQRT1_2 + vectors[1]! * Math.SQRT1_2)).toBeCloseTo(1, 9);
  });

  it('recovers planted variance directions and variances', () => {
    const rnd = mulberry32(5);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const n = 4000;
    const dim = 20;
    const sd = [3, 2, 1]; // variances 9, 4, 1 on axes 0..2; 0.01 elsewhere
    const x = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      for (let d = 0; d < dim; d++) x[i * dim + d] = 5 + (sd[d] ?? 0.1) * gauss();
    const model = fitPca(x, n, dim, 3, { maxRows: 3000 });
    for (let r = 0; r < 3; r++) {
      expect(Math.abs(model.components[r * dim + r]!)).toBeGreaterThan(0.99);
      expect(model.variances[r]! / sd[r]! ** 2).toBeGreaterThan(0.9);
      expect(model.variances[r]! / sd[r]! ** 2).toBeLessThan(1.1);
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += model.components[r * dim + d]! ** 2;
      expect(norm).toBeCloseTo(1, 5);
    }
    const p = projectPca(model, x, n);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += p[i * 3]!;
    expect(Math.abs(mean / n)).toBeLessThan(0.2); // centred
  });
});

describe('kNN and the fuzzy graph', () => {
  it('exact kNN lists the point itself first, then neighbours by distance', () => {
    // Points on a line (1-d): 0, 1, 3, 7.
    const knn = exactKnn(Float32Array.of(0, 1, 3, 7), 4, 1, 3);
    expect(Array.from(knn.indices)).toEqual([0, 1, 2, 1, 0, 2, 2, 1, 0, 3, 2, 1]);
    // squared distance / 2: 1 -> 0.5, 9 -> 4.5
    expect(Array.from(knn.distances.subarray(0, 3))).toEqual([0, 0.5, 4.5]);
  });

  it('builds the symmetric fuzzy union of the two directions', () => {
    // Width 2 (self + 1): every point's single neighbour has membership 1. 0<->1 are mutual,
    // 2 -> 1 is one-way: the union still links 1 and 2 both ways with weight 1.
    const idx = Int32Array.of(0, 1, 1, 0, 2, 1);
    const dist = Float32Array.of(0, 0.2, 0, 0.2, 0, 0.5);
    const g = fuzzyGraph(idx, dist, 3, 2);
    const entries = Array.from(g.rows, (r, t) => `${r}-${g.cols[t]}:${g.vals[t]!.toFixed(3)}`);
    expect(entries.sort()).toEqual(['0-1:1.000', '1-0:1.000', '1-2:1.000', '2-1:1.000']);
  });

  it('gives weights in (0, 1] that are symmetric on real data', () => {
    const data = plantedEmbeddings(300, 3, 16, 0.8, 2);
    const knn = exactKnn(data.vectors, 300, 16, 11);
    const g = fuzzyGraph(knn.indices, knn.distances, 300, 11);
    const w = new Map<string, number>();
    g.rows.forEach((r, t) => w.set(`${r},${g.cols[t]}`, g.vals[t]!));
    for (const [key, v] of w) {
      const [r, c] = key.split(',');
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(w.get(`${c},${r}`)).toBeCloseTo(v, 6);
    }
  });
});

describe('kNN adapters', () => {
  it('maps neighbour-graph ids to rows and similarities to distances', () => {
    // Graph rows in a different order from the layout's rows; id 99 is not being laid out.
    const graph = {
      ids: Int32Array.of(30, 10, 20),
      k: 2,
      neighbourIds: Int32Array.of(20, 99, 20, -1, 10, 30),
      similarities: Float32Array.of(0.9, 0.8, 0.7, -Infinity, 0.7, 0.9),
    };
    const knn = knnFromNeighbourIds(Int32Array.of(10, 20, 30), graph);
    expect(Array.from(knn.indices)).toEqual([1, -1, 0, 2, 1, -1]);
    expect(
      Array.from(knn.distances).map((d) => (d === Infinity ? d : Number(d.toFixed(4)))),
    ).toEqual([0.3, Infinity, 0.3, 0.1, 0.1, Infinity]);
    const lists = knnFromNeighbourLists(Int32Array.of(10, 20), [
      [
        { id: 20, similarity: 0.5 },
        { id: 77, similarity: 0.4 },
      ],
      [{ id: 10, similarity: 1 }],
    ]);
    expect(Array.from(lists.indices)).toEqual([1, -1, 0, -1]);
    expect(lists.distances[0]).toBeCloseTo(0.5, 6);
    expect(lists.distances[2]).toBeCloseTo(0, 6);
  });
});

describe('layout', () => {
  const data = plantedEmbeddings(500, 4, 48, 0.9, 8);

  it('keeps planted clusters apart, fills [-1, 1] and is deterministic (both engines)', () => {
    const small = plantedEmbeddings(240, 4, 48, 0.9, 8);
    for (const engine of ['typed', 'umap-js'] as const) {
      const res = computeLayout(small, { engine, nEpochs: 100, seed: 3 });
      expect(res.coords).toHaveLength(480);
      const max = Math.max(...Array.from(res.coords, Math.abs));
      expect(max).toBeCloseTo(1, 6);
      expect(mapSilhouette(res.coords, small.truth, 4)).toBeGreaterThan(0.6);
      const again = computeLayout(small, { engine, nEpochs: 100, seed: 3 });
      expect(Array.from(again.coords)).toEqual(Array.from(res.coords));
      expect(res.method).toContain(engine === 'typed' ? 'typed-array' : 'umap-js');
    }
  });

  it('uses a given kNN and refuses a large set without one', () => {
    const knn = exactKnn(data.vectors, 500, 48, 16);
    const res = computeLayout(data, { knn, nEpochs: 80 });
    expect(res.method).toContain('given kNN');
    expect(mapSilhouette(res.coords, data.truth, 4)).toBeGreaterThan(0.6);
    expect(() => computeLayout(data, { maxExactKnn: 100 })).toThrow(/neighbour graph/);
  });

  it('places new photos next to their nearest placed neighbours, deterministically', () => {
    const res = computeLayout(data, { nEpochs: 80 });
    const placed = { ids: data.ids, vectors: data.vectors, coords: res.coords, dim: 48 };
    // New photos: slightly perturbed copies of rows 0..9.
    const added = plantedEmbeddings(10, 4, 48, 0.9, 8);
    added.ids = Int32Array.from({ length: 10 }, (_, i) => 9000 + i);
    const at = placeNewPoints(placed, added, { k: 6 });
    const again = placeNewPoints(placed, added, { k: 6 });
    expect(Array.from(again)).toEqual(Array.from(at));
    for (let i = 0; i < 10; i++) {
      // Its nearest point on the map belongs to the same planted cluster.
      let best = -1;
      let bd = Infinity;
      for (let j = 0; j < 500; j++) {
        const d = Math.hypot(
          at[2 * i]! - res.coords[2 * j]!,
          at[2 * i + 1]! - res.coords[2 * j + 1]!,
        );
        if (d < bd) {
          bd = d;
          best = j;
        }
      }
      expect(data.truth[best]).toBe(added.truth[i]);
      // An exact copy of row i lands within the jitter of where its twin's neighbours are.
      expect(
        Math.hypot(at[2 * i]! - res.coords[2 * i]!, at[2 * i + 1]! - res.coords[2 * i + 1]!),
      ).toBeLessThan(0.3);
    }
  });

  it('normalises to [-1, 1] keeping the aspect ratio', () => {
    const c = normaliseCoords(Float32Array.of(0, 0, 4, 2, 2, 1));
    expect(Array.from(c)).toEqual([-1, -0.5, 1, 0.5, 0, 0]);
  });
});

describe('layout worker', () => {
  it('runs in a worker thread with progress and matches the in-process result', async () => {
    const data = plantedEmbeddings(300, 3, 16, 0.8, 4);
    const progress: LayoutProgress[] = [];
    const res = await runLayoutInWorker(
      data,
      { nEpochs: 60, seed: 2 },
      {
        onProgress: (p) => progress.push(p),
      },
    );
    const local = computeLayout(data, { nEpochs: 60, seed: 2 });
    expect(Array.from(res.coords)).toEqual(Array.from(local.coords));
    expect(Array.from(res.ids)).toEqual(Array.from(data.ids));
    const last = progress.filter((p) => p.phase === 'optimise').at(-1);
    expect(last).toEqual({ phase: 'optimise', done: 60, total: 60 });
  });

  it('rejects with AbortError when aborted and reports worker errors', async () => {
    const data = plantedEmbeddings(2000, 3, 16, 0.8, 4);
    const ac = new AbortController();
    const run = runLayoutInWorker(data, { nEpochs: 400 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    await expect(runLayoutInWorker(data, { maxExactKnn: 10 })).rejects.toThrow(/neighbour graph/);
  });
});
