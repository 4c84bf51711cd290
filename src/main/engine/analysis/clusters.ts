// Clusters with medoids: k-medoids on cosine distance over L2-normalised embeddings.
//
// - Start: k-medoids++ (D^2 sampling, seeded PRNG), or the previous clustering's medoids when
//   they are given, which is what keeps clusters (and their ids) stable as photos are added.
// - Swap phase: FasterPAM (Schubert & Rousseeuw 2021): eager swaps with the O(n) per-candidate
//   loss update, over a precomputed distance matrix.
// - Size: full PAM up to `maxPamSize` points; beyond it CLARA-style: PAM on seeded samples,
//   every photo assigned to the nearest medoid, the sample whose medoids cost least on all
//   photos wins.
// - k: chosen by `chooseK` from the silhouette and the largest cluster's share at each k in a
//   range (Davies-Bouldin and the elbow cost reported beside them), or fixed by the caller.
//   Plain best silhouette is not enough on real libraries: on ~250 varied wallpapers it picked
//   k = 2 with one cluster of 55 %, useless for browsing. So k stays at or above a floor (5)
//   with no cluster over 40 % of the photos, unless a smaller k separates the photos clearly
//   (a strong silhouette, well above any k at or above the floor): then the data really has
//   fewer groups. The reason for the k chosen comes back as a sentence.
// - Near-duplicates: each near-duplicate group is clustered as one point, its photos' mean
//   vector, that weighs as many photos as the group holds, in the medoid cost, the k-medoids++
//   draw, the silhouette and the cluster shares: on cosine distance (1 - x . y) the k-medoids
//   cost is then exactly that of every photo with each group held together, at the cost of the
//   distinct pictures. The group's candidate medoid is its most central photo, so medoids are
//   always real photos, and every member follows the group, so a group is never split (see
//   `duplicateGroupsOf`).
// Pure: no database, plain serialisable output with typed arrays for the bulk data.
import {
  cosineDistanceMatrix,
  cosineDistanceRows,
  daviesBouldin,
  dotRows,
  mulberry32,
  silhouetteFromMatrix,
} from './cluster-scores.ts';

export interface EmbeddingSet {
  ids: Int32Array;
  /** n*dim, each row L2-normalised. */
  vectors: Float32Array;
  dim: number;
}

export interface PreviousCluster {
  id: number;
  medoidId: number;
}

export interface ClusterOptions {
  /** A fixed k, or 'auto' (default) to choose by silhouette over [kMin, kMax]. */
  k?: number | 'auto';
  kMin?: number;
  /** Default min(30, floor(sqrt(n))). */
  kMax?: number;
  seed?: number;
  /** Largest n clustered with full PAM; above it CLARA sampling is used. Default 2500. */
  maxPamSize?: number;
  /** CLARA sample size. Default 2000. */
  sampleSize?: number;
  /** CLARA samples tried at the chosen k (the scoring sample counts as the first). Default 2. */
  claraSamples?: number;
  /** Compute the score curves over the range even when k is fixed. Default true. */
  scoreRange?: boolean;
  /** Safety cap on FasterPAM passes over the data. Default 50. */
  maxPasses?: number;
  /** The last clustering, so ids survive small changes and its medoids seed this run. */
  previous?: readonly PreviousCluster[];
  /** Auto k: the smallest k chosen unless the photos clearly form fewer groups. Default 5. */
  kFloor?: number;
  /** Auto k: the largest share of the photos one cluster may hold, where some k allows it.
   * Default 0.4. */
  maxShare?: number;
  /**
   * The near-duplicate group of each row (rows with the same number are one group), or -1 for
   * a photo in none. A group is clustered as one photo and never split.
   */
  duplicateGroups?: Int32Array;
  onProgress?: (done: number, total: number) => void;
}

export interface ClusterInfo {
  id: number;
  medoidId: number;
  size: number;
  /** Member photo ids, nearest to the medoid first (the medoid itself is first). */
  memberIds: Int32Array;
  /** Cosine distance of each member to the medoid, parallel to memberIds. */
  distances: Float32Array;
}

export interface ClusterScores {
  silhouette: { k: number; value: number }[];
  daviesBouldin: { k: number; value: number }[];
  /** Total cosine distance to the medoids (estimated for all n when scored on a sample). */
  elbow: { k: number; cost: number }[];
}

export interface ClusterResult {
  k: number;
  method: string;
  /** Why this k, in one plain sentence for people (the CLI and the Clusters screen show it). */
  reason: string;
  scores: ClusterScores;
  /** Largest first. */
  clusters: ClusterInfo[];
}

export interface PamResult {
  /** Indices (into the distance matrix) of the medoids. */
  medoids: Int32Array;
  /** For each point, the slot (0..k-1) of its nearest medoid. */
  labels: Int32Array;
  /** Sum of distances to the nearest medoid (each times its point's weight, if weighted). */
  cost: number;
  swaps: number;
}

/**
 * k-medoids++ start on a distance matrix (read as matrix[medoid * n + point], as in
 * `fasterPam`): the first medoid uniformly, each next one with
 * probability proportional to the squared distance to the nearest medoid chosen so far.
 * `fixed` medoids (e.g. last run's) are kept and only the rest are sampled. With `weights`
 * (photos per point), a point is drawn as often as its photos together would be.
 */
