// Duplicate groups from cached similarity edges.
//
// The neighbour graph gives every photo its k nearest neighbours. From those lists we keep, once,
// every pair at or above a low floor (0.80, under any threshold a person would pick), sorted by
// similarity descending, in typed arrays. Grouping at threshold T is then a union-find over the
// prefix of that list with similarity >= T, plus a union of photos with the same content hash
// (the "identical" tier, whatever the threshold). That is linear in photos plus edges and
// allocates only typed arrays, which is what keeps the slider live at 100k photos.
//
// Grouping is single-linkage and transitive: A~B and B~C put A, B and C in one group even if A and
// C are further apart. That is also why a burst of more than k near-identical shots still forms
// one group: each photo reaches k others and the chains join up. The limitation of using kNN
// edges rather than all pairs: two tight sets of more than k photos each, whose members are all
// closer to their own set than to the other, have no edge between them in the kNN lists, so they
// stay two groups even if some cross pair is above T. Likewise, more than k identical copies of
// one file fill a photo's list with similarity-1 entries; the copies still group by hash, but
// their near-duplicates can then only join through other photos' lists.
import { UnionFind } from './union-find.ts';

/** Pairs below this are never cached: no sensible near-duplicate threshold goes lower. */
export const DEFAULT_EDGE_FLOOR = 0.8;

/** k-nearest-neighbour lists as the neighbour graph serialises them. */
export interface KnnLists {
  /** Photo id of each row. */
  ids: Int32Array;
  k: number;
  /** Row i's neighbours at [i*k, (i+1)*k), most similar first; -1 marks an empty slot. */
  neighbourIds: Int32Array;
  similarities: Float32Array;
}

/** The photos to group: every photo of the library, with its content hash if it has one yet. */
export interface DuplicatePhotos {
  ids: ArrayLike<number>;
  contentHashes: ReadonlyArray<string | null>;
}

/**
 * The cached edges, serialisable as is. Nodes are positions in `ids`; `from[e] < to[e]`;
 * `similarities` is sorted descending, so the edges at threshold T are a prefix.
 */
export interface DuplicateEdges {
  floor: number;
  ids: Int32Array;
  /** Index into `hashes` of each node's content hash, or -1 when it has none yet. */
  hashOrdinals: Int32Array;
  /** The distinct content hashes. */
  hashes: string[];
  from: Int32Array;
  to: Int32Array;
  similarities: Float32Array;
}

