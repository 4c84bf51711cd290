// Map layout: UMAP of the embeddings to 2-D, normalised to [-1, 1].
//
// Pipeline: PCA to `pcaDims` (32) -> kNN (given by the neighbour graph, or an exact fallback in
// PCA space for small sets) -> UMAP with that kNN -> coordinates scaled into [-1, 1].
//
// Two UMAP engines run the same algorithm (McInnes et al.; the umap-js port of umap-learn):
// - 'umap-js': the umap-js library itself, fed the kNN through setPrecomputedKNN.
// - 'typed' (default): the same steps (smooth kNN distances, fuzzy union, epochs-per-sample SGD
//   with negative sampling, a/b from umap-js's findABParams) over typed arrays. umap-js keeps
//   its sparse matrices in Maps keyed by strings and its points as arrays of arrays: on this
//   2-core machine it took 105 s to build the graph and 116 s to optimise 100k points, over the
//   3-minute target; at 10k it used 15.8 CPU s where the typed port uses 7.0 (whole layout).
// Both start from the first two principal components (umap-learn's init='pca') instead of
// random positions, which keeps the global arrangement stable between recomputes.
//
// New photos are placed without recomputing (placeNewPoints): at the similarity-weighted mean of
// their nearest already-placed neighbours, plus a small deterministic jitter. A fitted UMAP
// model cannot be kept across restarts, and this needs nothing but the stored coordinates.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as UmapJs from 'umap-js';
import type * as UmapJsInternals from 'umap-js/dist/umap.js';
import { cosineDistanceRows, mulberry32 } from './cluster-scores.ts';
import type { EmbeddingSet } from './clusters.ts';
import { fitPca, projectPca } from './pca.ts';
import { workerThreadTarget } from './worker-thread.ts';

// umap-js is loaded by the layout itself (in its worker thread), not by the engine thread that
// only places new points and starts that worker.
// (Not named `require`: electron-vite declares its own in every chunk that mentions it.)
const loadPackage = createRequire(import.meta.url);
const umapJs = (): typeof UmapJs => loadPackage('umap-js') as typeof UmapJs;
const umapJsInternals = (): typeof UmapJsInternals =>
  loadPackage('umap-js/dist/umap.js') as typeof UmapJsInternals;

/** k nearest neighbours per row: indices are rows of the embedding set (-1 = none). */
export interface Knn {
  k: number;
  /** n*k row indices, nearest first; the row itself may or may not be included. */
  indices: Int32Array;
  /** n*k cosine distances, parallel to indices. */
  distances: Float32Array;
}

export interface LayoutParams {
  /** Neighbours per point for UMAP (default 15; capped by the kNN width and n - 1). */
  nNeighbors?: number;
  /** PCA dimensions before the fallback kNN and for the start positions. Default 32. */
  pcaDims?: number;
  /** Default as umap-js: 500 up to 2500 points, 400 to 5000, 300 to 7500, else 200. */
  nEpochs?: number;
  minDist?: number;
  spread?: number;
  seed?: number;
  engine?: 'typed' | 'umap-js';
  /** Largest set for which the exact fallback kNN is computed when no kNN is given. */
  maxExactKnn?: number;
}

export interface LayoutProgress {
  phase: 'pca' | 'knn' | 'graph' | 'optimise';
  done: number;
  total: number;
}

export interface LayoutResult {
  ids: Int32Array;
  /** n*2, x then y per photo, in [-1, 1] (the longer side spans it, aspect kept). */
  coords: Float32Array;
  method: string;
  epochs: number;
  /** Seconds per phase, for the benchmark and the log. */
  timings: { pca: number; knn: number; graph: number; optimise: number };
}

const now = () => performance.now();

/** Exact kNN by brute force on rows of `points` (n*dim): squared-Euclidean / 2, which for unit
 * vectors is the cosine distance. Includes each row itself first. O(n^2 dim). */