export function kMedoidsPlusPlus(
  matrix: Float32Array,
  n: number,
  k: number,
  random: () => number,
  fixed: readonly number[] = [],
  weights?: Float64Array,
): Int32Array {
  const medoids = new Int32Array(k);
  const nearest = new Float64Array(n).fill(Infinity);
  let count = 0;
  const add = (m: number) => {
    medoids[count++] = m;
    const row = m * n;
    for (let o = 0; o < n; o++) {
      const d = matrix[row + o]!;
      if (d < nearest[o]!) nearest[o] = d;
    }
    // A group's mean sits a little way from its medoid photo; the medoid is taken all the same.
    nearest[m] = 0;
  };
  for (const m of fixed) {
    if (count >= k) break;
    add(m);
  }
  const weightOf = (o: number) => (weights ? weights[o]! : 1);
  if (count === 0) {
    if (weights) {
      let total = 0;
      for (let o = 0; o < n; o++) total += weights[o]!;
      let r = random() * total;
      let pick = n - 1;
      for (let o = 0; o < n; o++) {
        r -= weights[o]!;
        if (r < 0) {
          pick = o;
          break;
        }
      }
      add(pick);
    } else {
      add(Math.min(n - 1, Math.floor(random() * n)));
    }
  }
  while (count < k) {
    let total = 0;
    for (let o = 0; o < n; o++) total += weightOf(o) * nearest[o]! * nearest[o]!;
    let pick = -1;
    if (total > 0) {
      let r = random() * total;
      for (let o = 0; o < n; o++) {
        const w = weightOf(o) * nearest[o]! * nearest[o]!;
        if (w <= 0) continue;
        r -= w;
        pick = o;
        if (r <= 0) break;
      }
    } else {
      // Every point sits on a medoid already (duplicates): take any non-medoid point.
      const taken = new Set(medoids.subarray(0, count));
      for (let o = 0; o < n && pick < 0; o++) if (!taken.has(o)) pick = o;
    }
    add(pick);
  }
  return medoids;
}

/**
 * FasterPAM swap phase on a full n*n distance matrix, starting from `initial` medoids.
 * Each non-medoid candidate is scored against all k removals in one O(n) sweep and the best
 * improving swap is applied at once; stops after a full cycle with no improvement.
 * matrix[c * n + o] is the cost of point o at medoid c; it need not be symmetric (a point may be
 * a near-duplicate group's mean while the medoid is a photo), and is only ever read that way.
 * With `weights`, point o counts weights[o] times in the cost (it stands for that many photos):
 * the same medoids as PAM over every photo with each group held together.
 */
export function fasterPam(
  matrix: Float32Array,
  n: number,
  initial: Int32Array,
  maxPasses = 50,
  weights?: Float64Array,
): PamResult {
  const k = initial.length;
  const medoids = Int32Array.from(initial);
  const isMedoid = new Uint8Array(n);
  for (const m of medoids) isMedoid[m] = 1;
  const nearest = new Int32Array(n);
  const second = new Int32Array(n);
  const dNear = new Float64Array(n);
  const dSecond = new Float64Array(n);

  const rescan = (o: number) => {
    let b1 = -1;
    let b2 = -1;
    let d1 = Infinity;
    let d2 = Infinity;
    for (let s = 0; s < k; s++) {
      const d = matrix[medoids[s]! * n + o]!;
      if (d < d1) {
        b2 = b1;
        d2 = d1;
        b1 = s;
        d1 = d;
      } else if (d < d2) {
        b2 = s;
        d2 = d;
      }
    }
    nearest[o] = b1;
    dNear[o] = d1;
    second[o] = b2;
    // With k = 1 there is no second medoid; removing the only one is never an option anyway.
    dSecond[o] = d2;
  };
  for (let o = 0; o < n; o++) rescan(o);

  // A weight of 1 everywhere when none is given keeps one copy of the swap loop; it costs
  // about as much as the branch it replaces.
  const w = weights ?? new Float64Array(n).fill(1);
  const removalLoss = new Float64Array(k);
  const computeRemovalLoss = () => {
    removalLoss.fill(0);
    for (let o = 0; o < n; o++) {
      const ds = dSecond[o]!;
      if (ds !== Infinity) removalLoss[nearest[o]!]! += w[o]! * (ds - dNear[o]!);
    }
  };
  computeRemovalLoss();

  const delta = new Float64Array(k);
  let swaps = 0;
  if (k > 1 && k < n) {
    let sinceSwap = 0;
    let steps = 0;
    const maxSteps = maxPasses * n;
    for (let xc = 0; sinceSwap < n && steps < maxSteps; xc = xc + 1 === n ? 0 : xc + 1) {
      steps++;
      sinceSwap++;
      if (isMedoid[xc]) continue;
      delta.set(removalLoss);
      let acc = 0;
      const row = xc * n;
      for (let o = 0; o < n; o++) {
        const doj = matrix[row + o]!;
        const dn = dNear[o]!;
        if (doj < dn) {
          acc += w[o]! * (doj - dn);
          delta[nearest[o]!]! += w[o]! * (dn - dSecond[o]!);
        } else if (doj < dSecond[o]!) {
          delta[nearest[o]!]! += w[o]! * (doj - dSecond[o]!);
        }
      }
      let best = 0;
      for (let s = 1; s < k; s++) if (delta[s]! < delta[best]!) best = s;
      // A relative tolerance stops float noise from cycling between equal-cost medoid sets.
      if (delta[best]! + acc < -1e-9) {
        const old = medoids[best]!;
        isMedoid[old] = 0;
        isMedoid[xc] = 1;
        medoids[best] = xc;
        for (let o = 0; o < n; o++) {
          if (nearest[o] === best || second[o] === best) {
            rescan(o);
            continue;
          }
          const d = matrix[row + o]!;
          if (d < dNear[o]!) {
            second[o] = nearest[o]!;
            dSecond[o] = dNear[o]!;
            nearest[o] = best;
            dNear[o] = d;
          } else if (d < dSecond[o]!) {
            second[o] = best;
            dSecond[o] = d;
          }
        }
        computeRemovalLoss();
        swaps++;
        sinceSwap = 0;
      }
    }
  }
  let cost = 0;
  for (let o = 0; o < n; o++) cost += w[o]! * dNear[o]!;
  return { medoids, labels: nearest, cost, swaps };
}

