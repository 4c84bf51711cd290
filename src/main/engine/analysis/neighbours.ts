// The neighbour graph: for every photo of the active embedding, its k most similar photos by
// cosine. Everything else (duplicate edges, "similar photos", cluster seeding) reads these lists.
//
// Method, chosen by size (see DEFAULT_EXACT_LIMIT): up to a few thousand photos an exact all-pairs
// pass in blocked dot products is affordable and has recall 1; beyond, a usearch HNSW index finds
// neighbours approximately, and its lists are symmetrised (if j is among i's neighbours, i is
// offered to j's list) which lifts recall at almost no cost.
//
// Persistence: the k-neighbour lists are the durable product (serialise/deserialise: typed arrays
// for the catalog), so opening a library rebuilds nothing. The HNSW index is only a tool for
// answering new queries; it can be saved to a file beside the catalog and loaded with the lists
// (saveIndex / deserialise's indexPath), and when that file is absent or stale the graph does not
// rebuild it on open: small additions are answered by exact brute force against the stored
// vectors (one photo against 100k is a few tens of ms), the index is rebuilt only when a batch of
// new photos is big enough that building it is cheaper than brute force, and removals refill the
// lists that held a removed photo from neighbours of neighbours (NN-descent's local join).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type * as Usearch from 'usearch';
import type { Index } from 'usearch';

// usearch, a native module, is loaded when a graph first needs its HNSW index (beyond
// DEFAULT_EXACT_LIMIT photos), so opening a library and one-shot commands do not pay for it.
// (Not named `require`: electron-vite declares its own in every chunk that mentions it.)
const loadPackage = createRequire(import.meta.url);
let usearchModule: typeof Usearch | null = null;
const usearch = (): typeof Usearch => (usearchModule ??= loadPackage('usearch') as typeof Usearch);

export interface EmbeddingSet {
  /** Photo ids: integers in [0, 2^31), since -1 marks an empty neighbour slot. */
  ids: Int32Array | readonly number[];
  /** n * dim values, each row L2-normalised (so cosine is a dot product). */
  vectors: Float32Array;
  dim: number;
}

export interface AnnOptions {
  /** HNSW edges per node (M). */
  connectivity: number;
  /** Beam width while inserting (efConstruction). */
  expansionAdd: number;
  /** Beam width while searching (ef). */
  expansionSearch: number;
}

export interface NeighbourGraphOptions {
  /** Neighbours per photo. Default 16. */
  k?: number;
  /** Libraries up to this many photos get exact lists; larger ones use the ANN index. */
  exactLimit?: number;
  /** Threads usearch may use. Default: all cores (the graph is built off the main thread). */
  threads?: number;
  ann?: Partial<AnnOptions>;
  /**
   * With the ANN index in memory, a batch of changes is answered by brute force while
   * (queries x photos) stays under this, and through the index above it. Default 2e6 (20 photos
   * at 100k, ~1 s of dot products).
   */
  bruteForceBudget?: number;
  /**
   * Without the index in memory, batches of up to this many new photos are still brute-forced;
   * a larger batch builds the index first. Default 500: one photo against 100k is ~50 ms of dot
   * products and building the index for 100k is ~40 s of CPU, so they cross near 500-800.
   */
  indexBuildThreshold?: number;
}

export interface SerialisedNeighbourGraph {
  version: 1;
  k: number;
  dim: number;
  method: 'exact' | 'ann';
  /** Photo id per row. */
  ids: Int32Array;
  /** Row i's neighbour photo ids at [i*k, (i+1)*k), most similar first; -1 marks an empty slot. */
  neighbourIds: Int32Array;
  /** Cosine similarity per slot (-Infinity for empty slots). */
  similarities: Float32Array;
}

export interface Neighbour {
  id: number;
  similarity: number;
}

export const DEFAULT_K = 16;
/**
 * Up to here the exact all-pairs pass is used. Measured (bench/analysis-duplicates.ts --crossover,
 * 2-core AMD EPYC, dim 512, k 16, wall time): exact 0.16 s / 0.56 s / 2.2 s / 8.7 s at 1k / 2k /
 * 4k / 8k photos; HNSW 0.08 s / 0.18 s / 0.84 s / 1.2 s. HNSW is faster throughout, but its recall
 * depends on the data (0.9999 on clustered vectors, 0.55 on isotropic ones at 10k), while exact is
 * right by construction. Exact grows with n^2, so it is kept while it costs under about a second.
 */