export function exactKnn(points: Float32Array, n: number, dim: number, k: number): Knn {
  const kk = Math.min(k, n);
  const indices = new Int32Array(n * kk).fill(-1);
  const distances = new Float32Array(n * kk).fill(Infinity);
  for (let i = 0; i < n; i++) {
    const base = i * kk;
    const oi = i * dim;
    let worst = Infinity;
    let filled = 0;
    for (let j = 0; j < n; j++) {
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const t = points[oi + d]! - points[oj + d]!;
        s += t * t;
      }
      const dist = i === j ? 0 : s / 2;
      if (filled === kk && dist >= worst) continue;
      // Insertion into the sorted row (k is small).
      let p = filled < kk ? filled++ : kk - 1;
      while (p > 0 && distances[base + p - 1]! > dist) {
        distances[base + p] = distances[base + p - 1]!;
        indices[base + p] = indices[base + p - 1]!;
        p--;
      }
      distances[base + p] = dist;
      indices[base + p] = j;
      worst = filled === kk ? distances[base + kk - 1]! : Infinity;
    }
  }
  return { k: kk, indices, distances };
}

/**
 * Rows of width `width` = self first (distance 0), then the nearest other rows ascending, padded
 * with -1. UMAP's smoothing treats column 0 as the point itself.
 */
function normaliseKnn(knn: Knn, n: number, width: number): { idx: Int32Array; dist: Float32Array } {
  const idx = new Int32Array(n * width).fill(-1);
  const dist = new Float32Array(n * width);
  const row: { j: number; d: number }[] = [];
  for (let i = 0; i < n; i++) {
    row.length = 0;
    for (let t = 0; t < knn.k; t++) {
      const j = knn.indices[i * knn.k + t]!;
      if (j < 0 || j === i || j >= n) continue;
      if (row.some((r) => r.j === j)) continue;
      row.push({ j, d: Math.max(0, knn.distances[i * knn.k + t]!) });
    }
    row.sort((a, b) => a.d - b.d);
    idx[i * width] = i;
    dist[i * width] = 0;
    for (let t = 0; t + 1 < width && t < row.length; t++) {
      idx[i * width + t + 1] = row[t]!.j;
      dist[i * width + t + 1] = row[t]!.d;
    }
  }
  return { idx, dist };
}

/**
 * Adapts neighbour lists keyed by photo id, as the neighbour graph serialises them (k slots per
 * row: `neighbourIds`, -1 for an empty slot, and cosine `similarities`), into a Knn over the rows
 * of `rowIds` (the order of the embedding set being laid out). Graph rows may come in any order;
 * neighbours that are not in `rowIds` are dropped.
 */
export function knnFromNeighbourIds(
  rowIds: Int32Array,
  graph: { ids: Int32Array; k: number; neighbourIds: Int32Array; similarities: Float32Array },
): Knn {
  const rowOf = new Map<number, number>();
  rowIds.forEach((id, r) => rowOf.set(id, r));
  const { k } = graph;
  const indices = new Int32Array(rowIds.length * k).fill(-1);
  const distances = new Float32Array(rowIds.length * k).fill(Infinity);
  for (let g = 0; g < graph.ids.length; g++) {
    const row = rowOf.get(graph.ids[g]!);
    if (row === undefined) continue;
    let t = 0;
    for (let s = 0; s < k; s++) {
      const nb = rowOf.get(graph.neighbourIds[g * k + s]!);
      if (nb === undefined || nb === row) continue;
      indices[row * k + t] = nb;
      distances[row * k + t] = Math.max(0, 1 - graph.similarities[g * k + s]!);
      t++;
    }
  }
  return { k, indices, distances };
}

/**
 * The same for per-photo lists of `{ id, similarity }` (e.g. the neighbour graph's `query` for
 * photos not yet placed): row i of the result holds lists[i], as rows of `placedIds`. This is the
 * `knn` placeNewPoints takes.
 */
