// Principal component analysis by randomised subspace iteration (Halko, Martinsson & Tropp
// 2011) on Float32Array rows. The map layout uses it to bring 512-d embeddings down to a few
// dozen dimensions (for the fallback kNN) and for the starting positions of UMAP. Fitting on a
// seeded row sample keeps the cost flat as the library grows; projecting everyone is one pass.
import { mulberry32 } from './cluster-scores.ts';

export interface PcaModel {
  dim: number;
  nComponents: number;
  mean: Float32Array;
  /** nComponents*dim, orthonormal rows, largest variance first. */
  components: Float32Array;
  /** Variance along each component (of the fitted rows). */
  variances: Float64Array;
}

export interface PcaOptions {
  seed?: number;
  /** Rows used to fit (a seeded sample above this). Default 5000. */
  maxRows?: number;
  /** Subspace (power) iterations. Default 3. */
  iterations?: number;
  /** Extra basis vectors beyond nComponents for accuracy. Default 8. */
  oversample?: number;
}

/** Orthonormalises the `l` rows (each `dim` long) of `q` in place by modified Gram-Schmidt. */
function orthonormalise(q: Float64Array, l: number, dim: number, random: () => number): void {
  for (let j = 0; j < l; j++) {
    const oj = j * dim;
    for (let pass = 0; pass < 2; pass++) {
      // Twice is enough for numerical orthogonality ("twice is enough", Kahan/Parlett).
      for (let i = 0; i < j; i++) {
        const oi = i * dim;
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += q[oi + d]! * q[oj + d]!;
        for (let d = 0; d < dim; d++) q[oj + d]! -= dot * q[oi + d]!;
      }
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += q[oj + d]! * q[oj + d]!;
    norm = Math.sqrt(norm);
    if (norm < 1e-10) {
      // Rank-deficient data: replace with a fresh random direction and redo this row.
      for (let d = 0; d < dim; d++) q[oj + d] = random() - 0.5;
      j--;
      continue;
    }
    for (let d = 0; d < dim; d++) q[oj + d]! /= norm;
  }
}

/** Eigen-decomposition of a symmetric l*l matrix by cyclic Jacobi; returns values and row
 * eigenvectors sorted by decreasing value. */
export function symmetricEigen(
  matrix: Float64Array,
  l: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p]!;
          const akq = a[k * l + q]!;
          a[k * l + p] = c * akp - s * akq;
          a[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k]!;
          const aqk = a[q * l + k]!;
          a[p * l + k] = c * apk - s * aqk;
          a[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!;
          const vkq = v[k * l + q]!;
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort(
    (x, y) => a[y * l + y]! - a[x * l + x]!,
  );
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((col, r) => {
    values[r] = a[col * l + col]!;
    for (let k = 0; k < l; k++) vectors[r * l + k] = v[k * l + col]!;
  });
  return { values, vectors };
}

/** Fits a PCA model to the n rows of `vectors` (n*dim). */
export function fitPca(
  vectors: Float32Array,
  n: number,
  dim: number,
  nComponents: number,
  options: PcaOptions = {},
): PcaModel {
  const c = Math.max(1, Math.min(nComponents, dim, n));
  const random = mulberry32(options.seed ?? 1);
  const maxRows = options.maxRows ?? 5000;
  const m = Math.min(n, maxRows);
  // Seeded sample of rows (all of them when n <= maxRows).
  const rows = new Int32Array(m);
  if (m === n) {
    for (let i = 0; i < n; i++) rows[i] = i;
  } else {
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
      rows[i] = perm[i]!;
    }
  }
  const mean = new Float64Array(dim);
  for (const r of rows) for (let d = 0; d < dim; d++) mean[d]! += vectors[r * dim + d]!;
  for (let d = 0; d < dim; d++) mean[d]! /= m;
  // Centred sample, copied once so the products below are plain row sweeps.
  const x = new Float32Array(m * dim);
  for (let i = 0; i < m; i++) {
    const src = rows[i]! * dim;
    for (let d = 0; d < dim; d++) x[i * dim + d] = vectors[src + d]! - mean[d]!;
  }

  const l = Math.min(dim, m, c + (options.oversample ?? 8));
  const q = new Float64Array(l * dim);
  for (let i = 0; i < q.length; i++) q[i] = random() - 0.5;
  orthonormalise(q, l, dim, random);
  const z = new Float64Array(m * l);
  const iterations = options.iterations ?? 3;
  const project = () => {
    // z = X Q^T  (m*l)
    for (let i = 0; i < m; i++) {
      const xi = i * dim;
      for (let j = 0; j < l; j++) {
        const qj = j * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += x[xi + d]! * q[qj + d]!;
        z[i * l + j] = s;
      }
    }
  };
  for (let it = 0; it < iterations; it++) {
    project();
    // Q = (X^T z)^T: each basis row accumulates rows of X weighted by z.
    q.fill(0);
    for (let i = 0; i < m; i++) {
      const xi = i * dim;
      for (let j = 0; j < l; j++) {
        const w = z[i * l + j]!;
        const qj = j * dim;
        for (let d = 0; d < dim; d++) q[qj + d]! += w * x[xi + d]!;
      }
    }
    orthonormalise(q, l, dim, random);
  }
  // Rayleigh-Ritz: T = (XQ^T)^T (XQ^T) is the covariance restricted to the subspace.
  project();
  const t = new Float64Array(l * l);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < l; a++) {
      const za = z[i * l + a]!;
      for (let b = a; b < l; b++) t[a * l + b]! += za * z[i * l + b]!;
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) t[a * l + b] = t[b * l + a]!;
  const eig = symmetricEigen(t, l);
  const components = new Float32Array(c * dim);
  const variances = new Float64Array(c);
  for (let r = 0; r < c; r++) {
    variances[r] = Math.max(0, eig.values[r]!) / Math.max(1, m - 1);
    for (let j = 0; j < l; j++) {
      const w = eig.vectors[r * l + j]!;
      for (let d = 0; d < dim; d++) components[r * dim + d]! += w * q[j * dim + d]!;
    }
  }
  return { dim, nComponents: c, mean: Float32Array.from(mean), components, variances };
}

/** Projects the n rows of `vectors` onto the model's components: n*nComponents. */
export function projectPca(model: PcaModel, vectors: Float32Array, n: number): Float32Array {
  const { dim, nComponents: c, mean, components } = model;
  const out = new Float32Array(n * c);
  const centred = new Float32Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) centred[d] = vectors[i * dim + d]! - mean[d]!;
    for (let r = 0; r < c; r++) {
      let s = 0;
      const o = r * dim;
      for (let d = 0; d < dim; d++) s += centred[d]! * components[o + d]!;
      out[i * c + r] = s;
    }
  }
  return out;
}