/** Hungarian algorithm (shortest augmenting paths with potentials) for a rows x cols cost matrix
 * with rows <= cols; returns for each row the column it is matched to. */
export function hungarian(cost: Float64Array, rows: number, cols: number): Int32Array {
  if (rows > cols) throw new Error('hungarian needs rows <= cols');
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const p = new Int32Array(cols + 1); // p[j]: row (1-based) matched to column j
  const way = new Int32Array(cols + 1);
  const minv = new Float64Array(cols + 1);
  const used = new Uint8Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let d = INF;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * cols + (j - 1)]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < d) {
          d = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[p[j]!]! += d;
          v[j]! -= d;
        } else {
          minv[j]! -= d;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const match = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if (p[j]! > 0) match[p[j]! - 1] = j - 1;
  return match;
}

/**
 * Gives new clusters the ids of the previous clusters they continue. New cluster c inherits old
 * cluster p when, in a minimum-cost matching on medoid-to-medoid cosine distance, c is paired
 * with p and p's old medoid photo now belongs to c. Other clusters get fresh ids above every
 * id used before, so an id never changes meaning. Old clusters whose medoid photo is gone
 * cannot be matched and their ids retire.
 */
export function assignStableIds(
  embeddings: EmbeddingSet,
  medoidRows: Int32Array,
  labels: Int32Array,
  previous: readonly PreviousCluster[],
): Int32Array {
  const k = medoidRows.length;
  const ids = new Int32Array(k).fill(-1);
  const rowOf = rowIndex(embeddings.ids);
  const present: { id: number; row: number }[] = [];
  let nextId = 0;
  for (const p of previous) {
    nextId = Math.max(nextId, p.id + 1);
    const row = rowOf.get(p.medoidId);
    if (row !== undefined) present.push({ id: p.id, row });
  }
  if (present.length > 0 && k > 0) {
    const { vectors, dim } = embeddings;
    const transpose = k > present.length;
    const r = transpose ? present.length : k;
    const c = transpose ? k : present.length;
    const cost = new Float64Array(r * c);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        const cl = transpose ? j : i;
        const old = present[transpose ? i : j]!;
        cost[i * c + j] = cosineDistanceRows(vectors, medoidRows[cl]!, vectors, old.row, dim);
      }
    }
    const match = hungarian(cost, r, c);
    for (let i = 0; i < r; i++) {
      const j = match[i]!;
      if (j < 0) continue;
      const cl = transpose ? j : i;
      const old = present[transpose ? i : j]!;
      if (labels[old.row] === cl) ids[cl] = old.id;
    }
  }
  for (let c = 0; c < k; c++) if (ids[c] === -1) ids[c] = nextId++;
  return ids;
}

function rowIndex(ids: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) m.set(ids[i]!, i);
  return m;
}

/** Seeded sample of `size` distinct rows of 0..n-1 that contains every row in `must`. */
function sampleRows(n: number, size: number, random: () => number, must: number[]): Int32Array {
  // A partial Fisher-Yates shuffle; `where` tracks each row's position so the required rows
  // can be swapped to the front first.
  const perm = new Int32Array(n);
  const where = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    where[i] = i;
  }
  let filled = 0;
  const place = (row: number, at: number) => {
    const pos = where[row]!;
    const other = perm[at]!;
    perm[at] = row;
    perm[pos] = other;
    where[other] = pos;
    where[row] = at;
  };
  for (const row of must) {
    if (filled >= size) break;
    if (where[row]! < filled) continue;
    place(row, filled++);
  }
  for (; filled < size; filled++) {
    const j = filled + Math.floor(random() * (n - filled));
    place(perm[j]!, filled);
  }
  return perm.slice(0, size);
}