export function knnFromNeighbourLists(
  placedIds: Int32Array,
  lists: readonly (readonly { id: number; similarity: number }[])[],
): Knn {
  const rowOf = new Map<number, number>();
  placedIds.forEach((id, r) => rowOf.set(id, r));
  const k = Math.max(1, ...lists.map((l) => l.length));
  const indices = new Int32Array(lists.length * k).fill(-1);
  const distances = new Float32Array(lists.length * k).fill(Infinity);
  lists.forEach((list, i) => {
    let t = 0;
    for (const nb of list) {
      const row = rowOf.get(nb.id);
      if (row === undefined) continue;
      indices[i * k + t] = row;
      distances[i * k + t] = Math.max(0, 1 - nb.similarity);
      t++;
    }
  });
  return { k, indices, distances };
}

export function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** UMAP's fuzzy simplicial set: per-point smooth kNN membership, then the fuzzy union
 * w = a + b - ab of the two directions. Returns symmetric COO entries sorted by row. */
export function fuzzyGraph(
  idx: Int32Array,
  dist: Float32Array,
  n: number,
  width: number,
): { rows: Int32Array; cols: Int32Array; vals: Float32Array } {
  const SMOOTH_K_TOLERANCE = 1e-5;
  const MIN_K_DIST_SCALE = 1e-3;
  const target = Math.log2(width);
  let meanAll = 0;
  for (let i = 0; i < dist.length; i++) meanAll += dist[i]!;
  meanAll /= dist.length;
  // Directed memberships.
  const dRows: number[] = [];
  const dCols: number[] = [];
  const dVals: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * width;
    let rho = 0;
    let rowMean = 0;
    for (let t = 0; t < width; t++) rowMean += dist[o + t]!;
    rowMean /= width;
    for (let t = 0; t < width; t++) {
      if (idx[o + t]! >= 0 && dist[o + t]! > 0) {
        rho = dist[o + t]!;
        break;
      }
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let t = 1; t < width; t++) {
        const d = dist[o + t]! - rho;
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let sigma = mid;
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? rowMean : meanAll);
    if (sigma < floor) sigma = floor;
    for (let t = 0; t < width; t++) {
      const j = idx[o + t]!;
      if (j < 0 || j === i) continue;
      const d = dist[o + t]! - rho;
      dRows.push(i);
      dCols.push(j);
      dVals.push(d <= 0 ? 1 : Math.exp(-(d / sigma)));
    }
  }
  // Both directions of every entry, bucketed by row, then merged per (row, col).
  const e = dRows.length;
  const start = new Int32Array(n + 1);
  for (let t = 0; t < e; t++) {
    start[dRows[t]! + 1]!++;
    start[dCols[t]! + 1]!++;
  }
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const cols = new Int32Array(2 * e);
  const vals = new Float32Array(2 * e);
  for (let t = 0; t < e; t++) {
    const r = dRows[t]!;
    const c = dCols[t]!;
    const v = dVals[t]!;
    let p = fill[r]!++;
    cols[p] = c;
    vals[p] = v;
    p = fill[c]!++;
    cols[p] = r;
    vals[p] = v;
  }
  const outRows: number[] = [];
  const outCols: number[] = [];
  const outVals: number[] = [];
  const seg: number[] = [];
  for (let i = 0; i < n; i++) {
    seg.length = 0;
    for (let p = start[i]!; p < start[i + 1]!; p++) seg.push(p);
    seg.sort((x, y) => cols[x]! - cols[y]!);
    for (let s = 0; s < seg.length;) {
      const c = cols[seg[s]!]!;
      // 1 - prod(1 - w) is the fuzzy union a + b - ab for the two directions.
      let keep = 1;
      while (s < seg.length && cols[seg[s]!] === c) keep *= 1 - vals[seg[s++]!]!;
      const w = 1 - keep;
      if (w > 0) {
        outRows.push(i);
        outCols.push(c);
        outVals.push(w);
      }
    }
  }
  return {
    rows: Int32Array.from(outRows),
    cols: Int32Array.from(outCols),
    vals: Float32Array.from(outVals),
  };
}