export function buildDuplicateEdges(
  photos: DuplicatePhotos,
  knn: KnnLists | null,
  floor = DEFAULT_EDGE_FLOOR,
): DuplicateEdges {
  // The sort below orders similarities by their float bit patterns, which is only monotonic for
  // non-negative floats; a floor below zero would be meaningless for duplicates anyway.
  if (!(floor >= 0 && floor <= 1))
    throw new RangeError(`edge floor must be in [0, 1], got ${floor}`);
  const n = photos.ids.length;
  if (photos.contentHashes.length !== n) {
    throw new RangeError('photos.ids and photos.contentHashes differ in length');
  }
  const ids = Int32Array.from(photos.ids);
  const nodeOf = new Map<number, number>();
  for (let i = 0; i < n; i++) nodeOf.set(ids[i]!, i);

  const hashes: string[] = [];
  const ordinalOf = new Map<string, number>();
  const hashOrdinals = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const h = photos.contentHashes[i];
    if (h === null || h === undefined) {
      hashOrdinals[i] = -1;
      continue;
    }
    let o = ordinalOf.get(h);
    if (o === undefined) {
      o = hashes.length;
      hashes.push(h);
      ordinalOf.set(h, o);
    }
    hashOrdinals[i] = o;
  }

  const from: number[] = [];
  const to: number[] = [];
  const sims: number[] = [];
  if (knn && knn.ids.length > 0) {
    const k = knn.k;
    const rowOfNode = new Int32Array(n).fill(-1);
    for (let r = 0; r < knn.ids.length; r++) {
      const node = nodeOf.get(knn.ids[r]!);
      if (node !== undefined) rowOfNode[node] = r;
    }
    const f32floor = Math.fround(floor);
    const listsAboveFloor = (row: number, target: number): boolean => {
      for (let s = row * k, end = s + k; s < end; s++) {
        if (knn.neighbourIds[s] === target) return knn.similarities[s]! >= f32floor;
      }
      return false;
    };
    for (let r = 0; r < knn.ids.length; r++) {
      const a = nodeOf.get(knn.ids[r]!);
      if (a === undefined) continue;
      for (let s = r * k, end = s + k; s < end; s++) {
        const nb = knn.neighbourIds[s]!;
        if (nb < 0) continue;
        const sim = knn.similarities[s]!;
        // Lists are sorted, so the rest of this row is below the floor too.
        if (!(sim >= f32floor)) break;
        const b = nodeOf.get(nb);
        if (b === undefined || b === a) continue;
        // A pair usually appears in both lists; keep it once, from the list of the smaller node.
        if (b < a && rowOfNode[b]! >= 0 && listsAboveFloor(rowOfNode[b]!, ids[a]!)) continue;
        from.push(Math.min(a, b));
        to.push(Math.max(a, b));
        sims.push(sim);
      }
    }
  }

  const order = sortDescending(sims);
  const m = order.length;
  const edges: DuplicateEdges = {
    floor,
    ids,
    hashOrdinals,
    hashes,
    from: new Int32Array(m),
    to: new Int32Array(m),
    similarities: new Float32Array(m),
  };
  for (let e = 0; e < m; e++) {
    const src = order[e]!;
    edges.from[e] = from[src]!;
    edges.to[e] = to[src]!;
    edges.similarities[e] = sims[src]!;
  }
  return edges;
}

/** Permutation sorting non-negative similarities descending, ties by original position. */
function sortDescending(sims: readonly number[]): Uint32Array {
  const m = sims.length;
  const bits = new Uint32Array(new Float32Array(sims.map((s) => s + 0)).buffer); // +0 turns -0 into 0
  const order = new Uint32Array(m);
  const INDEX_BITS = 2 ** 21;
  if (m < INDEX_BITS) {
    // Pack (inverted float bits, index) into one exact float64 key and use the native numeric
    // sort, several times faster than a comparator sort over a million edges.
    const keys = new Float64Array(m);
    for (let e = 0; e < m; e++) keys[e] = (0xffffffff - bits[e]!) * INDEX_BITS + e;
    keys.sort();
    for (let e = 0; e < m; e++) order[e] = keys[e]! % INDEX_BITS;
  } else {
    for (let e = 0; e < m; e++) order[e] = e;
    order.sort((x, y) => bits[y]! - bits[x]! || x - y);
  }
  return order;
}

/**
 * A user's decision about a group, stored by content identity (the set of content hashes of the
 * group's members when it was decided), so it survives rescans, moves, renames and new photo ids.
 * - `keep-all`: they are duplicates, but keep them all.
 * - `not-duplicates`: these photos are not duplicates of each other. Also cuts every similarity
 *   edge between two different hashes of the set, so they cannot regroup through direct edges at
 *   any threshold.
 * - `resolved`: the user chose keepers (`kept`) and removed the rest; the removed ones may come
 *   back (restored from trash) without bringing the group back.
 *
 * The rule: a group is hidden iff every member has a content hash and all of the group's hashes
 * are in the hash set of one decision. So raising or lowering the threshold, rescanning, moving
 * files or removing members never brings a decided group back; a group comes back only when it
 * contains a hash that no single decision covers (a new photo joined it, or two separately decided
 * groups merged at a lower threshold, a comparison the user has not made).
 */
export interface DuplicateDecision {
  kind: 'keep-all' | 'not-duplicates' | 'resolved';
  hashes: readonly string[];
  kept?: readonly string[];
}