/** Nearest medoid (by cosine distance) of every row, with the distance. */
export function assignToMedoids(
  embeddings: EmbeddingSet,
  medoidRows: Int32Array,
): { labels: Int32Array; distances: Float32Array; cost: number } {
  const { vectors, dim } = embeddings;
  const n = embeddings.ids.length;
  const labels = new Int32Array(n);
  const distances = new Float32Array(n);
  let cost = 0;
  for (let o = 0; o < n; o++) {
    let best = 0;
    let bd = Infinity;
    for (let c = 0; c < medoidRows.length; c++) {
      const d = cosineDistanceRows(vectors, o, vectors, medoidRows[c]!, dim);
      if (d < bd) {
        bd = d;
        best = c;
      }
    }
    labels[o] = best;
    distances[o] = bd;
    cost += bd;
  }
  return { labels, distances, cost };
}

/**
 * Total distance of every photo to its nearest medoid, each near-duplicate group going whole to
 * the medoid nearest its photos together, as `finish` assigns them; CLARA compares its
 * samples' medoids by it.
 */
function poolCost(
  embeddings: EmbeddingSet,
  medoidRows: Int32Array,
  groups: DuplicateGroups,
): number {
  let cost = 0;
  for (const o of groups.pool) {
    let bd = Infinity;
    for (let c = 0; c < medoidRows.length; c++) {
      const d = pointDistance(embeddings, groups, o, medoidRows[c]!);
      if (d < bd) bd = d;
    }
    cost += groups.weight[o]! * bd;
  }
  return cost;
}

/** Medoid start for k on a sample: the previous medoids (farthest-first if too many) topped
 * up with k-medoids++. */
function startMedoids(
  matrix: Float32Array,
  s: number,
  k: number,
  random: () => number,
  warm: number[],
  weights: Float64Array | undefined,
): Int32Array {
  if (warm.length === 0) return kMedoidsPlusPlus(matrix, s, k, random, [], weights);
  let fixed = warm;
  if (warm.length > k) {
    // Keep the k most spread-out previous medoids so the start stays close to the old clusters.
    fixed = [warm[0]!];
    const near = warm.map((w) => matrix[w * s + warm[0]!]!);
    while (fixed.length < k) {
      let bi = -1;
      for (let i = 0; i < warm.length; i++) {
        if (fixed.includes(warm[i]!)) continue;
        if (bi < 0 || near[i]! > near[bi]!) bi = i;
      }
      const m = warm[bi]!;
      fixed.push(m);
      for (let i = 0; i < warm.length; i++) near[i] = Math.min(near[i]!, matrix[warm[i]! * s + m]!);
    }
  }
  return kMedoidsPlusPlus(matrix, s, k, random, fixed, weights);
}

/**
 * A mean silhouette from which a k under the floor is taken for the data's own grouping: about
 * where Kaufman and Rousseeuw's "reasonable structure" starts (0.51). Varied libraries score far
 * below it at every k (0.1 to 0.3 on the fingerprint); a few tight groups score 0.7 and more.
 */
export const STRONG_SILHOUETTE = 0.5;
/** ...and it must beat every k at or above the floor by this much, so a tie keeps the floor. */
export const STRONG_MARGIN = 0.1;
export const DEFAULT_K_FLOOR = 5;
export const DEFAULT_MAX_SHARE = 0.4;

/** One k of the range, as `chooseK` weighs it. */
export interface KCandidate {
  k: number;
  silhouette: number;
  /** The largest cluster's share of the photos at this k (0..1). */
  largestShare: number;
}

export interface KChoice {
  k: number;
  /** Which rule chose k; `reasonFor` turns it into a sentence once the final sizes are known. */
  rule: 'strong-small' | 'browsable' | 'smallest-largest' | 'too-few';
  silhouette: number;
  /** The best silhouette at or above the floor, for the 'strong-small' sentence. */
  bestAboveFloor: number;
  from: number;
  to: number;
}

/**
 * Chooses k from the candidates (ascending k, at least one):
 * 1. Below the floor only when the photos clearly fall into fewer groups: the best silhouette
 *    under the floor is at least STRONG_SILHOUETTE and STRONG_MARGIN above the best at or over it.
 * 2. Else the best silhouette at or above the floor among the k whose largest cluster holds at
 *    most `maxShare` of the photos (a browsable result).
 * 3. Else (every such k leaves a giant cluster) the k whose largest cluster is smallest.
 * With no candidate at or above the floor (a small library), the best silhouette.
 */