/** Start positions: the first two columns of the PCA projection scaled to +-10, with a little
 * seeded noise so coincident points can separate (umap-learn's noisy_scale_coords). */
function pcaStart(
  projected: Float32Array,
  n: number,
  c: number,
  random: () => number,
): Float32Array {
  const out = new Float32Array(n * 2);
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 2; d++) {
      const v = d < c ? projected[i * c + d]! : 0;
      out[i * 2 + d] = v;
      if (Math.abs(v) > max) max = Math.abs(v);
    }
  }
  const s = max > 0 ? 10 / max : 1;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * s + (random() - 0.5) * 2e-4;
  return out;
}

/** The UMAP SGD over typed arrays; a port of umap-js's optimizeLayoutStep. */
function optimiseTyped(
  embedding: Float32Array,
  graph: { rows: Int32Array; cols: Int32Array; vals: Float32Array },
  n: number,
  nEpochs: number,
  params: { minDist: number; spread: number; seed: number },
  onEpoch: (done: number) => void,
): void {
  const { a, b } = umapJsInternals().findABParams(params.spread, params.minDist);
  let wmax = 0;
  for (const v of graph.vals) if (v > wmax) wmax = v;
  // Edges too weak to be sampled even once over all epochs are dropped, as in umap-learn.
  const heads: number[] = [];
  const tails: number[] = [];
  const eps: number[] = [];
  for (let t = 0; t < graph.vals.length; t++) {
    const w = graph.vals[t]!;
    if (w < wmax / nEpochs) continue;
    heads.push(graph.rows[t]!);
    tails.push(graph.cols[t]!);
    eps.push(wmax / w);
  }
  const m = heads.length;
  const head = Int32Array.from(heads);
  const tail = Int32Array.from(tails);
  const epochsPerSample = Float64Array.from(eps);
  const negativeSampleRate = 5;
  const epochsPerNeg = Float64Array.from(eps, (v) => v / negativeSampleRate);
  const nextSample = Float64Array.from(epochsPerSample);
  const nextNeg = Float64Array.from(epochsPerNeg);
  const gamma = 1;
  const initialAlpha = 1;
  const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v);
  // xorshift32 for negative sampling: the hottest random draw, kept inline and seeded.
  let state = (params.seed * 2654435761) >>> 0 || 1;
  const invN = n / 4294967296;
  const twoAB = -2 * a * b;
  const twoGB = 2 * gamma * b;
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    const alpha = initialAlpha * (1 - epoch / nEpochs);
    for (let e = 0; e < m; e++) {
      if (nextSample[e]! > epoch) continue;
      const j = head[e]!;
      const k = tail[e]!;
      const jx = j * 2;
      const kx = k * 2;
      let cx = embedding[jx]!;
      let cy = embedding[jx + 1]!;
      const dx = cx - embedding[kx]!;
      const dy = cy - embedding[kx + 1]!;
      const d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        // exp(b log x) equals pow(x, b) to rounding and is ~3x faster in V8.
        const pb = Math.exp(b * Math.log(d2));
        const coeff = (twoAB * (pb / d2)) / (a * pb + 1);
        const gx = clip(coeff * dx) * alpha;
        const gy = clip(coeff * dy) * alpha;
        cx += gx;
        cy += gy;
        embedding[kx]! -= gx;
        embedding[kx + 1]! -= gy;
      }
      nextSample[e]! += epochsPerSample[e]!;
      const nNeg = Math.floor((epoch - nextNeg[e]!) / epochsPerNeg[e]!);
      for (let p = 0; p < nNeg; p++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const r = Math.floor((state >>> 0) * invN) * 2;
        const ox = cx - embedding[r]!;
        const oy = cy - embedding[r + 1]!;
        const o2 = ox * ox + oy * oy;
        if (o2 > 0) {
          const coeff = twoGB / ((0.001 + o2) * (a * Math.exp(b * Math.log(o2)) + 1));
          cx += clip(coeff * ox) * alpha;
          cy += clip(coeff * oy) * alpha;
        } else if (r !== jx) {
          cx += 4 * alpha;
          cy += 4 * alpha;
        }
      }
      embedding[jx] = cx;
      embedding[jx + 1] = cy;
      if (nNeg > 0) nextNeg[e]! += nNeg * epochsPerNeg[e]!;
    }
    onEpoch(epoch + 1);
  }
}