export const DEFAULT_EXACT_LIMIT = 2500;
/**
 * HNSW settings, measured at 100k clustered 512-d vectors with 10 % planted copies (k 16, after
 * symmetrising; CPU summed over 2 threads): connectivity 12 / expansion 40+40 took 46 s CPU for
 * recall@16 0.989 and 98.5 % of planted pairs >= 0.85; 16 / 40+40 took 51 s for 0.995 and 99.2 %;
 * 12 / 64+48 took 66 s for 0.996 and 99.8 %. Duplicates are what the lists are mostly for, so
 * the last; it still fits the 60 s target on two cores.
 */
export const DEFAULT_ANN: AnnOptions = { connectivity: 12, expansionAdd: 64, expansionSearch: 48 };

// Rows of the right-hand side per tile: 64 rows x 512 floats x 4 bytes = 128 KB, inside L2, so a
// tile is read from cache by every query pair that sweeps it.
const TILE = 64;
/** Rows per native index insertion (see indexAdd): about half a second of work at 100k. */
const ADD_CHUNK = 2048;

export class NeighbourGraph {
  readonly k: number;
  readonly dim: number;
  private readonly exactLimit: number;
  private readonly threads: number;
  private readonly ann: AnnOptions;
  private readonly bruteForceBudget: number;
  private readonly indexBuildThreshold: number;

  private count = 0;
  private capacity = 0;
  private rowIds = new Int32Array(0);
  private vectors = new Float32Array(0);
  private nbrIds = new Int32Array(0);
  private nbrSims = new Float32Array(0);
  private readonly rowOf = new Map<number, number>();
  private index: Index | null = null;
  private builtWith: 'exact' | 'ann' = 'exact';