export function chooseK(
  candidates: readonly KCandidate[],
  options: { kFloor?: number; maxShare?: number } = {},
): KChoice {
  if (candidates.length === 0) throw new Error('chooseK needs at least one candidate');
  const floor = options.kFloor ?? DEFAULT_K_FLOOR;
  const maxShare = options.maxShare ?? DEFAULT_MAX_SHARE;
  const bestBySilhouette = (ps: readonly KCandidate[]) =>
    ps.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const below = candidates.filter((c) => c.k < floor);
  const above = candidates.filter((c) => c.k >= floor);
  const to = candidates[candidates.length - 1]!.k;
  if (above.length === 0) {
    const best = bestBySilhouette(candidates);
    return {
      k: best.k,
      rule: 'too-few',
      silhouette: best.silhouette,
      bestAboveFloor: -1,
      from: candidates[0]!.k,
      to,
    };
  }
  const bestAbove = bestBySilhouette(above);
  const from = above[0]!.k;
  if (below.length > 0) {
    const bestBelow = bestBySilhouette(below);
    if (
      bestBelow.silhouette >= STRONG_SILHOUETTE &&
      bestBelow.silhouette >= bestAbove.silhouette + STRONG_MARGIN
    ) {
      return {
        k: bestBelow.k,
        rule: 'strong-small',
        silhouette: bestBelow.silhouette,
        bestAboveFloor: bestAbove.silhouette,
        from,
        to,
      };
    }
  }
  const browsable = above.filter((c) => c.largestShare <= maxShare);
  if (browsable.length > 0) {
    const best = bestBySilhouette(browsable);
    return {
      k: best.k,
      rule: 'browsable',
      silhouette: best.silhouette,
      bestAboveFloor: bestAbove.silhouette,
      from,
      to,
    };
  }
  const flattest = above.reduce((a, b) =>
    b.largestShare < a.largestShare ||
    (b.largestShare === a.largestShare && b.silhouette > a.silhouette)
      ? b
      : a,
  );
  return {
    k: flattest.k,
    rule: 'smallest-largest',
    silhouette: flattest.silhouette,
    bestAboveFloor: bestAbove.silhouette,
    from,
    to,
  };
}

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/** The sentence for a choice, with the largest cluster's share of the final clustering. */
export function reasonFor(
  choice: KChoice,
  largestShare: number,
  options: { kFloor?: number; maxShare?: number } = {},
): string {
  const floor = options.kFloor ?? DEFAULT_K_FLOOR;
  const maxShare = options.maxShare ?? DEFAULT_MAX_SHARE;
  const sil = choice.silhouette.toFixed(2);
  const largest = `the largest holds ${percent(largestShare)} of the photos`;
  switch (choice.rule) {
    case 'strong-small':
      return (
        `k = ${choice.k}: the photos fall into ${choice.k} clearly separate groups ` +
        `(silhouette ${sil}, against at most ${choice.bestAboveFloor.toFixed(2)} ` +
        `for ${choice.from} to ${choice.to} groups); ${largest}.`
      );
    case 'browsable':
      return (
        `k = ${choice.k}: best separation (silhouette ${sil}) between ${choice.from} and ` +
        `${choice.to} groups with none over ${percent(maxShare)} of the photos; ${largest}.`
      );
    case 'smallest-largest':
      return (
        `k = ${choice.k}: every k from ${choice.from} to ${choice.to} leaves one group over ` +
        `${percent(maxShare)} of the photos, and this k the smallest; ${largest}.`
      );
    case 'too-few':
      return (
        `k = ${choice.k}: best separation (silhouette ${sil}) between ${choice.from} and ` +
        `${choice.to} groups; too few photos for ${floor} or more; ${largest}.`
      );
  }
}

/**
 * The near-duplicate groups as the clustering sees them. Each group takes part as one point: its
 * photos' mean vector, weighing as many photos as it holds. On unit vectors the cosine distance
 * is 1 - x . y, so a photo's total distance to a group's members is w (1 - x . mean): with the
 * mean, the k-medoids cost is exactly that of every photo clustered with the group held
 * together, whatever the group's shape. The group's candidate medoid is its most central photo
 * (the largest dot product with the mean), so a medoid is always a real photo; the silhouette
 * takes that photo's, with its real distances to every photo, for each photo of the group.
 *
 * Why not one member at its own place: the previous version let the group's first row stand
 * for all of it, which moved every photo of the group to that copy. A cropped or brightened
 * copy sat up to 0.12 from the rest of its group (a third of the distance between unrelated
 * pictures on the fingerprint), a pair sat at one end, and which copy it was followed the order
 * the files were indexed in: on bench/cluster-quality.ts's 572 photos, 30 orders of the same
 * photos gave k 21 to 23, a largest cluster of 17 % to 37 % and ARI 0.09 to 0.20.
 */
interface DuplicateGroups {
  /** Rows that take part: every photo in no group, and each group's most central photo. */
  pool: Int32Array;
  /** The pool row that stands for each row (itself outside a group). */
  representative: Int32Array;
  /** Photos each pool row stands for (0 for rows outside the pool). */
  weight: Float64Array;
  /** Each group's mean vector (not normalised), `dim` numbers per group, found through `slot`. */
  means: Float32Array;
  /** The group (index into `means`) of a pool row standing for a group of two or more, else -1. */
  slot: Int32Array;
}