/** Scales coordinates into [-1, 1] around their bounding-box centre, keeping the aspect ratio. */
export function normaliseCoords(coords: Float32Array): Float32Array {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < coords.length; i += 2) {
    minX = Math.min(minX, coords[i]!);
    maxX = Math.max(maxX, coords[i]!);
    minY = Math.min(minY, coords[i + 1]!);
    maxY = Math.max(maxY, coords[i + 1]!);
  }
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY) / 2;
  const s = half > 0 ? 1 / half : 0;
  for (let i = 0; i < coords.length; i += 2) {
    coords[i] = Math.max(-1, Math.min(1, (coords[i]! - cx) * s));
    coords[i + 1] = Math.max(-1, Math.min(1, (coords[i + 1]! - cy) * s));
  }
  return coords;
}

/** Computes the layout synchronously (call it in a worker: see runLayoutInWorker). */
export function computeLayout(
  embeddings: EmbeddingSet,
  params: LayoutParams & { knn?: Knn } = {},
  onProgress?: (p: LayoutProgress) => void,
): LayoutResult {
  const { ids, vectors, dim } = embeddings;
  const n = ids.length;
  const seed = params.seed ?? 1;
  const random = mulberry32(seed);
  const timings = { pca: 0, knn: 0, graph: 0, optimise: 0 };
  const engine = params.engine ?? 'typed';
  if (n < 3) {
    // Nothing to lay out: zero, one or two photos sit on a line.
    const coords = new Float32Array(n * 2);
    if (n === 2) coords.set([-1, 0, 1, 0]);
    return { ids: Int32Array.from(ids), coords, method: 'trivial', epochs: 0, timings };
  }

  let t0 = now();
  onProgress?.({ phase: 'pca', done: 0, total: 1 });
  const c = Math.min(params.pcaDims ?? 32, dim, n);
  const model = fitPca(vectors, n, dim, c, { seed });
  const projected = projectPca(model, vectors, n);
  timings.pca = (now() - t0) / 1000;
  onProgress?.({ phase: 'pca', done: 1, total: 1 });

  t0 = now();
  const want = Math.max(2, Math.min(params.nNeighbors ?? 15, n - 1));
  let knn = params.knn;
  let knnSource = 'given kNN';
  if (!knn) {
    const maxExact = params.maxExactKnn ?? 30000;
    if (n > maxExact) {
      throw new Error(
        `layout of ${n} photos needs the neighbour graph's kNN (exact fallback stops at ${maxExact})`,
      );
    }
    onProgress?.({ phase: 'knn', done: 0, total: 1 });
    knn = exactKnn(projected, n, c, want + 1);
    knnSource = `exact kNN in ${c}-d PCA space`;
    onProgress?.({ phase: 'knn', done: 1, total: 1 });
  }
  // Self plus the neighbours: UMAP's n_neighbors counts the point itself.
  const width = Math.min(want + 1, knn.k + 1, n);
  const { idx, dist } = normaliseKnn(knn, n, width);
  timings.knn = (now() - t0) / 1000;

  const nEpochs = params.nEpochs ?? defaultEpochs(n);
  const minDist = params.minDist ?? 0.1;
  const spread = params.spread ?? 1;
  const start = pcaStart(projected, n, c, random);
  let coords: Float32Array;
  const step = Math.max(1, Math.floor(nEpochs / 100));
  const report = (done: number) => {
    if (done % step === 0 || done === nEpochs) {
      onProgress?.({ phase: 'optimise', done, total: nEpochs });
    }
  };

  if (engine === 'umap-js') {
    t0 = now();
    onProgress?.({ phase: 'graph', done: 0, total: 1 });
    const umap = new (umapJs().UMAP)({ nNeighbors: width, nEpochs, minDist, spread, random });
    const rows = (a: Int32Array | Float32Array) =>
      Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));
    umap.setPrecomputedKNN(rows(idx), rows(dist));
    // umap-js reads X only for its length and its transform search graph; the PCA rows serve.
    const x = Array.from({ length: n }, (_, i) =>
      Array.from(projected.subarray(i * c, (i + 1) * c)),
    );
    const total = umap.initializeFit(x);
    const emb = umap.getEmbedding();
    for (let i = 0; i < n; i++) {
      emb[i]![0] = start[i * 2]!;
      emb[i]![1] = start[i * 2 + 1]!;
    }
    timings.graph = (now() - t0) / 1000;
    onProgress?.({ phase: 'graph', done: 1, total: 1 });
    t0 = now();
    for (let e = 0; e < total; e++) report(umap.step());
    coords = new Float32Array(n * 2);
    const out = umap.getEmbedding();
    for (let i = 0; i < n; i++) {
      coords[i * 2] = out[i]![0]!;
      coords[i * 2 + 1] = out[i]![1]!;
    }
    timings.optimise = (now() - t0) / 1000;
  } else {
    t0 = now();
    onProgress?.({ phase: 'graph', done: 0, total: 1 });
    const graph = fuzzyGraph(idx, dist, n, width);
    timings.graph = (now() - t0) / 1000;
    onProgress?.({ phase: 'graph', done: 1, total: 1 });
    t0 = now();
    coords = start;
    optimiseTyped(coords, graph, n, nEpochs, { minDist, spread, seed }, report);
    timings.optimise = (now() - t0) / 1000;
  }
  normaliseCoords(coords);
  return {
    ids: Int32Array.from(ids),
    coords,
    method:
      `UMAP (${engine === 'typed' ? 'typed-array port of umap-js' : 'umap-js'}), ` +
      `${width - 1} neighbours from ${knnSource}, PCA to ${c} dims, PCA start, ` +
      `${nEpochs} epochs, minDist ${minDist}`,
    epochs: nEpochs,
    timings,
  };
}