export type DuplicateTier = 'identical' | 'near';

export interface DuplicateGroup {
  /** Stable across regroups: the smallest content hash ('h:...'), else the smallest id ('p:...'). */
  id: string;
  /** 'identical' when every member has the same content hash (same bytes). */
  tier: DuplicateTier;
  /** Photo ids, ascending. */
  members: number[];
  /** Distinct content hashes of the members, sorted: what a decision about this group stores. */
  hashes: string[];
  /**
   * The weakest link holding the group together: the lowest similarity among the edges that
   * joined it (1 for same-bytes links). Raising the threshold above it splits the group.
   */
  minSimilarity: number;
}

export interface GroupDuplicatesInput {
  edges: DuplicateEdges;
  /**
   * Cosine similarity; edges with similarity >= threshold link photos. Pairs under the edges'
   * floor were never cached, so a threshold below the floor groups as if it were the floor.
   */
  threshold: number;
  decisions?: readonly DuplicateDecision[];
}

/** The decision record for a group as shown to the user. */
export function decisionFor(
  group: Pick<DuplicateGroup, 'hashes'>,
  kind: DuplicateDecision['kind'],
  kept?: readonly string[],
): DuplicateDecision {
  return kept
    ? { kind, hashes: [...group.hashes], kept: [...kept] }
    : { kind, hashes: [...group.hashes] };
}

// Hash -> ordinal maps, built on first use per edges object (edges are immutable once built).
const ordinalMaps = new WeakMap<DuplicateEdges, Map<string, number>>();
function ordinalMap(edges: DuplicateEdges): Map<string, number> {
  let map = ordinalMaps.get(edges);
  if (!map) {
    map = new Map(edges.hashes.map((h, i) => [h, i]));
    ordinalMaps.set(edges, map);
  }
  return map;
}

