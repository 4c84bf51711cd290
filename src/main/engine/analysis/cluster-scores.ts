// Cluster quality measures for k-medoids on cosine distance, plus the small numeric helpers the
// clustering shares with them (dot products, a seeded PRNG). Pure functions over typed arrays.
import { mulberry32 } from '../../../shared/seeded-random.ts';

// Re-exported for the analysis modules and their tests, which draw their seeds from here.
export { mulberry32 };

/** Dot product of rows `i` of `a` and `j` of `b` (both row-major with `dim` columns). */
export function dotRows(
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  dim: number,
): number {
  // Four accumulators let V8 keep independent chains in flight; this loop is the hot spot of
  // every distance matrix and assignment pass.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = i * dim;
  let q = j * dim;
  const end = p + dim - 3;
  for (; p < end; p += 4, q += 4) {
    s0 += a[p]! * b[q]!;
    s1 += a[p + 1]! * b[q + 1]!;
    s2 += a[p + 2]! * b[q + 2]!;
    s3 += a[p + 3]! * b[q + 3]!;
  }
  const stop = i * dim + dim;
  for (; p < stop; p++, q++) s0 += a[p]! * b[q]!;
  return s0 + s1 + s2 + s3;
}

/** Cosine distance between two rows of L2-normalised vectors, clamped at 0 against rounding. */
export function cosineDistanceRows(
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  dim: number,
): number {
  const d = 1 - dotRows(a, i, b, j, dim);
  return d > 0 ? d : 0;
}

/**
 * Full symmetric cosine-distance matrix (n*n, row-major) of the rows `rows` of `vectors`.
 * Float32 halves the memory of a 2500x2500 matrix to 25 MB; the precision is ample for medoids.
 * Four rows are dotted against each other row at once so each loaded value is used four times:
 * about twice as fast as one pair at a time, and this matrix dominates clustering time.
 */
export function cosineDistanceMatrix(
  vectors: Float32Array,
  dim: number,
  rows: Int32Array,
): Float32Array {
  const n = rows.length;
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    x.set(vectors.subarray(rows[i]! * dim, rows[i]! * dim + dim), i * dim);
  const out = new Float32Array(n * n);
  const put = (i: number, j: number, dot: number) => {
    const d = 1 - dot > 0 ? 1 - dot : 0;
    out[i * n + j] = d;
    out[j * n + i] = d;
  };
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o0 = i * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    // The pairs inside the block of four first, then the block against every later row.
    for (let a = i; a < i + 4; a++) {
      for (let b = a + 1; b < i + 4; b++) put(a, b, dotRows(x, a, x, b, dim));
    }
    for (let j = i + 4; j < n; j++) {
      const oj = j * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < dim; d++) {
        const v = x[oj + d]!;
        s0 += x[o0 + d]! * v;
        s1 += x[o1 + d]! * v;
        s2 += x[o2 + d]! * v;
        s3 += x[o3 + d]! * v;
      }
      put(i, j, s0);
      put(i + 1, j, s1);
      put(i + 2, j, s2);
      put(i + 3, j, s3);
    }
  }
  for (; i < n; i++) for (let j = i + 1; j < n; j++) put(i, j, dotRows(x, i, x, j, dim));
  return out;
}

/**
 * Mean silhouette over n points given their distance matrix and cluster labels 0..k-1.
 * s(i) = (b - a) / max(a, b) with a the mean distance to the rest of its own cluster and b the
 * smallest mean distance to another cluster; points alone in their cluster score 0 (Rousseeuw).
 * With `weights`, point i stands for weights[i] photos at its place (a near-duplicate group's
 * representative): means and the overall mean count photos, and a point's own copies sit at
 * distance 0 in its cluster, exactly as if every photo were a row of the matrix.
 */
export function silhouetteFromMatrix(
  matrix: Float32Array,
  n: number,
  labels: Int32Array,
  k: number,
  weights?: Float64Array,
): number {
  if (k < 2 || n < 2) return 0;
  const sizes = new Float64Array(k);
  let photos = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    sizes[labels[i]!]! += w;
    photos += w;
  }
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    // Two loops rather than a weight of 1: this is the inner loop of every k's score.
    if (weights) for (let j = 0; j < n; j++) sums[labels[j]!]! += weights[j]! * matrix[row + j]!;
    else for (let j = 0; j < n; j++) sums[labels[j]!]! += matrix[row + j]!;
    const own = labels[i]!;
    const ownSize = sizes[own]!;
    if (ownSize <= 1) continue;
    const a = sums[own]! / (ownSize - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === own || sizes[c] === 0) continue;
      const m = sums[c]! / sizes[c]!;
      if (m < b) b = m;
    }
    if (b === Infinity) continue;
    const denom = Math.max(a, b);
    if (denom > 0) total += ((weights ? weights[i]! : 1) * (b - a)) / denom;
  }
  return total / photos;
}

/** Mean silhouette computed straight from L2-normalised vectors (cosine distance); O(n^2 dim). */
export function silhouetteFromVectors(
  vectors: Float32Array,
  dim: number,
  labels: Int32Array,
  k: number,
): number {
  const n = labels.length;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return silhouetteFromMatrix(cosineDistanceMatrix(vectors, dim, rows), n, labels, k);
}

/**
 * Davies-Bouldin index for medoid clusterings (lower is better): the mean over clusters of
 * max_j (S_i + S_j) / d(m_i, m_j), with S the mean member-to-medoid distance. Medoids stand in
 * for centroids because cosine k-medoids has no meaningful mean point.
 */
export function daviesBouldin(
  medoidDistances: Float32Array /* k*k */,
  scatter: Float64Array /* k: mean distance to medoid */,
  k: number,
): number {
  if (k < 2) return 0;
  let total = 0;
  for (let i = 0; i < k; i++) {
    let worst = 0;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const m = medoidDistances[i * k + j]!;
      // Two identical medoids (duplicate photos) would divide by zero; they are as bad as it gets.
      const r = m > 0 ? (scatter[i]! + scatter[j]!) / m : Number.MAX_VALUE;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / k;
}

/** Adjusted Rand index between two labelings of the same points (1 = identical partitions). */
export function adjustedRandIndex(a: Int32Array, b: Int32Array): number {
  const n = a.length;
  if (n !== b.length) throw new Error('labelings differ in length');
  const table = new Map<number, number>();
  const rowSums = new Map<number, number>();
  const colSums = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // Labels are small non-negative ints in practice; a pairing function keeps the key numeric.
    const key = x * 1_000_003 + y;
    table.set(key, (table.get(key) ?? 0) + 1);
    rowSums.set(x, (rowSums.get(x) ?? 0) + 1);
    colSums.set(y, (colSums.get(y) ?? 0) + 1);
  }
  const c2 = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of rowSums.values()) sa += c2(v);
  let sb = 0;
  for (const v of colSums.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/**
 * Seeded synthetic embeddings with planted clusters, for tests and the benchmark: row i belongs
 * to cluster i % k; each row is its cluster's random centre plus Gaussian noise of relative size
 * `noise`, L2-normalised. Ids are 1000 + row.
 */
export function plantedEmbeddings(
  n: number,
  k: number,
  dim: number,
  noise: number,
  seed: number,
): { ids: Int32Array; vectors: Float32Array; dim: number; truth: Int32Array } {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centres = new Float32Array(k * dim);
  for (let i = 0; i < k * dim; i++) centres[i] = gauss();
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centres[c * dim + d]! + noise * gauss();
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) vectors[i * dim + d]! /= norm;
  }
  const ids = Int32Array.from({ length: n }, (_, i) => 1000 + i);
  return { ids, vectors, dim, truth };
}