export interface PlacedLayout {
  ids: Int32Array;
  vectors: Float32Array;
  /** n*2 */
  coords: Float32Array;
  dim: number;
}

export interface PlaceOptions {
  /** Neighbours averaged per new photo. Default 8. */
  k?: number;
  /** Jitter radius in map units (the map spans [-1, 1]). Default 0.01. */
  jitter?: number;
  /** Precomputed neighbours of the new photos among the placed ones (rows of `placed`), e.g.
   * from the neighbour graph; brute force over `placed` otherwise. */
  knn?: Knn;
}

/**
 * Positions for new photos without recomputing the layout: each goes to the weighted mean of
 * its k nearest placed photos' coordinates, with weights exp(-(d - d_min) / mean(d - d_min))
 * over their cosine distances d (the nearest dominates, far ones fade), plus a jitter derived
 * from the photo id so duplicates do not stack exactly and a rerun gives the same spot.
 */
export function placeNewPoints(
  placed: PlacedLayout,
  added: EmbeddingSet,
  options: PlaceOptions = {},
): Float32Array {
  const m = added.ids.length;
  const n = placed.ids.length;
  const out = new Float32Array(m * 2);
  if (n === 0) return out;
  const k = Math.max(1, Math.min(options.k ?? 8, n));
  const jitter = options.jitter ?? 0.01;
  const nb = new Int32Array(k);
  const nd = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    let count = 0;
    if (options.knn) {
      for (let t = 0; t < options.knn.k && count < k; t++) {
        const j = options.knn.indices[i * options.knn.k + t]!;
        if (j < 0 || j >= n) continue;
        nb[count] = j;
        nd[count++] = options.knn.distances[i * options.knn.k + t]!;
      }
    } else {
      for (let j = 0; j < n; j++) {
        const d = cosineDistanceRows(added.vectors, i, placed.vectors, j, added.dim);
        if (count === k && d >= nd[k - 1]!) continue;
        let p = count < k ? count++ : k - 1;
        while (p > 0 && nd[p - 1]! > d) {
          nd[p] = nd[p - 1]!;
          nb[p] = nb[p - 1]!;
          p--;
        }
        nd[p] = d;
        nb[p] = j;
      }
    }
    let dmin = Infinity;
    for (let t = 0; t < count; t++) dmin = Math.min(dmin, nd[t]!);
    let spreadSum = 0;
    for (let t = 0; t < count; t++) spreadSum += nd[t]! - dmin;
    const scale = count > 0 && spreadSum > 0 ? spreadSum / count : 1;
    let wx = 0;
    let wy = 0;
    let ws = 0;
    for (let t = 0; t < count; t++) {
      const w = Math.exp(-(nd[t]! - dmin) / scale);
      wx += w * placed.coords[nb[t]! * 2]!;
      wy += w * placed.coords[nb[t]! * 2 + 1]!;
      ws += w;
    }
    const rnd = mulberry32(added.ids[i]! ^ 0x9e3779b9);
    const angle = rnd() * 2 * Math.PI;
    const radius = jitter * Math.sqrt(rnd());
    const x = (ws > 0 ? wx / ws : 0) + radius * Math.cos(angle);
    const y = (ws > 0 ? wy / ws : 0) + radius * Math.sin(angle);
    out[i * 2] = Math.max(-1, Math.min(1, x));
    out[i * 2 + 1] = Math.max(-1, Math.min(1, y));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worker launch.

export interface LayoutWorkerRequest {
  embeddings: EmbeddingSet;
  params: LayoutParams & { knn?: Knn };
}

export type LayoutWorkerMessage =
  | { type: 'progress'; progress: LayoutProgress }
  | { type: 'done'; result: LayoutResult }
  | { type: 'error'; message: string };

/**
 * Runs computeLayout in a worker thread so the caller's thread stays responsive; progress
 * arrives through `onProgress` (epochs done / total in the 'optimise' phase). Aborting the
 * signal terminates the worker and rejects with an AbortError.
 */
export function runLayoutInWorker(
  embeddings: EmbeddingSet,
  params: LayoutParams & { knn?: Knn } = {},
  hooks: { onProgress?: (p: LayoutProgress) => void; signal?: AbortSignal } = {},
): Promise<LayoutResult> {
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(new DOMException('layout aborted', 'AbortError'));
      return;
    }
    const { url, execArgv } = workerThreadTarget('layout-worker', import.meta.url);
    const worker = new Worker(url, execArgv ? { execArgv } : {});
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      settle(() => reject(new DOMException('layout aborted', 'AbortError')));
    };
    hooks.signal?.addEventListener('abort', onAbort);
    worker.on('message', (msg: LayoutWorkerMessage) => {
      if (msg.type === 'progress') hooks.onProgress?.(msg.progress);
      else if (msg.type === 'done') {
        settle(() => resolve(msg.result));
        void worker.terminate();
      } else {
        settle(() => reject(new Error(msg.message)));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => {
      settle(() => reject(new Error(`layout worker exited with code ${code} before finishing`)));
    });
    const request: LayoutWorkerRequest = { embeddings, params };
    worker.postMessage(request);
  });
}
