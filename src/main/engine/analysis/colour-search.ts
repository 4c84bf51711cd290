// Colour search, two questions over one packed palette index.
//
// 1. "Which photos hold these colours?" (a query of hex colours: the Colours screen, `shoebox
//    colours`): COVERAGE. A photo's coverage of a query colour q is the share of its palette
//    closer to q than COVERAGE_RADIUS (15) in CIEDE2000:
//        coverage(q) = sum of share_j over the palette colours c_j with dE2000(q, c_j) < 15
//    which is the issue's own test of "holds the colour" (>= 15 % of the pixels within dE2000
//    15) asked of the palette instead of the pixels. With query shares t_i (normalised to sum 1)
//    the score is the least-held colour's coverage against what was asked for:
//        score = min_i min(1, coverage(q_i) / t_i).
//    One colour: the share of the photo in that colour (a photo 40 % red scores about 0.4, one
//    with a 5 % red speck 0.05). Two colours at 50/50: 1 when each covers half the photo, 0 when
//    either is missing, whatever the other does.
//    How good the estimate is depends on how tight the palette's clusters are: a palette colour
//    is the mean of a cluster of pixels, and a cluster that straddles the line at 15 counts
//    wholly in or wholly out. So palettes have 16 colours (features/palette.ts), and the line is
//    hard. Measured against the pixels (bench/colour-quality.ts's shareError, shares between 5
//    and 40 %), the mean error of a share was 4.1 points with 12 colours and a weight fading
//    from 12 to 18 (the fade counted part of every cluster just outside the line, which cost
//    more than it saved on straddling ones), and is 1.0 with 16 colours and the hard line (1.4
//    with 12 colours and the hard line, in a one-off run).
//    Why not the palette distance below: for one colour it is the share-weighted mean distance
//    of ALL the photo's colours to q, so a photo entirely of a dull neighbour of q beats a photo
//    that is 40 % exactly q and 60 % something else (1 in 5 top-5 results held too little of
//    the colour; bench/colour-quality.ts). Photos that hold none of the colours (score 0) come
//    after all that hold some, nearest first by their mean colour, so a query still fills its k.
//
// 2. "Which photos look like this one in colour?" (similar by colour): the EARTH MOVER'S
//    DISTANCE between whole palettes. A palette is up to PALETTE_SLOTS CIELAB colours with
//    shares; shares are normalised to sum 1 so both palettes carry the same mass. The distance
//    between palettes P and Q is the exact optimum of the transportation problem
//        min  sum_ij f_ij * dE76(p_i, q_j)   s.t.  sum_j f_ij = share(p_i),  sum_i f_ij = share(q_j),  f >= 0
//    i.e. the average colour difference a unit of pixels has to travel to turn one palette into
//    the other. It is solved exactly (successive shortest paths on the small bipartite graph),
//    not by the greedy single reordering of colours, which can be wrong (see the tests).
//    Score: `max(0, 1 - distance / 100)`: 1 for identical palettes, 0 at or beyond the distance
//    between black and white (dE 100).
//
// Speed. Library palettes live in one Float32Array (n*PALETTE_SLOTS*4: L, a, b, share).
// Coverage is an exact scan that gives up early (searchColours): a palette colour outside the
// query colour's lightness window is skipped with two comparisons; CIEDE2000 stops at the first
// lower bound that puts the pair out of reach (squaredDistanceToSlot); a photo is dropped as
// soon as what is left of its palette cannot reach the k-th best score; with several colours a
// photo is scored first on the colour that drops most photos per unit of work, learnt on a
// sample of rows that also seeds the top k. EMD: two lower bounds before any exact solve: the
// distance between the share-weighted mean colours (a valid EMD bound for equal masses, Rubner
// et al. 2000), then the larger of the two "independent minimisation" bounds (every colour sent
// whole to its nearest counterpart). Only palettes whose bound beats the current k-th best exact
// distance are solved exactly, so the top-k is exact.
import { hexToLab, labToHex } from '../../../shared/colour.ts';
import type { Lab } from '../../../shared/domain.ts';

/** Colours per palette row; palette extraction gives at most this many (features/palette.ts). */
export const PALETTE_SLOTS = 16;
/** A colour query names at most this many colours (the Colours screen, `shoebox colours`). */
export const MAX_QUERY_COLOURS = 5;
/** Floats per slot: L, a, b, share. */
export const SLOT_STRIDE = 4;
export const PALETTE_STRIDE = PALETTE_SLOTS * SLOT_STRIDE;

export interface WeightedLab {
  lab: Lab;
  share: number;
}

export interface PaletteIndex {
  ids: Int32Array;
  /** n*PALETTE_SLOTS*4 floats: L, a, b, share per slot; shares sum to 1; used slots first. */
  data: Float32Array;
  /** Colours used per palette (0 = no palette: never returned by a search). */
  counts: Uint8Array;
  /** n*3: the share-weighted mean colour of each palette (for the centroid bound). */
  centroids: Float32Array;
}

export interface ColourMatch {
  id: number;
  /** Earth mover's distance to the query palette in CIE76 dE units. */
  distance: number;
  /** Colour queries: the coverage score in [0, 1] (see the top of this file). Similar by
   * colour: max(0, 1 - distance / 100). */
  score: number;
}

export interface ColourSearchResult {
  results: ColourMatch[];
  /** How many palettes were solved exactly (the rest were pruned by the lower bounds). */
  exactSolves: number;
  scanned: number;
}

export function colourScore(distance: number): number {
  return Math.max(0, 1 - distance / 100);
}