function duplicateGroupsOf(
  embeddings: EmbeddingSet,
  groups: Int32Array | undefined,
): DuplicateGroups {
  const n = embeddings.ids.length;
  const { vectors, dim } = embeddings;
  const representative = Int32Array.from({ length: n }, (_, row) => row);
  const weight = new Float64Array(n);
  const slot = new Int32Array(n).fill(-1);
  const membersOf = new Map<number, number[]>();
  if (groups) {
    for (let row = 0; row < n; row++) {
      const group = groups[row]!;
      if (group < 0) continue;
      const members = membersOf.get(group);
      if (members) members.push(row);
      else membersOf.set(group, [row]);
    }
  }
  let groupCount = 0;
  for (const members of membersOf.values()) if (members.length > 1) groupCount++;
  const means = new Float32Array(groupCount * dim);
  const sum = new Float64Array(dim);
  let next = 0;
  for (const members of membersOf.values()) {
    if (members.length < 2) continue;
    sum.fill(0);
    for (const row of members) {
      const at = row * dim;
      for (let d = 0; d < dim; d++) sum[d]! += vectors[at + d]!;
    }
    for (let d = 0; d < dim; d++) means[next * dim + d] = sum[d]! / members.length;
    // The member nearest the mean has the least total distance to the others (the group's own
    // medoid). The tolerance keeps the first row between equally central copies (a pair).
    let centre = members[0]!;
    let best = -Infinity;
    for (const row of members) {
      const dot = dotRows(vectors, row, means, next, dim);
      if (dot > best + 1e-6) {
        best = dot;
        centre = row;
      }
    }
    for (const row of members) representative[row] = centre;
    slot[centre] = next++;
  }
  const pool: number[] = [];
  for (let row = 0; row < n; row++) {
    weight[representative[row]!]! += 1;
    if (representative[row] === row) pool.push(row);
  }
  return { pool: Int32Array.from(pool), representative, weight, means, slot };
}

/** Cosine distance from pool row `row`'s point (its group's mean, or its own vector) to a photo. */
function pointDistance(
  embeddings: EmbeddingSet,
  groups: DuplicateGroups,
  row: number,
  photo: number,
): number {
  const { vectors, dim } = embeddings;
  const g = groups.slot[row]!;
  if (g < 0) return cosineDistanceRows(vectors, row, vectors, photo, dim);
  const d = 1 - dotRows(groups.means, g, vectors, photo, dim);
  return d > 0 ? d : 0;
}

/**
 * Distances between the pool rows `rows` for k-medoids: entry [c * s + o] is the distance from
 * candidate medoid c (a real photo) to point o (its group's mean, or the photo itself), so it is
 * not symmetric where groups are. Without groups it is the plain cosine distance matrix; with
 * them only the groups' columns are computed again.
 */
function candidateMatrix(
  embeddings: EmbeddingSet,
  groups: DuplicateGroups,
  rows: Int32Array,
): Float32Array {
  const { vectors, dim } = embeddings;
  const matrix = cosineDistanceMatrix(vectors, dim, rows);
  const s = rows.length;
  for (let o = 0; o < s; o++) {
    if (groups.slot[rows[o]!]! < 0) continue;
    for (let c = 0; c < s; c++)
      matrix[c * s + o] = pointDistance(embeddings, groups, rows[o]!, rows[c]!);
  }
  return matrix;
}