  private constructor(dim: number, options: NeighbourGraphOptions) {
    this.k = options.k ?? DEFAULT_K;
    if (!Number.isInteger(this.k) || this.k < 1)
      throw new RangeError(`k must be >= 1, got ${this.k}`);
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be >= 1, got ${dim}`);
    this.dim = dim;
    this.exactLimit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
    this.threads = options.threads ?? availableParallelism();
    this.ann = { ...DEFAULT_ANN, ...options.ann };
    this.bruteForceBudget = options.bruteForceBudget ?? 2e6;
    this.indexBuildThreshold = options.indexBuildThreshold ?? 500;
  }

  /** Builds the graph of a whole embedding set: exact up to exactLimit photos, HNSW above. */
  static build(set: EmbeddingSet, options: NeighbourGraphOptions = {}): NeighbourGraph {
    const g = new NeighbourGraph(set.dim, options);
    const n = checkSet(set);
    g.reserve(withHeadroom(n));
    for (let i = 0; i < n; i++) g.appendRow(set.ids[i]!, set.vectors, i * set.dim);
    if (n <= g.exactLimit) {
      g.builtWith = 'exact';
      g.exactAllPairs();
    } else {
      g.builtWith = 'ann';
      g.ensureIndex();
      g.annRefresh(allRows(n));
    }
    return g;
  }

  /**
   * Reopens a graph from its serialised lists and the same embeddings, without recomputing any
   * neighbours. With `indexPath` (a file written by saveIndex) the ANN index is loaded too, if it
   * holds exactly these photos; otherwise it is left unbuilt until a large batch needs it.
   */
  static deserialise(
    data: SerialisedNeighbourGraph,
    set: EmbeddingSet,
    options: NeighbourGraphOptions & { indexPath?: string } = {},
  ): NeighbourGraph {
    if (data.version !== 1) throw new Error(`unknown neighbour graph version ${data.version}`);
    if (set.dim !== data.dim) throw new Error(`embedding dim ${set.dim} != graph dim ${data.dim}`);
    const g = new NeighbourGraph(data.dim, { ...options, k: data.k });
    const n = checkSet(set);
    if (n !== data.ids.length) {
      throw new Error(`graph has ${data.ids.length} photos but ${n} embeddings were given`);
    }
    g.builtWith = data.method;
    g.reserve(withHeadroom(n));
    const setRow = new Map<number, number>();
    for (let i = 0; i < n; i++) setRow.set(set.ids[i]!, i);
    for (let r = 0; r < n; r++) {
      const id = data.ids[r]!;
      const i = setRow.get(id);
      if (i === undefined) throw new Error(`photo ${id} of the graph has no embedding`);
      g.appendRow(id, set.vectors, i * set.dim);
    }
    g.nbrIds.set(data.neighbourIds.subarray(0, n * g.k));
    g.nbrSims.set(data.similarities.subarray(0, n * g.k));
    if (options.indexPath !== undefined && existsSync(options.indexPath))
      g.loadIndex(options.indexPath);
    return g;
  }

  get size(): number {
    return this.count;
  }

  /** How the lists were first built; incremental changes keep the lists exact or near it. */
  get method(): 'exact' | 'ann' {
    return this.builtWith;
  }

  /** Whether the ANN index is in memory (built or loaded). */
  get hasIndex(): boolean {
    return this.index !== null;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  /** The photo's neighbours, most similar first. */
  neighbours(id: number): Neighbour[] {
    const r = this.rowOf.get(id);
    if (r === undefined) return [];
    const out: Neighbour[] = [];
    for (let s = r * this.k, end = s + this.k; s < end; s++) {
      const nb = this.nbrIds[s]!;
      if (nb < 0) break;
      out.push({ id: nb, similarity: this.nbrSims[s]! });
    }
    return out;
  }

  /** The k photos most similar to any vector (e.g. of an image outside the library); exact. */
  query(vector: Float32Array, k = this.k): Neighbour[] {
    return nearestInSet(
      { ids: this.rowIds.subarray(0, this.count), vectors: this.vectors, dim: this.dim },
      vector,
      k,
    );
  }

  add(id: number, vector: Float32Array): void {
    this.addMany({ ids: [id], vectors: vector, dim: this.dim });
  }

  /**
   * Adds photos (or replaces the vectors of ones already present) and updates every list they
   * belong in. Exact while the batch is small or the graph within exactLimit; otherwise through
   * the ANN index, where lists of existing photos learn of a new one if the new one found them.
   */
  addMany(set: EmbeddingSet): void {
    if (set.dim !== this.dim)
      throw new RangeError(`embedding dim ${set.dim} != graph dim ${this.dim}`);
    const n = checkSet(set);
    if (n === 0) return;
    const replaced: number[] = [];
    for (let i = 0; i < n; i++) if (this.rowOf.has(set.ids[i]!)) replaced.push(set.ids[i]!);
    if (replaced.length > 0) this.removeMany(replaced);
    this.reserve(this.count + n);
    const first = this.count;
    for (let i = 0; i < n; i++) this.appendRow(set.ids[i]!, set.vectors, i * set.dim);
    const rows = rangeRows(first, this.count);
    if (this.useBruteForce(n)) {
      if (this.index) this.indexAdd(first, this.count);
      this.exactRefresh(rows, true);
    } else {
      this.ensureIndex(first);
      this.annRefresh(rows);
    }
  }

  remove(id: number): void {
    this.removeMany([id]);
  }

  /**
   * Removes photos and refills the lists that held them: exactly when that is cheap, through the
   * index when it is in memory, and otherwise from the neighbours of neighbours (never by building
   * the index: one removed photo can sit in a hundred lists, and rebuilding 100k for that would
   * take a minute).
   */
  removeMany(ids: Iterable<number>): void {
    const gone = new Set<number>();
    for (const id of ids) if (this.rowOf.has(id)) gone.add(id);
    if (gone.size === 0) return;
    const k = this.k;
    // The removed photos' own lists: photos near them, so candidates for whoever listed them.
    const formerLists = new Map<number, number[]>();
    for (const id of gone) {
      const r = this.rowOf.get(id)!;
      const list: number[] = [];
      for (let s = r * k, end = s + k; s < end; s++) {
        const nb = this.nbrIds[s]!;
        if (nb >= 0 && !gone.has(nb)) list.push(nb);
      }
      formerLists.set(id, list);
    }
    if (this.index) this.index.remove(BigUint64Array.from([...gone], (id) => BigInt(id)));
    for (const id of gone) this.deleteRow(id);
    // Every list that held a removed photo loses that entry and needs one more neighbour.
    const affected: number[] = [];
    const lost: number[][] = [];
    for (let r = 0; r < this.count; r++) {
      let lostHere: number[] | null = null;
      let w = r * k;
      for (let s = r * k, end = s + k; s < end; s++) {
        const nb = this.nbrIds[s]!;
        if (nb >= 0 && gone.has(nb)) {
          (lostHere ??= []).push(nb);
          continue;
        }
        this.nbrIds[w] = nb;
        this.nbrSims[w] = this.nbrSims[s]!;
        w++;
      }
      if (!lostHere) continue;
      for (; w < (r + 1) * k; w++) {
        this.nbrIds[w] = -1;
        this.nbrSims[w] = -Infinity;
      }
      affected.push(r);
      lost.push(lostHere);
    }
    if (affected.length === 0) return;
    if (this.count <= this.exactLimit || affected.length * this.count <= this.bruteForceBudget) {
      this.exactRefresh(affected, false);
    } else if (this.index) {
      this.annRefresh(affected);
    } else {
      this.localRefill(affected, lost, formerLists);
    }
  }

  /**
   * Refills each row from its neighbours' neighbours and the lists of the photos it lost: the
   * local join of NN-descent. A replacement for a lost neighbour is almost always within two hops,
   * since the lost photo was near both the row and its own neighbours.
   */
  private localRefill(rows: number[], lost: number[][], formerLists: Map<number, number[]>): void {
    const { k, dim, vectors, rowIds, nbrIds, nbrSims, rowOf } = this;
    const seen = new Set<number>();
    rows.forEach((r, i) => {
      const self = rowIds[r]!;
      seen.clear();
      seen.add(self);
      const candidates: number[] = [];
      const consider = (id: number): void => {
        if (id < 0 || seen.has(id) || !rowOf.has(id)) return;
        seen.add(id);
        candidates.push(id);
      };
      for (let s = r * k, end = s + k; s < end; s++) {
        const nb = nbrIds[s]!;
        if (nb < 0) break;
        seen.add(nb); // already listed
        const nr = rowOf.get(nb)!;
        for (let t = nr * k, e2 = t + k; t < e2; t++) consider(nbrIds[t]!);
      }
      for (const g of lost[i]!) for (const id of formerLists.get(g) ?? []) consider(id);
      for (const id of candidates) {
        const s = dot(vectors, r * dim, vectors, rowOf.get(id)! * dim, dim);
        insertTopK(nbrIds, nbrSims, r * k, k, id, s);
      }
    });
  }

  serialise(): SerialisedNeighbourGraph {
    const n = this.count;
    return {
      version: 1,
      k: this.k,
      dim: this.dim,
      method: this.builtWith,
      ids: this.rowIds.slice(0, n),
      neighbourIds: this.nbrIds.slice(0, n * this.k),
      similarities: this.nbrSims.slice(0, n * this.k),
    };
  }

  /** Writes the ANN index (if any) to a file, for deserialise's indexPath. Returns whether it did. */
  saveIndex(path: string): boolean {
    if (!this.index) return false;
    this.index.save(path);
    return true;
  }

  /** Frees the ANN index; it is rebuilt or reloaded only if a large batch needs it. */
  dropIndex(): void {
    this.index = null;
  }

  // ---- rows ----

  private reserve(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, Math.ceil(this.capacity * 1.5), 16);
    const grow = <T extends Int32Array | Float32Array>(
      old: T,
      make: (len: number) => T,
      per: number,
      fill?: number,
    ): T => {
      const next = make(cap * per);
      if (fill !== undefined) next.fill(fill);
      next.set(old.subarray(0, this.count * per));
      return next;
    };
    this.rowIds = grow(this.rowIds, (l) => new Int32Array(l), 1);
    this.vectors = grow(this.vectors, (l) => new Float32Array(l), this.dim);
    this.nbrIds = grow(this.nbrIds, (l) => new Int32Array(l), this.k, -1);
    this.nbrSims = grow(this.nbrSims, (l) => new Float32Array(l), this.k, -Infinity);
    this.capacity = cap;
  }

  private appendRow(id: number, source: Float32Array, offset: number): void {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new RangeError(`photo id ${id} is not an integer in [0, 2^31)`);
    }
    if (this.rowOf.has(id)) throw new Error(`photo ${id} appears twice`);
    const r = this.count++;
    this.rowIds[r] = id;
    this.vectors.set(source.subarray(offset, offset + this.dim), r * this.dim);
    this.nbrIds.fill(-1, r * this.k, (r + 1) * this.k);
    this.nbrSims.fill(-Infinity, r * this.k, (r + 1) * this.k);
    this.rowOf.set(id, r);
  }

  /** Moves the last row into the removed one's place, so rows stay dense. */
  private deleteRow(id: number): void {
    const r = this.rowOf.get(id)!;
    const last = this.count - 1;
    this.rowOf.delete(id);
    if (r !== last) {
      const lastId = this.rowIds[last]!;
      this.rowIds[r] = lastId;
      this.vectors.copyWithin(r * this.dim, last * this.dim, (last + 1) * this.dim);
      this.nbrIds.copyWithin(r * this.k, last * this.k, (last + 1) * this.k);
      this.nbrSims.copyWithin(r * this.k, last * this.k, (last + 1) * this.k);
      this.rowOf.set(lastId, r);
    }
    this.count--;
  }

  private useBruteForce(queries: number): boolean {
    if (this.count <= this.exactLimit || queries * this.count <= this.bruteForceBudget) return true;
    return this.index === null && queries <= this.indexBuildThreshold;
  }

  // ---- exact ----

  /** Every pair once, in tiles: each dot product is offered to both rows' lists. */
  private exactAllPairs(): void {
    const n = this.count;
    const { dim, k, vectors, rowIds, nbrIds, nbrSims } = this;
    const out = new Float32Array(TILE * TILE);
    for (let i0 = 0; i0 < n; i0 += TILE) {
      const i1 = Math.min(n, i0 + TILE);
      for (let j0 = i0; j0 < n; j0 += TILE) {
        const j1 = Math.min(n, j0 + TILE);
        dotTile(vectors, i0, i1, vectors, j0, j1, dim, out);
        const w = j1 - j0;
        for (let i = i0; i < i1; i++) {
          const base = (i - i0) * w;
          // On the diagonal tile only j > i: each pair once, never a photo with itself.
          for (let j = j0 === i0 ? i + 1 : j0; j < j1; j++) {
            const s = out[base + j - j0]!;
            insertTopK(nbrIds, nbrSims, i * k, k, rowIds[j]!, s);
            insertTopK(nbrIds, nbrSims, j * k, k, rowIds[i]!, s);
          }
        }
      }
    }
  }

  /**
   * Exact lists for `rows` against every row. With `reverse`, each other row is also offered
   * these rows (they are new, so they may belong in anyone's list).
   */
  private exactRefresh(rows: number[], reverse: boolean): void {
    const n = this.count;
    const { dim, k, vectors, rowIds, nbrIds, nbrSims } = this;
    const isQuery = new Uint8Array(n);
    for (const r of rows) isQuery[r] = 1;
    // Gather the query rows into a contiguous block so the tile kernel can stream them.
    const q = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => q.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim));
    for (const r of rows) {
      nbrIds.fill(-1, r * k, (r + 1) * k);
      nbrSims.fill(-Infinity, r * k, (r + 1) * k);
    }
    const out = new Float32Array(TILE * TILE);
    for (let a0 = 0; a0 < rows.length; a0 += TILE) {
      const a1 = Math.min(rows.length, a0 + TILE);
      for (let j0 = 0; j0 < n; j0 += TILE) {
        const j1 = Math.min(n, j0 + TILE);
        dotTile(q, a0, a1, vectors, j0, j1, dim, out);
        const w = j1 - j0;
        for (let a = a0; a < a1; a++) {
          const r = rows[a]!;
          const base = (a - a0) * w;
          for (let j = j0; j < j1; j++) {
            if (j === r) continue;
            const s = out[base + j - j0]!;
            insertTopK(nbrIds, nbrSims, r * k, k, rowIds[j]!, s);
            // A pair of two query rows is seen from both sides already; only offer to others.
            if (reverse && !isQuery[j]) insertTopK(nbrIds, nbrSims, j * k, k, rowIds[r]!, s);
          }
        }
      }
    }
  }

  // ---- approximate ----

  /** Builds the index if there is none (with every row); else adds rows [from, count). */
  private ensureIndex(from = this.count): void {
    if (this.index) {
      this.indexAdd(from, this.count);
      return;
    }
    this.index = this.newIndex();
    this.indexAdd(0, this.count);
  }

  /** An empty HNSW index with this graph's settings. */
  private newIndex(): Index {
    const { Index, MetricKind, ScalarKind } = usearch();
    return new Index({
      dimensions: this.dim,
      metric: MetricKind.Cos,
      quantization: ScalarKind.F32,
      connectivity: this.ann.connectivity,
      expansion_add: this.ann.expansionAdd,
      expansion_search: this.ann.expansionSearch,
      multi: false,
    });
  }

  /**
   * Adds rows [from, to) to the index: new rows are always appended, so always a range. In
   * slices of ADD_CHUNK rows, in order (the same insertions as one call): a native call cannot
   * be interrupted, and a worker thread building 100k photos must stop within a second or so
   * when the library closes, not when the whole index is done.
   */
  private indexAdd(from: number, to: number): void {
    for (let c0 = from; c0 < to; c0 += ADD_CHUNK) {
      const c1 = Math.min(to, c0 + ADD_CHUNK);
      const keys = BigUint64Array.from(this.rowIds.subarray(c0, c1), (id) => BigInt(id));
      this.index!.add(keys, this.vectors.subarray(c0 * this.dim, c1 * this.dim), this.threads);
    }
  }

  private loadIndex(path: string): void {
    const index = this.newIndex();
    try {
      index.load(path);
    } catch {
      return; // unreadable: behave as if there were no saved index
    }
    // A saved index is only a cache: use it only if it holds exactly the photos of the lists.
    if (index.size() !== this.count || index.dimensions() !== this.dim) return;
    const keys = BigUint64Array.from(this.rowIds.subarray(0, this.count), (id) => BigInt(id));
    const present = this.count === 0 ? [] : (index.contains(keys) as boolean[]);
    if (present.every(Boolean)) this.index = index;
  }

  /** Recomputes the lists of `rows` with the ANN index, then offers each found pair both ways. */
  private annRefresh(rows: number[]): void {
    const { dim, k, vectors, nbrIds, nbrSims } = this;
    // 2k + 1 results: one is usually the photo itself; the k beyond its own list are offered
    // the other way round below, which is what lets old photos learn of new ones.
    const want = Math.min(2 * k + 1, this.count);
    if (want < 1) return;
    // Every (row, found photo, similarity), kept for the reverse offers after all lists are set.
    const pairRow = new Int32Array(rows.length * want);
    const pairId = new Int32Array(rows.length * want);
    const pairSim = new Float32Array(rows.length * want);
    let pairs = 0;
    const CHUNK = 4096; // bounds the temporary query matrix
    for (let c0 = 0; c0 < rows.length; c0 += CHUNK) {
      const chunk = rows.slice(c0, c0 + CHUNK);
      const q = new Float32Array(chunk.length * dim);
      chunk.forEach((r, i) => q.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim));
      const res = this.index!.search(q, want, this.threads);
      // A single query comes back as Matches, several as BatchMatches; both expose flat arrays.
      const keys = res.keys;
      const dists = res.distances;
      const stride = keys.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) {
        const r = chunk[i]!;
        const self = this.rowIds[r]!;
        nbrIds.fill(-1, r * k, (r + 1) * k);
        nbrSims.fill(-Infinity, r * k, (r + 1) * k);
        const found = 'counts' in res ? Number((res.counts as BigUint64Array)[i]) : stride;
        for (let j = 0; j < found; j++) {
          const id = Number(BigInt.asIntN(32, keys[i * stride + j]!));
          if (id === self || !this.rowOf.has(id)) continue;
          // usearch reports cosine distance, 1 - cos.
          const sim = 1 - dists[i * stride + j]!;
          insertTopK(nbrIds, nbrSims, r * k, k, id, sim);
          pairRow[pairs] = r;
          pairId[pairs] = id;
          pairSim[pairs] = sim;
          pairs++;
        }
      }
    }
    // Symmetrise: r found j, so r is a candidate for j's list too. Cheap, and it lifts recall,
    // since HNSW rarely misses a pair from both sides.
    for (let p = 0; p < pairs; p++) {
      const other = this.rowOf.get(pairId[p]!)!;
      insertTopK(nbrIds, nbrSims, other * k, k, this.rowIds[pairRow[p]!]!, pairSim[p]!);
    }
  }
}

/**
 * The k rows of `set` most similar to `vector`, by exact brute force (one photo against 100k
 * is a few tens of ms): "similar photos" needs no graph, only the vectors.
 */
export function nearestInSet(set: EmbeddingSet, vector: Float32Array, k: number): Neighbour[] {
  if (vector.length !== set.dim)
    throw new RangeError(`vector has ${vector.length} values, not ${set.dim}`);
  const n = set.ids.length;
  const ids = new Int32Array(k).fill(-1);
  const sims = new Float32Array(k).fill(-Infinity);
  const dots = new Float32Array(TILE);
  for (let j0 = 0; j0 < n; j0 += TILE) {
    const j1 = Math.min(n, j0 + TILE);
    dotTile(vector, 0, 1, set.vectors, j0, j1, set.dim, dots);
    for (let j = j0; j < j1; j++) insertTopK(ids, sims, 0, k, set.ids[j]!, dots[j - j0]!);
  }
  const out: Neighbour[] = [];
  for (let s = 0; s < k && ids[s]! >= 0; s++) out.push({ id: ids[s]!, similarity: sims[s]! });
  return out;
}

/**
 * Room for the photos that will arrive after a build or reopen, so the first additions do not
 * each copy the whole vector store (200 MB at 100k x 512) to grow it.
 */
function withHeadroom(n: number): number {
  return n + (n >> 4) + 16;
}

function checkSet(set: EmbeddingSet): number {
  const n = set.ids.length;
  if (set.vectors.length !== n * set.dim) {
    throw new RangeError(`${n} ids need ${n * set.dim} vector values, got ${set.vectors.length}`);
  }
  return n;
}

function allRows(n: number): number[] {
  return rangeRows(0, n);
}

function rangeRows(from: number, to: number): number[] {
  const rows = new Array<number>(to - from);
  for (let i = from; i < to; i++) rows[i - from] = i;
  return rows;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let x = 0; x < dim; x++) s += a[ao + x]! * b[bo + x]!;
  return s;
}

/**
 * out[(i-a0)*(b1-b0) + (j-b0)] = dot(A row i, B row j) for i in [a0,a1), j in [b0,b1).
 * A 2x2 register block: four dot products share each pair of loads, which roughly doubles the
 * arithmetic per memory access over one-at-a-time dots (measured ~2x in V8).
 */
export function dotTile(
  A: Float32Array,
  a0: number,
  a1: number,
  B: Float32Array,
  b0: number,
  b1: number,
  dim: number,
  out: Float32Array,
): void {
  const w = b1 - b0;
  let i = a0;
  for (; i + 1 < a1; i += 2) {
    const p0 = i * dim;
    const p1 = p0 + dim;
    const o0 = (i - a0) * w;
    const o1 = o0 + w;
    let j = b0;
    for (; j + 1 < b1; j += 2) {
      const q0 = j * dim;
      const q1 = q0 + dim;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let x = 0; x < dim; x++) {
        const u = A[p0 + x]!;
        const v = A[p1 + x]!;
        const y = B[q0 + x]!;
        const z = B[q1 + x]!;
        s00 += u * y;
        s01 += u * z;
        s10 += v * y;
        s11 += v * z;
      }
      out[o0 + j - b0] = s00;
      out[o0 + j + 1 - b0] = s01;
      out[o1 + j - b0] = s10;
      out[o1 + j + 1 - b0] = s11;
    }
    if (j < b1) {
      out[o0 + j - b0] = dot(A, p0, B, j * dim, dim);
      out[o1 + j - b0] = dot(A, p1, B, j * dim, dim);
    }
  }
  if (i < a1) {
    const o = (i - a0) * w;
    for (let j = b0; j < b1; j++) out[o + j - b0] = dot(A, i * dim, B, j * dim, dim);
  }
}

/** Inserts (id, s) into the descending list at [off, off+k) if it beats the last entry. */
function insertTopK(
  ids: Int32Array,
  sims: Float32Array,
  off: number,
  k: number,
  id: number,
  s: number,
): void {
  const last = off + k - 1;
  if (!(s > sims[last]!)) return;
  // Already listed (symmetrised or repeated offers): never list a neighbour twice.
  for (let p = off; p <= last; p++) {
    if (ids[p] === id) return;
    if (ids[p]! < 0) break;
  }
  let p = last;
  while (p > off && sims[p - 1]! < s) {
    ids[p] = ids[p - 1]!;
    sims[p] = sims[p - 1]!;
    p--;
  }
  ids[p] = id;
  sims[p] = s;
}
