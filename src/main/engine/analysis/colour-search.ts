// Colour search: palettes compared by the earth mover's distance in CIELAB.
//
// Definition. A palette is up to 5 CIELAB colours with shares; shares are normalised to sum 1
// so both palettes carry the same mass. The distance between palettes P and Q is the exact
// optimum of the transportation problem
//     min  sum_ij f_ij * dE76(p_i, q_j)   s.t.  sum_j f_ij = share(p_i),  sum_i f_ij = share(q_j),  f >= 0
// i.e. the earth mover's distance with CIE76 ground distance, in dE units: the average colour
// difference a unit of pixels has to travel to turn one palette into the other. It is solved
// exactly (successive shortest paths on the at most 5x5 bipartite graph), not by the greedy
// single reordering of colours, which can be wrong (see the tests).
//
// Score. `score = max(0, 1 - distance / 100)`: 1 for identical palettes, 0 at or beyond the
// distance between black and white (dE 100). Results are ordered by distance, which is the same
// order as score.
//
// Speed. Library palettes live in one Float32Array (n*5*4: L, a, b, share). A query computes
// two lower bounds before any exact solve: the distance between the share-weighted mean colours
// (a valid EMD bound for equal masses, Rubner et al. 2000), then the larger of the two
// "independent minimisation" bounds (every colour sent whole to its nearest counterpart). Only
// palettes whose bound beats the current k-th best exact distance are solved exactly, so the
// top-k is exact.
import { hexToLab, labToHex } from '../../../shared/colour.ts';
import type { Lab } from '../../../shared/domain.ts';

export const PALETTE_SLOTS = 5;
/** Floats per slot: L, a, b, share. */
export const SLOT_STRIDE = 4;
export const PALETTE_STRIDE = PALETTE_SLOTS * SLOT_STRIDE;

export interface WeightedLab {
  lab: Lab;
  share: number;
}

export interface PaletteIndex {
  ids: Int32Array;
  /** n*5*4 floats: L, a, b, share per slot; shares sum to 1; used slots first. */
  data: Float32Array;
  /** Colours used per palette (0 = no palette: never returned by a search). */
  counts: Uint8Array;
  /** n*3: the share-weighted mean colour of each palette (for the centroid bound). */
  centroids: Float32Array;
}

export interface ColourMatch {
  id: number;
  /** Earth mover's distance in CIE76 dE units. */
  distance: number;
  /** max(0, 1 - distance / 100). */
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
 * cancels a flow, so a 5x5 problem finishes in a handful of rounds.
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
 * Builds the index from rows already packed as n*5*4 (L, a, b, share; unused slots share 0), as
 * stored in bulk. Shares are renormalised into a new array; the caller's array is untouched.
 */
export function paletteIndexFromPacked(ids: Int32Array, packed: Float32Array): PaletteIndex {
  const n = ids.length;
  if (packed.length !== n * PALETTE_STRIDE) throw new Error('packed palettes must be n*5*4 floats');
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

/** Custom-palette query: 1 to 5 hex colours, optional shares (equal by default). */
export function searchByHex(
  index: PaletteIndex,
  colours: readonly (string | { hex: string; share?: number })[],
  options: ColourSearchOptions = {},
): ColourSearchResult {
  if (colours.length < 1 || colours.length > PALETTE_SLOTS) {
    throw new Error(`a colour query takes 1 to ${PALETTE_SLOTS} colours, got ${colours.length}`);
  }
  const query = colours.map((c) => {
    const hex = typeof c === 'string' ? c : c.hex;
    const share = typeof c === 'string' ? 1 : (c.share ?? 1);
    if (!(share > 0)) throw new Error(`colour share must be positive, got ${share}`);
    return { lab: hexToLab(hex), share };
  });
  return searchPalettes(index, query, options);
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

/** Bounded max-heap keeping the k smallest values. */
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
  /** Returns whether the value was kept. */
  offer(row: number, value: number): boolean {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (this.values[p]! >= value) break;
        this.values[i] = this.values[p]!;
        this.rows[i] = this.rows[p]!;
        i = p;
      }
      this.values[i] = value;
      this.rows[i] = row;
      return true;
    }
    if (value >= this.values[0]!) return false;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.values[r]! > this.values[l]! ? r : l;
      if (this.values[c]! <= value) break;
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