/** k-medoids clustering of an embedding set; see the file comment for the method. */
export function clusterEmbeddings(
  embeddings: EmbeddingSet,
  options: ClusterOptions = {},
): ClusterResult {
  const n = embeddings.ids.length;
  const scores: ClusterScores = { silhouette: [], daviesBouldin: [], elbow: [] };
  if (n === 0) return { k: 0, method: 'empty', reason: 'No photos yet.', scores, clusters: [] };
  if (options.duplicateGroups && options.duplicateGroups.length !== n) {
    throw new RangeError('duplicateGroups must have one entry per photo');
  }
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const maxPamSize = options.maxPamSize ?? 2500;
  const fixedK = options.k === undefined || options.k === 'auto' ? null : options.k;
  if (fixedK !== null && (!Number.isInteger(fixedK) || fixedK < 1)) {
    throw new Error(`k must be a positive integer or 'auto', got ${String(options.k)}`);
  }
  const groups = duplicateGroupsOf(embeddings, options.duplicateGroups);
  const { pool, representative, weight } = groups;
  const grouped = pool.length < n;
  // m distinct pictures (a near-duplicate group counts once); sampling draws from them.
  const m = pool.length;
  const positionOf = new Map<number, number>();
  for (let p = 0; p < m; p++) positionOf.set(pool[p]!, p);
  const full = m <= maxPamSize;
  // A sample must hold several photos per cluster, so a large fixed k widens it.
  const s = full ? m : Math.min(m, Math.max(options.sampleSize ?? 2000, 4 * (fixedK ?? 0)));
  const maxPasses = options.maxPasses ?? 50;
  const rowOf = rowIndex(embeddings.ids);
  const warmRows: number[] = [];
  for (const p of options.previous ?? []) {
    const r = rowOf.get(p.medoidId);
    // A previous medoid that has since joined a near-duplicate group seeds as its group.
    if (r !== undefined && !warmRows.includes(representative[r]!))
      warmRows.push(representative[r]!);
  }
  const kFloor = options.kFloor ?? DEFAULT_K_FLOOR;
  const maxShare = options.maxShare ?? DEFAULT_MAX_SHARE;

  const kMin = Math.max(2, options.kMin ?? 2);
  // sqrt of the photos, not of the distinct pictures: a library of bursts still wants as many
  // clusters to browse as its size suggests, as long as there are pictures enough to fill them.
  const kMax = Math.min(options.kMax ?? Math.min(30, Math.floor(Math.sqrt(n))), s - 1);
  const range: number[] = [];
  if (fixedK === null || (options.scoreRange ?? true)) {
    for (let k = kMin; k <= kMax; k++) range.push(k);
  }
  if (fixedK === null && range.length === 0) {
    // Too few photos to compare two or more clusters: everything is one cluster.
    return finish(
      embeddings,
      Int32Array.of(
        pool[
          medoid1(
            candidateMatrix(embeddings, groups, pool),
            m,
            grouped ? Float64Array.from(pool, (r) => weight[r]!) : undefined,
          )
        ]!,
      ),
      1,
      'single cluster (too few photos)',
      () => 'One group: too few photos to compare groups.',
      scores,
      options.previous,
      grouped ? groups : null,
    );
  }
  const targetK = fixedK === null ? -1 : Math.min(fixedK, m);
  const claraSamples = full ? 1 : Math.max(1, options.claraSamples ?? 2);
  const progressTotal = range.length + (claraSamples - 1) + 1;
  let progress = 0;
  const tick = () => options.onProgress?.(++progress, progressTotal);

  const fromPositions = (positions: Int32Array) => Int32Array.from(positions, (p) => pool[p]!);
  const rows = full
    ? pool
    : fromPositions(
        sampleRows(
          m,
          s,
          random,
          warmRows.map((r) => positionOf.get(r)!),
        ),
      );
  const sampleWarm: number[] = [];
  {
    const inSample = new Map<number, number>();
    for (let i = 0; i < rows.length; i++) inSample.set(rows[i]!, i);
    for (const r of warmRows) {
      const i = inSample.get(r);
      if (i !== undefined) sampleWarm.push(i);
    }
  }
  const matrix = candidateMatrix(embeddings, groups, rows);
  // Each picture weighs as many photos as it stands for, in the medoid cost, the silhouette,
  // the cluster shares and the elbow: clustering the pictures is then clustering every photo
  // with each group held together. Counted once, a family of 12 copies weighed like one photo
  // and the choice drifted to fewer, looser clusters (bench/README.md, cluster quality).
  const weightsOf = (sampleRows: Int32Array) =>
    grouped ? Float64Array.from(sampleRows, (r) => weight[r]!) : undefined;
  const sampleWeights = weightsOf(rows);
  let sampleWeight = 0;
  for (let o = 0; o < s; o++) sampleWeight += weight[rows[o]!]!;
  const scale = n / sampleWeight;

  const pamAt = new Map<number, PamResult>();
  const candidates: KCandidate[] = [];
  for (const k of range) {
    const pam = fasterPam(
      matrix,
      s,
      startMedoids(matrix, s, k, random, sampleWarm, sampleWeights),
      maxPasses,
      sampleWeights,
    );
    pamAt.set(k, pam);
    // Row i of the matrix holds photo i's distances to each point's photos on average, its own
    // group's included (the diagonal is not 0 for a group): the silhouette of that photo.
    const sil = silhouetteFromMatrix(matrix, s, pam.labels, k, sampleWeights);
    const scatter = new Float64Array(k);
    const photos = new Float64Array(k);
    let cost = 0;
    for (let o = 0; o < s; o++) {
      const c = pam.labels[o]!;
      const d = matrix[pam.medoids[c]! * s + o]!;
      const w = weight[rows[o]!]!;
      scatter[c]! += w * d;
      photos[c]! += w;
      cost += w * d;
    }
    for (let c = 0; c < k; c++) scatter[c] = photos[c]! > 0 ? scatter[c]! / photos[c]! : 0;
    const md = new Float32Array(k * k);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        // Between the medoid photos themselves (the matrix holds photo-to-group-mean distances).
        md[a * k + b] = cosineDistanceRows(
          embeddings.vectors,
          rows[pam.medoids[a]!]!,
          embeddings.vectors,
          rows[pam.medoids[b]!]!,
          embeddings.dim,
        );
      }
    }
    scores.silhouette.push({ k, value: sil });
    scores.daviesBouldin.push({ k, value: daviesBouldin(md, scatter, k) });
    scores.elbow.push({ k, cost: cost * scale });
    candidates.push({ k, silhouette: sil, largestShare: Math.max(...photos) / sampleWeight });
    tick();
  }
  const choice = fixedK === null ? chooseK(candidates, { kFloor, maxShare }) : null;

  const k = choice ? choice.k : targetK;
  let pam = pamAt.get(k);
  if (!pam) {
    pam =
      k === 1
        ? {
            medoids: Int32Array.of(medoid1(matrix, s, sampleWeights)),
            labels: new Int32Array(s),
            cost: 0,
            swaps: 0,
          }
        : fasterPam(
            matrix,
            s,
            startMedoids(matrix, s, k, random, sampleWarm, sampleWeights),
            maxPasses,
            sampleWeights,
          );
  }
  let bestMedoids = Int32Array.from(pam.medoids, (medoid) => rows[medoid]!);
  if (!full) {
    let bestCost = poolCost(embeddings, bestMedoids, groups);
    for (let t = 1; t < claraSamples; t++) {
      // Later samples also carry the best medoids so far: CLARA can then only improve on them.
      const extraRows = fromPositions(
        sampleRows(
          m,
          s,
          random,
          Array.from(bestMedoids, (r) => positionOf.get(r)!),
        ),
      );
      const m2 = candidateMatrix(embeddings, groups, extraRows);
      const start = new Int32Array(k);
      for (let c = 0; c < k; c++) start[c] = c; // sampleRows put the must-rows first
      const res = fasterPam(m2, s, start, maxPasses, weightsOf(extraRows));
      const cand = Int32Array.from(res.medoids, (medoid) => extraRows[medoid]!);
      const cost = poolCost(embeddings, cand, groups);
      if (cost < bestCost) {
        bestCost = cost;
        bestMedoids = cand;
      }
      tick();
    }
  }
  const pictures = grouped ? `${m} distinct pictures of ${n} photos` : `${n} photos`;
  const how =
    (full
      ? `FasterPAM on all ${pictures}`
      : `CLARA: FasterPAM on ${claraSamples} samples of ${s} of ${pictures}, all ${n} photos assigned`) +
    (warmRows.length > 0 ? ', started from the previous medoids' : ', k-medoids++ start') +
    (grouped ? '; near-duplicate groups kept whole' : '') +
    (choice
      ? `; k=${k} by silhouette in ${kMin}..${kMax}, at least ${kFloor} unless clearly fewer, largest cluster at most ${percent(maxShare)} where possible`
      : `; k=${k} fixed`) +
    (range.length > 0 ? (full ? '; scores on all photos' : `; scores on a sample of ${s}`) : '');
  const result = finish(
    embeddings,
    bestMedoids,
    k,
    how,
    (largestShare) =>
      choice
        ? reasonFor(choice, largestShare, { kFloor, maxShare })
        : `k = ${k}, as chosen; the largest group holds ${percent(largestShare)} of the photos.`,
    scores,
    options.previous,
    grouped ? groups : null,
  );
  tick();
  return result;
}