/** Index of the first edge below the threshold: edges [0, result) are the ones at or above it. */
export function edgesAtOrAbove(edges: DuplicateEdges, threshold: number): number {
  const t = Math.fround(threshold); // similarities are float32; compare in that precision
  const s = edges.similarities;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]! >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function groupDuplicates(input: GroupDuplicatesInput): DuplicateGroup[] {
  const { edges, threshold } = input;
  const decisions = input.decisions ?? [];
  const n = edges.ids.length;
  const ord = edges.hashOrdinals;
  const uf = new UnionFind(n);
  // Weakest link per root; 2 means "no similarity edge yet".
  const weakest = new Float32Array(n).fill(2);
  const join = (a: number, b: number, sim: number): void => {
    const ra = uf.find(a);
    const rb = uf.find(b);
    if (ra === rb) return;
    const w = Math.min(weakest[ra]!, weakest[rb]!, sim);
    weakest[uf.union(ra, rb)] = w;
  };

  // Identical tier: same bytes are duplicates at any threshold.
  const firstWithHash = new Int32Array(edges.hashes.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const o = ord[i]!;
    if (o < 0) continue;
    if (firstWithHash[o] === -1) firstWithHash[o] = i;
    else join(firstWithHash[o]!, i, 1);
  }

  // Decisions, translated to hash ordinals. Hashes no longer in the library are simply absent.
  const ordinals = decisions.length > 0 ? ordinalMap(edges) : null;
  const decisionSets: Set<number>[] = [];
  const decisionsByOrdinal = new Map<number, number[]>();
  const cut = new Set<number>();
  const cutMark = new Uint8Array(edges.hashes.length);
  const H = edges.hashes.length;
  for (const d of decisions) {
    const set = new Set<number>();
    for (const h of d.hashes) {
      const o = ordinals!.get(h);
      if (o !== undefined) set.add(o);
    }
    const di = decisionSets.length;
    decisionSets.push(set);
    for (const o of set) {
      const list = decisionsByOrdinal.get(o);
      if (list) list.push(di);
      else decisionsByOrdinal.set(o, [di]);
    }
    if (d.kind === 'not-duplicates') {
      const os = [...set];
      for (const x of os) {
        cutMark[x] = 1;
        for (const y of os) if (x < y) cut.add(x * H + y);
      }
    }
  }

  const end = edgesAtOrAbove(edges, threshold);
  const from = edges.from;
  const to = edges.to;
  const sims = edges.similarities;
  for (let e = 0; e < end; e++) {
    const a = from[e]!;
    const b = to[e]!;
    if (cut.size > 0) {
      const oa = ord[a]!;
      const ob = ord[b]!;
      if (oa >= 0 && ob >= 0 && cutMark[oa] && cutMark[ob] && oa !== ob) {
        if (cut.has(Math.min(oa, ob) * H + Math.max(oa, ob))) continue;
      }
    }
    join(a, b, sims[e]!);
  }

  const groups: DuplicateGroup[] = [];
  for (const nodes of uf.sets(2)) {
    const root = uf.find(nodes[0]!);
    const groupOrdinals = new Set<number>();
    let allHashed = true;
    for (const i of nodes) {
      const o = ord[i]!;
      if (o < 0) allHashed = false;
      else groupOrdinals.add(o);
    }
    if (allHashed && isDecided(groupOrdinals, decisionsByOrdinal, decisionSets)) continue;
    const members = nodes.map((i) => edges.ids[i]!).sort((x, y) => x - y);
    const hashes = [...groupOrdinals].map((o) => edges.hashes[o]!).sort();
    const identical = allHashed && groupOrdinals.size === 1;
    const w = weakest[root]!;
    groups.push({
      id: hashes.length > 0 ? `h:${hashes[0]}` : `p:${members[0]}`,
      tier: identical ? 'identical' : 'near',
      members,
      hashes,
      minSimilarity: w > 1 ? 1 : w,
    });
  }
  // Identical first, then the most convincing near groups, then by id for a stable order.
  const tierRank = (g: DuplicateGroup): number => (g.tier === 'identical' ? 0 : 1);
  groups.sort(
    (x, y) =>
      tierRank(x) - tierRank(y) ||
      y.minSimilarity - x.minSimilarity ||
      (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
  return groups;
}

function isDecided(
  groupOrdinals: Set<number>,
  decisionsByOrdinal: Map<number, number[]>,
  decisionSets: Set<number>[],
): boolean {
  const first = groupOrdinals.values().next();
  if (first.done) return false;
  // Only decisions containing the group's first hash can contain all of them.
  const candidates = decisionsByOrdinal.get(first.value);
  if (!candidates) return false;
  for (const di of candidates) {
    const set = decisionSets[di]!;
    let all = true;
    for (const o of groupOrdinals) {
      if (!set.has(o)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

export interface SimilarityHistogram {
  /** Lower edge of the first bin. */
  min: number;
  /** Upper edge of the last bin (inclusive). */
  max: number;
  /** counts[b] = cached pairs with similarity in [min + b*w, min + (b+1)*w), w = (max-min)/bins. */
  counts: Uint32Array;
}

/**
 * Histogram of the cached pair similarities, for the threshold slider. Only pairs from the kNN
 * lists at or above the edge floor exist, so the range defaults to [floor, 1].
 */
export function similarityHistogram(
  edges: DuplicateEdges,
  bins = 40,
  min = edges.floor,
  max = 1,
): SimilarityHistogram {
  if (!(bins >= 1) || !(max > min)) throw new RangeError('histogram needs bins >= 1 and max > min');
  const counts = new Uint32Array(bins);
  const scale = bins / (max - min);
  for (const s of edges.similarities) {
    if (s < min || s > max) continue;
    // Similarities of exactly max (identical vectors) land in the last bin.
    const b = Math.min(bins - 1, Math.floor((s - min) * scale));
    counts[b]!++;
  }
  return { min, max, counts };
}