// ---------------------------------------------------------------------------------------------
// The exact solver. Module-level scratch: JS is single-threaded per isolate, and a query runs
// thousands of solves, so no allocation per solve.
const MAX = PALETTE_SLOTS;
const EPS = 1e-9;
const cost = new Float64Array(MAX * MAX);
const flow = new Float64Array(MAX * MAX);
const supply = new Float64Array(MAX);
const demand = new Float64Array(MAX);
const distS = new Float64Array(MAX);
const distT = new Float64Array(MAX);
const predS = new Int32Array(MAX);
const predT = new Int32Array(MAX);

/**
 * Exact EMD between palette rows: `a` at float offset `ao` with `m` colours and `b` at `bo` with
 * `k` colours, both in the packed L, a, b, share layout with shares summing to 1. Successive
 * shortest paths: each round finds the cheapest way to move more mass from a colour with mass
 * left to a colour with room left, through the residual graph (so earlier choices can be
 * undone), and moves as much as that path allows. Each round empties a supply, fills a demand or
 * cancels a flow, so a problem of a few colours a side finishes in a handful of rounds.
 */
export function emdPacked(
  a: Float32Array,
  ao: number,
  m: number,
  b: Float32Array,
  bo: number,
  k: number,
  plan?: Float64Array,
): number {
  if (m === 0 || k === 0) return Infinity;
  for (let i = 0; i < m; i++) {
    const pi = ao + i * SLOT_STRIDE;
    supply[i] = a[pi + 3]!;
    for (let j = 0; j < k; j++) {
      const qj = bo + j * SLOT_STRIDE;
      const dl = a[pi]! - b[qj]!;
      const da = a[pi + 1]! - b[qj + 1]!;
      const db = a[pi + 2]! - b[qj + 2]!;
      cost[i * MAX + j] = Math.sqrt(dl * dl + da * da + db * db);
      flow[i * MAX + j] = 0;
    }
  }
  for (let j = 0; j < k; j++) demand[j] = b[bo + j * SLOT_STRIDE + 3]!;
  // With a single colour on either side there is only one feasible plan.
  if (m === 1 || k === 1) {
    let total = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const f = m === 1 ? demand[j]! : supply[i]!;
        flow[i * MAX + j] = f;
        total += f * cost[i * MAX + j]!;
      }
    }
    if (plan) copyPlan(plan, m, k);
    return total;
  }
  let total = 0;
  for (let round = 0; round < 4 * MAX * MAX; round++) {
    for (let i = 0; i < m; i++) {
      distS[i] = supply[i]! > EPS ? 0 : Infinity;
      predS[i] = -1;
    }
    for (let j = 0; j < k; j++) {
      distT[j] = Infinity;
      predT[j] = -1;
    }
    // Bellman-Ford: forward edges i->j cost c_ij, backward j->i cost -c_ij where flow > 0.
    for (let pass = 0; pass < m + k; pass++) {
      let changed = false;
      for (let i = 0; i < m; i++) {
        const di = distS[i]!;
        if (di === Infinity) continue;
        for (let j = 0; j < k; j++) {
          const nd = di + cost[i * MAX + j]!;
          if (nd < distT[j]! - 1e-12) {
            distT[j] = nd;
            predT[j] = i;
            changed = true;
          }
        }
      }
      for (let j = 0; j < k; j++) {
        const dj = distT[j]!;
        if (dj === Infinity) continue;
        for (let i = 0; i < m; i++) {
          if (flow[i * MAX + j]! <= EPS) continue;
          const nd = dj - cost[i * MAX + j]!;
          if (nd < distS[i]! - 1e-12) {
            distS[i] = nd;
            predS[i] = j;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    let target = -1;
    for (let j = 0; j < k; j++) {
      if (demand[j]! > EPS && distT[j]! < Infinity && (target < 0 || distT[j]! < distT[target]!)) {
        target = j;
      }
    }
    if (target < 0) break;
    // Bottleneck along the path back from `target` to the source it starts at.
    let theta = demand[target]!;
    let j = target;
    let start = -1;
    for (let step = 0; step < 2 * MAX; step++) {
      const i = predT[j]!;
      const back = predS[i]!;
      if (back < 0) {
        start = i;
        break;
      }
      theta = Math.min(theta, flow[i * MAX + back]!);
      j = back;
    }
    if (start < 0) break;
    theta = Math.min(theta, supply[start]!);
    if (theta <= EPS) {
      // Only float dust is left to move; stop rather than spin on it.
      break;
    }
    j = target;
    for (let step = 0; step < 2 * MAX; step++) {
      const i = predT[j]!;
      flow[i * MAX + j]! += theta;
      const back = predS[i]!;
      if (back < 0) break;
      flow[i * MAX + back]! -= theta;
      j = back;
    }
    supply[start]! -= theta;
    demand[target]! -= theta;
    total += theta * distT[target]!;
  }
  if (plan) copyPlan(plan, m, k);
  return total;
}

function copyPlan(plan: Float64Array, m: number, k: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) plan[i * k + j] = flow[i * MAX + j]!;
}

// ---------------------------------------------------------------------------------------------
// Packing.

/** Writes a palette into `out` at palette row `row` with shares normalised; returns its size. */
function packInto(out: Float32Array, row: number, palette: readonly WeightedLab[]): number {
  const used = palette.filter((c) => c.share > 0).slice(0, PALETTE_SLOTS);
  let sum = 0;
  for (const c of used) sum += c.share;
  const base = row * PALETTE_STRIDE;
  if (sum <= 0) return 0;
  used.forEach((c, s) => {
    const o = base + s * SLOT_STRIDE;
    out[o] = c.lab.l;
    out[o + 1] = c.lab.a;
    out[o + 2] = c.lab.b;
    out[o + 3] = c.share / sum;
  });
  return used.length;
}

/** Packs one palette as a single-row array (what the search functions take as a query). */
export function packPalette(palette: readonly WeightedLab[]): {
  data: Float32Array;
  count: number;
} {
  const data = new Float32Array(PALETTE_STRIDE);
  return { data, count: packInto(data, 0, palette) };
}

/** Builds the search index from palettes as the catalog returns them. */
export function buildPaletteIndex(
  entries: readonly { id: number; palette: readonly WeightedLab[] }[],
): PaletteIndex {
  const n = entries.length;
  const data = new Float32Array(n * PALETTE_STRIDE);
  const counts = new Uint8Array(n);
  const ids = new Int32Array(n);
  entries.forEach((e, row) => {
    ids[row] = e.id;
    counts[row] = packInto(data, row, e.palette);
  });
  return { ids, data, counts, centroids: centroidsOf(data, counts) };
}

/**
 * Builds the index from rows already packed as n*PALETTE_SLOTS*4 (L, a, b, share; unused slots share 0), as
 * stored in bulk. Shares are renormalised into a new array; the caller's array is untouched.
 */
export function paletteIndexFromPacked(ids: Int32Array, packed: Float32Array): PaletteIndex {
  const n = ids.length;
  if (packed.length !== n * PALETTE_STRIDE)
    throw new Error(`packed palettes must be n*${PALETTE_SLOTS}*4 floats`);
  const data = new Float32Array(n * PALETTE_STRIDE);
  const counts = new Uint8Array(n);
  for (let row = 0; row < n; row++) {
    const colours: WeightedLab[] = [];
    for (let s = 0; s < PALETTE_SLOTS; s++) {
      const o = row * PALETTE_STRIDE + s * SLOT_STRIDE;
      const share = packed[o + 3]!;
      if (share > 0)
        colours.push({ lab: { l: packed[o]!, a: packed[o + 1]!, b: packed[o + 2]! }, share });
    }
    counts[row] = packInto(data, row, colours);
  }
  return { ids: Int32Array.from(ids), data, counts, centroids: centroidsOf(data, counts) };
}

function centroidsOf(data: Float32Array, counts: Uint8Array): Float32Array {
  const n = counts.length;
  const out = new Float32Array(n * 3);
  for (let row = 0; row < n; row++) {
    let l = 0;
    let a = 0;
    let b = 0;
    for (let s = 0; s < counts[row]!; s++) {
      const o = row * PALETTE_STRIDE + s * SLOT_STRIDE;
      const w = data[o + 3]!;
      l += w * data[o]!;
      a += w * data[o + 1]!;
      b += w * data[o + 2]!;
    }
    out[row * 3] = l;
    out[row * 3 + 1] = a;
    out[row * 3 + 2] = b;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pairwise distance.

/** Exact palette distance (EMD in CIE76 dE) between two palettes; Infinity if one is empty. */
export function paletteDistance(a: readonly WeightedLab[], b: readonly WeightedLab[]): number {
  const pa = packPalette(a);
  const pb = packPalette(b);
  return emdPacked(pa.data, 0, pa.count, pb.data, 0, pb.count);
}

/** The optimal plan as well: flow[i*kb+j] is the share moved from a's colour i to b's colour j
 * (indices into the palettes with their zero-share colours dropped). */
export function paletteTransport(
  a: readonly WeightedLab[],
  b: readonly WeightedLab[],
): { distance: number; flow: Float64Array } {
  const pa = packPalette(a);
  const pb = packPalette(b);
  const plan = new Float64Array(pa.count * pb.count);
  return { distance: emdPacked(pa.data, 0, pa.count, pb.data, 0, pb.count, plan), flow: plan };
}

// ---------------------------------------------------------------------------------------------
// Search.

export interface ColourSearchOptions {
  /** How many results. Default 50. */
  k?: number;
  /** Photo ids never returned (e.g. the query photo itself). */
  exclude?: ReadonlySet<number>;
}

/**
 * The k library palettes nearest to `query` by exact EMD, nearest first. Pruned by lower bounds
 * (see the file comment); the answer is the same as solving every palette.
 */
export function searchPalettes(
  index: PaletteIndex,
  query: readonly WeightedLab[],
  options: ColourSearchOptions = {},
): ColourSearchResult {
  const q = packPalette(query);
  if (q.count === 0) throw new Error('a colour query needs at least one colour with a share');
  return searchPacked(index, q.data, q.count, options);
}

function searchPacked(
  index: PaletteIndex,
  qd: Float32Array,
  qm: number,
  options: ColourSearchOptions,
): ColourSearchResult {
  const { data, counts, centroids, ids } = index;
  const n = ids.length;
  const k = Math.max(1, Math.min(options.k ?? 50, n));
  const exclude = options.exclude;
  let ql = 0;
  let qa = 0;
  let qb = 0;
  for (let s = 0; s < qm; s++) {
    const w = qd[s * SLOT_STRIDE + 3]!;
    ql += w * qd[s * SLOT_STRIDE]!;
    qa += w * qd[s * SLOT_STRIDE + 1]!;
    qb += w * qd[s * SLOT_STRIDE + 2]!;
  }

  // 1. Centroid bound for everyone.
  const bound = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    if (counts[row] === 0 || (exclude !== undefined && exclude.has(ids[row]!))) {
      bound[row] = Infinity;
      continue;
    }
    const dl = centroids[row * 3]! - ql;
    const da = centroids[row * 3 + 1]! - qa;
    const db = centroids[row * 3 + 2]! - qb;
    bound[row] = Math.sqrt(dl * dl + da * da + db * db);
  }

  // 2. Seed the top-k with the k smallest bounds, solved exactly, to get a first threshold.
  const heap = new TopK(k);
  const seeds = new TopK(k);
  for (let row = 0; row < n; row++) if (bound[row]! < Infinity) seeds.offer(row, bound[row]!);
  let exactSolves = 0;
  const solved = new Uint8Array(n);
  for (let s = 0; s < seeds.size; s++) {
    const row = seeds.rows[s]!;
    heap.offer(row, emdPacked(qd, 0, qm, data, row * PALETTE_STRIDE, counts[row]!));
    solved[row] = 1;
    exactSolves++;
  }

  // 3. The rest in increasing centroid-bound order, stopping once the bound reaches the k-th
  //    best exact distance so far. A bucket (counting) sort over [0, tau) orders them in two
  //    linear passes, where a comparison sort of ~100k rows would cost more than the search.
  let tau = heap.full() ? heap.worst() : Infinity;
  const limit = tau === Infinity ? maxFinite(bound) + 1 : tau;
  const buckets = 1024;
  const scale = buckets / limit;
  const start = new Int32Array(buckets + 1);
  for (let row = 0; row < n; row++) {
    const b = bound[row]!;
    if (!solved[row] && b < limit) start[Math.min(buckets - 1, Math.floor(b * scale)) + 1]!++;
  }
  for (let i = 0; i < buckets; i++) start[i + 1]! += start[i]!;
  const order = new Int32Array(start[buckets]!);
  const fill = start.slice(0, buckets);
  for (let row = 0; row < n; row++) {
    const b = bound[row]!;
    if (!solved[row] && b < limit)
      order[fill[Math.min(buckets - 1, Math.floor(b * scale))]!++] = row;
  }
  for (let bucket = 0; bucket < buckets; bucket++) {
    // Every row in this bucket has a bound of at least its lower edge.
    if (bucket / scale >= tau) break;
    for (let p = start[bucket]!; p < start[bucket + 1]!; p++) {
      const row = order[p]!;
      if (bound[row]! >= tau) continue;
      const m = counts[row]!;
      const off = row * PALETTE_STRIDE;
      // The tighter bound costs a few distances; it saves an exact solve most of the time.
      if (independentBound(qd, qm, data, off, m) >= tau) continue;
      const d = emdPacked(qd, 0, qm, data, off, m);
      exactSolves++;
      if (heap.offer(row, d) && heap.full()) tau = heap.worst();
    }
  }

  return {
    results: heap.sorted().map(({ row, value }) => ({
      id: ids[row]!,
      distance: value,
      score: colourScore(value),
    })),
    exactSolves,
    scanned: n,
  };
}

function maxFinite(values: Float32Array): number {
  let max = 0;
  for (const v of values) if (v < Infinity && v > max) max = v;
  return max;
}

/** max of the two independent-minimisation bounds: each side's colours sent whole to their
 * nearest colour on the other side. Both relax one set of constraints, so both are <= EMD. */
function independentBound(
  qd: Float32Array,
  qm: number,
  data: Float32Array,
  off: number,
  m: number,
): number {
  let rows = 0;
  colMin.fill(Infinity, 0, m);
  for (let i = 0; i < qm; i++) {
    const qi = i * SLOT_STRIDE;
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      const pj = off + j * SLOT_STRIDE;
      const dl = qd[qi]! - data[pj]!;
      const da = qd[qi + 1]! - data[pj + 1]!;
      const db = qd[qi + 2]! - data[pj + 2]!;
      const d2 = dl * dl + da * da + db * db;
      if (d2 < best) best = d2;
      if (d2 < colMin[j]!) colMin[j] = d2;
    }
    rows += qd[qi + 3]! * Math.sqrt(best);
  }
  let cols = 0;
  for (let j = 0; j < m; j++) cols += data[off + j * SLOT_STRIDE + 3]! * Math.sqrt(colMin[j]!);
  return rows > cols ? rows : cols;
}
const colMin = new Float64Array(MAX);

/** Colour query: 1 to 5 hex colours, optional shares (equal by default); scored by coverage. */
export function searchByHex(
  index: PaletteIndex,
  colours: readonly (string | { hex: string; share?: number })[],
  options: ColourSearchOptions = {},
): ColourSearchResult {
  if (colours.length < 1 || colours.length > MAX_QUERY_COLOURS) {
    throw new Error(
      `a colour query takes 1 to ${MAX_QUERY_COLOURS} colours, got ${colours.length}`,
    );
  }
  const query = colours.map((c) => {
    const hex = typeof c === 'string' ? c : c.hex;
    const share = typeof c === 'string' ? 1 : (c.share ?? 1);
    if (!(share > 0)) throw new Error(`colour share must be positive, got ${share}`);
    return { lab: hexToLab(hex), share };
  });
  return searchColours(index, query, options);
}

// ---------------------------------------------------------------------------------------------
// Coverage (see the top of this file).

/** A palette colour closer than this (CIEDE2000) to a query colour counts towards it in full;
 * one this far or farther not at all (the line for "holds the colour", "within 15";
 * a colour at exactly 15 is left out so that the scan's "out of reach" answer, RADIUS2, needs
 * no second test). */
export const COVERAGE_RADIUS = 15;
const RADIUS2 = COVERAGE_RADIUS * COVERAGE_RADIUS;
const POW25_7 = 25 ** 7;
const DEG = Math.PI / 180;
const COS30 = Math.cos(30 * DEG);
const SIN30 = Math.sin(30 * DEG);
const COS6 = Math.cos(6 * DEG);
const SIN6 = Math.sin(6 * DEG);
const COS63 = Math.cos(63 * DEG);
const SIN63 = Math.sin(63 * DEG);
const COS275 = Math.cos(275 * DEG);
const SIN275 = Math.sin(275 * DEG);
/** Above the largest value of CIEDE2000's hue weighting T over all hues (1.5725). */
const T_MAX = 1.58;
/** Just above sin(60 degrees), the most the rotation term's sine reaches (its angle is <= 30). */
const SIN60 = 0.86603;
/** Just above the largest size of the rotation term's factor R_T: 2 sin(60 degrees). */
const ROTATION_MAX = 2 * SIN60;
/** A lower bound must clear the radius by this much to count, far above rounding error. */
const BOUND_SLACK = 1e-6;

/**
 * Where squaredDistanceToSlot leaves its answer. A double passed into or returned from a
 * function the JIT does not inline is boxed on the heap, and the coverage scan compares a
 * million colour pairs a query: boxing them doubled the query time (mostly garbage collection).
 */
const pairResult = new Float64Array(1);
/** Lightness this far apart or farther is out of reach whatever the rest (S_L is at most 1.75). */
const L_REACH2 = 3.0625 * RADIUS2;

/**
 * Squared CIEDE2000 difference (kL = kC = kH = 1) between query colour (l1, a1, b1) with chroma
 * c1 and a palette colour (l2, a2, b2) stored as the index stores it (32-bit floats), or
 * RADIUS2 for a pair out of reach. The formula of squaredDistanceToSlot, for tests and tools.
 */
export function deltaE2000SquaredCapped(
  l1: number,
  a1: number,
  b1: number,
  c1: number,
  l2: number,
  a2: number,
  b2: number,
): number {
  const query = Float64Array.of(l1, a1, b1, c1, 1, -Infinity, Infinity, rotationBound(a1, b1));
  squaredDistanceToSlot(query, 0, Float32Array.of(l2, a2, b2), 0);
  return pairResult[0]!;
}

/**
 * The most the rotation term's factor |R_T| = rc |sin(2 dTheta)| can be for a pair with query
 * colour (a1, b1). dTheta = 30 exp(-((hBar - 275) / 25)^2) degrees peaks for blues, and the mean
 * hue hBar of a pair is never more than 90 degrees from either hue; a' = G a moves a hue by at
 * most 11.54 degrees (G <= 1.5). So for a query hue far from 275 the term is small, and the
 * lower bounds in squaredDistanceToSlot are nearly exact; for a blue or grey query it is the
 * general bound, 2 sin(60 degrees).
 */
function rotationBound(a1: number, b1: number): number {
  if (a1 === 0 && b1 === 0) return ROTATION_MAX;
  const hue = Math.atan2(b1, a1) / DEG;
  const fromBlue = Math.abs(((((hue - 275) % 360) + 540) % 360) - 180);
  const hBarFromBlue = fromBlue - 11.6 - 90;
  if (hBarFromBlue <= 0) return ROTATION_MAX;
  const dTheta = 30 * Math.exp(-((hBarFromBlue / 25) ** 2));
  return Math.min(ROTATION_MAX, 2 * Math.sin(2 * dTheta * DEG) * 1.0001 + 1e-9);
}

/**
 * Squared CIEDE2000 difference (kL = kC = kH = 1) between the query colour at q[qi] (L, a, b,
 * chroma; rotation bound at q[qi + 7]) and the palette colour at data[o] (L, a, b), written to
 * pairResult[0]; RADIUS2 (or more) as soon as a lower bound shows the pair is out of reach. The
 * same formula as shared/colour.ts's deltaE2000 (Sharma, Wu and Dalal 2005), rearranged to need no
 * trigonometry for most pairs: the hue difference comes from the a'b' vectors (dH'^2 = |v1 - v2|^2
 * - dC'^2, its sign from their cross product), the mean hue's cosines from the bisector of the two
 * unit hue vectors and multiple-angle identities. The rotation term is for blues (mean hue near
 * 275 degrees); more than 90 degrees from there it changes dE^2 by less than 1e-3 and is left out.
 */
function squaredDistanceToSlot(q: Float64Array, qi: number, data: Float32Array, o: number): void {
  const l1 = q[qi]!;
  const l2 = data[o]!;
  const dL = l2 - l1;
  pairResult[0] = RADIUS2;
  if (dL * dL >= L_REACH2) return;
  const lBar = (l1 + l2) / 2 - 50;
  const lBar2 = lBar * lBar;
  const sl = 1 + (0.015 * lBar2) / Math.sqrt(20 + lBar2);
  const tl = dL / sl;
  const tl2 = tl * tl;
  // dE^2 >= tl^2: the chroma-hue part tc^2 + th^2 + rt*tc*th is >= 0 since |rt| <= 2.
  if (tl2 >= RADIUS2) return;
  const a1 = q[qi + 1]!;
  const b1 = q[qi + 2]!;
  const c1 = q[qi + 3]!;
  const a2 = data[o + 1]!;
  const b2 = data[o + 2]!;
  const c2 = Math.sqrt(a2 * a2 + b2 * b2);
  const cBar = (c1 + c2) / 2;
  const cBar3 = cBar * cBar * cBar;
  const cBar7 = cBar3 * cBar3 * cBar;
  const g1 = 1 + 0.5 * (1 - Math.sqrt(cBar7 / (cBar7 + POW25_7)));
  const a1p = g1 * a1;
  const a2p = g1 * a2;
  const c1p = Math.sqrt(a1p * a1p + b1 * b1);
  const c2p = Math.sqrt(a2p * a2p + b2 * b2);
  const dCp = c2p - c1p;
  const cBarP = (c1p + c2p) / 2;
  const tc = dCp / (1 + 0.045 * cBarP);
  let d2 = tl2 + tc * tc;
  if (c1p * c2p === 0) {
    pairResult[0] = d2; // no hue difference when either colour is grey
    return;
  }
  const da = a2p - a1p;
  const db = b2 - b1;
  const dH2 = da * da + db * db - dCp * dCp;
  let dHp = dH2 > 0 ? Math.sqrt(dH2) : 0;
  // Most pairs that get this far are still out of reach, and the rest of the formula (the mean
  // hue, T, the rotation term) costs the most. A lower bound first: T <= T_MAX, so
  // th >= |dH'| / (1 + 0.015 C' T_MAX); the rotation term is at most rotationBound |tc th| in
  // size; so dE^2 >= tl^2 + the least of tc^2 + th^2 - rotationBound |tc| th over th >= that.
  const rotation = q[qi + 7]!;
  const thLow = dHp / (1 + 0.015 * T_MAX * cBarP);
  const tcAbs = tc < 0 ? -tc : tc;
  const least =
    thLow >= 0.5 * rotation * tcAbs
      ? tc * tc + thLow * thLow - rotation * tcAbs * thLow
      : (1 - 0.25 * rotation * rotation) * tc * tc;
  if (tl2 + least >= RADIUS2 + BOUND_SLACK) return;
  if (a1p * b2 - b1 * a2p < 0) dHp = -dHp;
  // Mean hue: the bisector of the shorter arc between the two hues.
  let mx = a1p / c1p + a2p / c2p;
  let my = b1 / c1p + b2 / c2p;
  const m = Math.sqrt(mx * mx + my * my);
  if (m < 1e-9) {
    // Opposite hues: the bisector is undefined; take the reference's choice of angle.
    const h1 = hueRadians(b1, a1p);
    const h2 = hueRadians(b2, a2p);
    let h = h1 + h2;
    if (Math.abs(h1 - h2) <= Math.PI) h /= 2;
    else h = (h < 2 * Math.PI ? h + 2 * Math.PI : h - 2 * Math.PI) / 2;
    mx = Math.cos(h);
    my = Math.sin(h);
  } else {
    mx /= m;
    my /= m;
  }
  const cos2 = mx * mx - my * my;
  const sin2 = 2 * mx * my;
  const cos3 = mx * cos2 - my * sin2;
  const sin3 = my * cos2 + mx * sin2;
  const cos4 = cos2 * cos2 - sin2 * sin2;
  const sin4 = 2 * sin2 * cos2;
  const t =
    1 -
    0.17 * (mx * COS30 + my * SIN30) +
    0.24 * cos2 +
    0.32 * (cos3 * COS6 - sin3 * SIN6) -
    0.2 * (cos4 * COS63 + sin4 * SIN63);
  const th = dHp / (1 + 0.015 * cBarP * t);
  d2 += th * th;
  // Within 90 degrees of 275 (dot product with its direction > 0); beyond, the term is below
  // 1e-3 in dE^2.
  if (mx * COS275 + my * SIN275 > 0) {
    const cBarP3 = cBarP * cBarP * cBarP;
    const cBarP7 = cBarP3 * cBarP3 * cBarP;
    const rc = 2 * Math.sqrt(cBarP7 / (cBarP7 + POW25_7));
    // The rotation angle is at most 30 degrees, so the term is at most sin(60) rc |tc th| in
    // size (less away from blue, see rotationBound): most pairs are out of reach without the
    // trigonometry.
    const tcTh = tc * th;
    const sinBound = Math.min(SIN60, 0.5 * rotation);
    if (d2 - sinBound * rc * (tcTh < 0 ? -tcTh : tcTh) >= RADIUS2 + BOUND_SLACK) return;
    let hBar = Math.atan2(my, mx) / DEG;
    if (hBar < 0) hBar += 360;
    const dTheta = 30 * Math.exp(-Math.pow((hBar - 275) / 25, 2));
    d2 -= Math.sin(2 * dTheta * DEG) * rc * tc * th;
  }
  pairResult[0] = d2;
}

function hueRadians(b: number, a: number): number {
  const h = Math.atan2(b, a);
  return h >= 0 ? h : h + 2 * Math.PI;
}

/** Floats per query colour in CoverageQuery.lab: L, a, b, chroma, share, the lightness window
 * (lowest, highest) outside which a palette colour is out of reach, and rotationBound. */
const QUERY_STRIDE = 8;

/** The lightness term tl^2 of squaredDistanceToSlot, the same arithmetic. */
function lightnessTerm2(l1: number, l2: number): number {
  const dL = l2 - l1;
  const lBar = (l1 + l2) / 2 - 50;
  const lBar2 = lBar * lBar;
  const tl = dL / (1 + (0.015 * lBar2) / Math.sqrt(20 + lBar2));
  return tl * tl;
}

/**
 * The palette lightnesses within reach of a query colour of lightness l1: tl^2 < RADIUS2 holds
 * on one interval around l1 (S_L changes far more slowly than dL; checked for l1 in -5..105),
 * whose ends are found by bisection and widened by a margin far above rounding error. Tighter
 * than the fixed |dL| < 31.5 near mid-grey, where it is about |dL| < 20, and as cheap to test.
 */
function lightnessWindow(l1: number): [number, number] {
  const end = (direction: number) => {
    let inside = 0;
    let outside = 40;
    if (lightnessTerm2(l1, l1 + direction * outside) < RADIUS2) return direction * 1e9;
    for (let i = 0; i < 60; i++) {
      const mid = (inside + outside) / 2;
      if (lightnessTerm2(l1, l1 + direction * mid) < RADIUS2) inside = mid;
      else outside = mid;
    }
    return direction * (outside + 1e-6);
  };
  return [l1 + end(-1), l1 + end(1)];
}

/** Query colours, unpacked for the coverage loop. */
interface CoverageQuery {
  /** QUERY_STRIDE floats per colour: L, a, b, chroma, share (shares sum to 1), lightness
   * window, rotation bound. */
  lab: Float64Array;
  count: number;
  /** The order in which a row's colours are scored: offsets into `lab`, the colour that drops
   * the most rows for the least work first. */
  order: Int32Array;
}

function coverageQuery(query: readonly WeightedLab[]): CoverageQuery {
  const used = query.filter((c) => c.share > 0);
  if (used.length === 0) throw new Error('a colour query needs at least one colour with a share');
  const total = used.reduce((sum, c) => sum + c.share, 0);
  const lab = new Float64Array(used.length * QUERY_STRIDE);
  used.forEach((c, i) => {
    lab.set(
      [
        c.lab.l,
        c.lab.a,
        c.lab.b,
        Math.hypot(c.lab.a, c.lab.b),
        c.share / total,
        ...lightnessWindow(c.lab.l),
        rotationBound(c.lab.a, c.lab.b),
      ],
      i * QUERY_STRIDE,
    );
  });
  const order = Int32Array.from(used, (_, i) => i * QUERY_STRIDE);
  return { lab, count: used.length, order };
}

/**
 * Added to what is left of a palette's shares before a row is given up on: the stored shares
 * sum to 1 only to 32-bit rounding, and giving up on a row that could still enter would change
 * the answer, where scoring one more row only costs time.
 */
const SHARE_SLACK = 1e-6;

/**
 * How much of the query colour at q[qi] one palette row covers (the shares closer than
 * COVERAGE_RADIUS), or -1 as soon as the rest of the palette cannot bring it up to `target`.
 */
function coveredBy(
  q: Float64Array,
  qi: number,
  data: Float32Array,
  off: number,
  m: number,
  target: number,
): number {
  const lowest = q[qi + 5]!;
  const highest = q[qi + 6]!;
  let covered = 0;
  let left = 1 + SHARE_SLACK;
  for (let j = 0; j < m; j++) {
    const o = off + j * SLOT_STRIDE;
    const share = data[o + 3]!;
    // The lightness window turns away most pairs for the price of two comparisons, not a call.
    const l2 = data[o]!;
    if (l2 > lowest && l2 < highest) {
      squaredDistanceToSlot(q, qi, data, o);
      const d2 = pairResult[0]!;
      if (d2 < RADIUS2) covered += share;
    }
    left -= share;
    // Slots are in decreasing share order in practice, but the bound holds in any order.
    if (covered + left < target) return -1;
  }
  return covered;
}

/**
 * One palette row's coverage score for the query (see the top of this file), or any value below
 * `need` once the row cannot reach `need`. With `need` 0 it is the exact score.
 */
function coverageScore(
  q: CoverageQuery,
  data: Float32Array,
  off: number,
  m: number,
  need: number,
): number {
  let score = 1;
  for (let t = 0; t < q.count; t++) {
    const qi = q.order[t]!;
    const wanted = q.lab[qi + 4]!;
    const covered = coveredBy(q.lab, qi, data, off, m, need * wanted);
    if (covered < 0) return -1;
    const held = covered >= wanted ? 1 : covered / wanted;
    if (held < score) score = held;
    // A row that misses a colour scores 0 and is not a match at all.
    if (score < need || score <= 0) return score;
  }
  return score;
}

/** Coverage scores of one palette against query colours (for tests and tools). */
export function coverageOf(palette: readonly WeightedLab[], query: readonly WeightedLab[]): number {
  const p = packPalette(palette);
  if (p.count === 0) return 0;
  return coverageScore(coverageQuery(query), p.data, 0, p.count, 0);
}

/** Rows scored first, spread over the index, to learn which query colour is rarest and to give
 * the top k a first threshold before the scan. */
const SAMPLE_ROWS = 2048;

/**
 * The k photos that best hold the query colours, by coverage score (highest first; equal scores
 * in index order). When fewer than k photos hold any of it, the rest of the k follow with score
 * 0, nearest first by the distance between mean colours.
 *
 * Exact, and quick because most rows are given up on early (coverageScore's `need`): a row
 * must score at least the k-th best score so far to enter, so its colours are scored rarest
 * first (a row that lacks the rarest colour is dropped after one colour, not after all of
 * them), and a sample of rows scored before the scan gives that threshold from the start.
 * Which colour is rarest is measured on the sample. None of this changes the answer: a row's
 * score does not depend on the order its colours are scored in, and the top k is the k best
 * (score, then index order) whichever order rows are offered in.
 */
export function searchColours(
  index: PaletteIndex,
  query: readonly WeightedLab[],
  options: ColourSearchOptions = {},
): ColourSearchResult {
  const q = coverageQuery(query);
  const { data, counts, ids } = index;
  const n = ids.length;
  const k = Math.max(1, Math.min(options.k ?? 50, n));
  const exclude = options.exclude;
  const skip = (row: number) =>
    counts[row] === 0 || (exclude !== undefined && exclude.has(ids[row]!));
  // TopK keeps the smallest values: store -score.
  const heap = new TopK(k);
  let need = 0; // a row must score at least this to enter (and more than 0)
  const offer = (row: number, score: number) => {
    if (score > 0 && heap.offer(row, -score) && heap.full()) need = -heap.worst();
  };
  const stride = n >= 4 * SAMPLE_ROWS ? Math.floor(n / SAMPLE_ROWS) : 0;
  if (stride > 0) {
    // Per colour on the sample: the rows that hold some of it (the rest are dropped at that
    // colour) and the palette colours in its lightness window (about what scoring it costs).
    const holders = new Float64Array(q.count);
    const cost = new Float64Array(q.count);
    let sampled = 0;
    for (let row = 0; row < n; row += stride) {
      if (skip(row)) continue;
      sampled++;
      const off = row * PALETTE_STRIDE;
      const m = counts[row]!;
      let score = 1;
      for (let i = 0; i < q.count; i++) {
        const qi = i * QUERY_STRIDE;
        const wanted = q.lab[qi + 4]!;
        const covered = coveredBy(q.lab, qi, data, off, m, 0);
        if (covered > 0) holders[i]!++;
        for (let j = 0; j < m; j++) {
          const l2 = data[off + j * SLOT_STRIDE]!;
          if (l2 > q.lab[qi + 5]! && l2 < q.lab[qi + 6]!) cost[i]!++;
        }
        const held = covered >= wanted ? 1 : covered / wanted;
        if (held < score) score = held;
      }
      offer(row, score);
    }
    // A chain of filters costs least in increasing order of cost / share of rows dropped.
    const rank = (i: number) => (cost[i]! + sampled) / (sampled - holders[i]! + 1);
    const cheapestFirst = Array.from({ length: q.count }, (_, i) => i).sort(
      (x, y) => rank(x) - rank(y) || x - y,
    );
    cheapestFirst.forEach((i, t) => (q.order[t] = i * QUERY_STRIDE));
  }
  for (let row = 0; row < n; row++) {
    if ((stride > 0 && row % stride === 0) || skip(row)) continue;
    offer(row, coverageScore(q, data, row * PALETTE_STRIDE, counts[row]!, need));
  }
  const packedQuery = packPalette(
    Array.from({ length: q.count }, (_, i) => ({
      lab: {
        l: q.lab[i * QUERY_STRIDE]!,
        a: q.lab[i * QUERY_STRIDE + 1]!,
        b: q.lab[i * QUERY_STRIDE + 2]!,
      },
      share: q.lab[i * QUERY_STRIDE + 4]!,
    })),
  );
  const results: ColourMatch[] = heap.sorted().map(({ row, value }) => ({
    id: ids[row]!,
    distance: emdPacked(
      packedQuery.data,
      0,
      packedQuery.count,
      data,
      row * PALETTE_STRIDE,
      counts[row]!,
    ),
    score: -value,
  }));
  if (results.length < k) {
    // The tail holds none of the colours (or not all): nearest first by the distance between
    // the share-weighted mean colours, a pass over one stored array (an EMD search here would
    // cost more than the coverage scan itself on a 16-colour index).
    const held = new Set(results.map((r) => r.id));
    let ql = 0;
    let qa = 0;
    let qb = 0;
    for (let i = 0; i < q.count; i++) {
      const w = q.lab[i * QUERY_STRIDE + 4]!;
      ql += w * q.lab[i * QUERY_STRIDE]!;
      qa += w * q.lab[i * QUERY_STRIDE + 1]!;
      qb += w * q.lab[i * QUERY_STRIDE + 2]!;
    }
    const tail = new TopK(k - results.length);
    const { centroids } = index;
    for (let row = 0; row < n; row++) {
      const id = ids[row]!;
      if (counts[row] === 0 || held.has(id) || (exclude !== undefined && exclude.has(id))) continue;
      const dl = centroids[row * 3]! - ql;
      const da = centroids[row * 3 + 1]! - qa;
      const db = centroids[row * 3 + 2]! - qb;
      tail.offer(row, dl * dl + da * da + db * db);
    }
    for (const { row } of tail.sorted()) {
      const off = row * PALETTE_STRIDE;
      results.push({
        id: ids[row]!,
        distance: emdPacked(packedQuery.data, 0, packedQuery.count, data, off, counts[row]!),
        score: 0,
      });
    }
  }
  const exactSolves = results.length;
  return { results, exactSolves, scanned: n };
}

/** "Similar by colour": photos whose palettes are nearest to this photo's; the photo is left out. */
export function similarByColour(
  index: PaletteIndex,
  photoId: number,
  options: ColourSearchOptions = {},
): ColourSearchResult {
  const row = index.ids.indexOf(photoId);
  if (row < 0) throw new Error(`photo ${photoId} has no palette in the index`);
  const m = index.counts[row]!;
  if (m === 0) return { results: [], exactSolves: 0, scanned: 0 };
  const qd = index.data.slice(row * PALETTE_STRIDE, (row + 1) * PALETTE_STRIDE);
  const exclude = new Set(options.exclude ?? []);
  exclude.add(photoId);
  return searchPacked(index, qd, m, { ...options, exclude });
}

/** A photo's palette as hex swatches (the `palette` of cli.md's `colours` results), or null
 * when the photo is not in the index. */
export function paletteHexes(index: PaletteIndex, photoId: number): string[] | null {
  const row = index.ids.indexOf(photoId);
  if (row < 0) return null;
  const out: string[] = [];
  for (let s = 0; s < index.counts[row]!; s++) {
    const o = row * PALETTE_STRIDE + s * SLOT_STRIDE;
    out.push(labToHex({ l: index.data[o]!, a: index.data[o + 1]!, b: index.data[o + 2]! }));
  }
  return out;
}

/**
 * Bounded max-heap keeping the k smallest values; among equal values, the lowest rows. So the
 * k kept are the same whichever order rows are offered in (the colour search offers a sample
 * first), and the same as a scan in row order that keeps the first of equals.
 */
class TopK {
  readonly rows: Int32Array;
  readonly values: Float64Array;
  size = 0;
  constructor(private readonly k: number) {
    this.rows = new Int32Array(k);
    this.values = new Float64Array(k);
  }
  full(): boolean {
    return this.size === this.k;
  }
  worst(): number {
    return this.values[0]!;
  }
  /** Whether the entry at heap position i comes after (value, row). */
  private after(i: number, value: number, row: number): boolean {
    const v = this.values[i]!;
    return v > value || (v === value && this.rows[i]! > row);
  }
  /** Returns whether the value was kept. */
  offer(row: number, value: number): boolean {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (this.after(p, value, row)) break;
        this.values[i] = this.values[p]!;
        this.rows[i] = this.rows[p]!;
        i = p;
      }
      this.values[i] = value;
      this.rows[i] = row;
      return true;
    }
    if (!this.after(0, value, row)) return false;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.after(r, this.values[l]!, this.rows[l]!) ? r : l;
      if (!this.after(c, value, row)) break;
      this.values[i] = this.values[c]!;
      this.rows[i] = this.rows[c]!;
      i = c;
    }
    this.values[i] = value;
    this.rows[i] = row;
    return true;
  }
  sorted(): { row: number; value: number }[] {
    const out: { row: number; value: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ row: this.rows[i]!, value: this.values[i]! });
    return out.sort((a, b) => a.value - b.value || a.row - b.row);
  }
}