/** The point with the least (weighted) distance to all the others. */
function medoid1(matrix: Float32Array, s: number, weights?: Float64Array): number {
  let best = 0;
  let bestSum = Infinity;
  for (let i = 0; i < s; i++) {
    let sum = 0;
    for (let j = 0; j < s; j++) sum += (weights ? weights[j]! : 1) * matrix[i * s + j]!;
    if (sum < bestSum) {
      bestSum = sum;
      best = i;
    }
  }
  return best;
}

function finish(
  embeddings: EmbeddingSet,
  medoidRows: Int32Array,
  k: number,
  method: string,
  reason: (largestShare: number) => string,
  scores: ClusterScores,
  previous: readonly PreviousCluster[] | undefined,
  groups: DuplicateGroups | null,
): ClusterResult {
  const { labels, distances } = assignToMedoids(embeddings, medoidRows);
  if (groups) {
    // A group goes to the medoid nearest its photos together (its mean), as k-medoids placed it.
    for (const rep of groups.pool) {
      if (groups.slot[rep]! < 0) continue;
      let bd = Infinity;
      for (let c = 0; c < medoidRows.length; c++) {
        const d = pointDistance(embeddings, groups, rep, medoidRows[c]!);
        if (d < bd) {
          bd = d;
          labels[rep] = c;
        }
      }
    }
  }
  // A medoid is its own nearest medoid unless two medoids are duplicates; pin it anyway so
  // every cluster lists its representative (and, with groups, keeps the group it stands for).
  for (let c = 0; c < medoidRows.length; c++) {
    labels[medoidRows[c]!] = c;
    distances[medoidRows[c]!] = 0;
  }
  if (groups) {
    // Every near-duplicate follows the photo that stood for its group, so a group is never
    // split, measured against its cluster's medoid.
    const { vectors, dim } = embeddings;
    for (let o = 0; o < labels.length; o++) {
      const rep = groups.representative[o]!;
      if (rep === o) continue;
      labels[o] = labels[rep]!;
      distances[o] = cosineDistanceRows(vectors, o, vectors, medoidRows[labels[o]!]!, dim);
    }
    // The representative's own distance is to its medoid as a photo, not as the group's mean.
    for (const rep of groups.pool) {
      if (groups.slot[rep]! < 0) continue;
      distances[rep] =
        medoidRows[labels[rep]!] === rep
          ? 0
          : cosineDistanceRows(vectors, rep, vectors, medoidRows[labels[rep]!]!, dim);
    }
  }
  const ids = previous
    ? assignStableIds(embeddings, medoidRows, labels, previous)
    : Int32Array.from(medoidRows, (_, c) => c);
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let o = 0; o < labels.length; o++) members[labels[o]!]!.push(o);
  const clusters: ClusterInfo[] = members.map((rowsOf, c) => {
    const medoid = medoidRows[c]!;
    rowsOf.sort((a, b) =>
      a === medoid ? -1 : b === medoid ? 1 : distances[a]! - distances[b]! || a - b,
    );
    return {
      id: ids[c]!,
      medoidId: embeddings.ids[medoid]!,
      size: rowsOf.length,
      memberIds: Int32Array.from(rowsOf, (r) => embeddings.ids[r]!),
      distances: Float32Array.from(rowsOf, (r) => distances[r]!),
    };
  });
  clusters.sort((a, b) => b.size - a.size || a.id - b.id);
  const largestShare = clusters.length > 0 ? clusters[0]!.size / labels.length : 0;
  return { k, method, reason: reason(largestShare), scores, clusters };
}
