// Benchmark of the neighbour graph and duplicate grouping on planted-duplicate embedding sets.
//
//   npx tsx bench/analysis-duplicates.ts [--sizes 10000,100000] [--background clustered|isotropic]
//                                        [--crossover 1000,2000,4000,8000] [--queries 500]
//
// Prints one JSON document on stdout; progress goes to stderr. The data: n unit vectors of dim 512
// (CLIP's size) of which about 10 % are planted near-duplicates: copies of an original, perturbed
// with Gaussian noise scaled so each copy's cosine to its original is drawn uniformly from
// [0.86, 0.99]. The background is either "clustered" (a 32-dimensional mixture of 200 centres
// mapped into 512 dimensions plus isotropic noise: structured like real image embeddings, whose
// intrinsic dimension is far below 512) or "isotropic" (independent random directions: the worst
// case for any ANN index, where the "nearest" neighbours are barely nearer than the rest).
// Machines here are shared: every timing is reported as wall time and as this process's CPU time,
// with the load average before and after, so a noisy run can be recognised.
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { exactSearch, MetricKind } from 'usearch';
import { AnalysisThread } from '../src/main/engine/analysis/analysis-thread.ts';
import {
  buildDuplicateEdges,
  groupDuplicates,
  similarityHistogram,
  type DuplicateEdges,
} from '../src/main/engine/analysis/duplicates.ts';
import {
  DEFAULT_ANN,
  DEFAULT_EXACT_LIMIT,
  NeighbourGraph,
  type EmbeddingSet,
} from '../src/main/engine/analysis/neighbours.ts';
import { mulberry32 } from '../src/shared/seeded-random.ts';
import { machine, median } from './machine.ts';

export type Background = 'clustered' | 'isotropic';

export interface DuplicatesBenchOptions {
  sizes?: number[];
  dim?: number;
  k?: number;
  seed?: number;
  background?: Background;
  /** Queries for recall@k against exact search (sampled; all photos when fewer). */
  recallQueries?: number;
  /** Graph builds per size; sizes above 20k are built once (a build there takes minutes). */
  buildRuns?: number;
  thresholds?: number[];
  /** Sizes at which to time exact against HNSW builds, to place DEFAULT_EXACT_LIMIT. */
  crossover?: number[];
  log?: (message: string) => void;
}

export interface PlantedSet extends EmbeddingSet {
  ids: Int32Array;
  /** Planted pairs: original id, copy id, their exact cosine. */
  pairs: { a: Int32Array; b: Int32Array; cosine: Float32Array };
}

function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = rand() || 1e-12;
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function normaliseRow(v: Float32Array, off: number, dim: number): void {
  let q = 0;
  for (let d = 0; d < dim; d++) q += v[off + d]! * v[off + d]!;
  const inv = 1 / Math.sqrt(q);
  for (let d = 0; d < dim; d++) v[off + d]! *= inv;
}

/**
 * n vectors: originals, and about 10 % planted copies in groups of 1-3 copies per original, each
 * copy at a cosine to its original drawn from [0.86, 0.99]. Shuffled ids so copies are not
 * adjacent to their originals.
 */
export function plantedSet(
  n: number,
  dim: number,
  seed: number,
  background: Background,
): PlantedSet {
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  const vectors = new Float32Array(n * dim);
  const copies = Math.round(n * 0.1);
  const originals = n - copies;
  if (background === 'clustered') {
    const dint = 32;
    const centres = 200;
    const A = Float32Array.from({ length: dint * dim }, () => g() / Math.sqrt(dint));
    const C = Float32Array.from({ length: centres * dint }, () => 1.5 * g());
    const z = new Float32Array(dint);
    for (let i = 0; i < originals; i++) {
      const c = Math.floor(rand() * centres);
      for (let t = 0; t < dint; t++) z[t] = C[c * dint + t]! + g();
      const off = i * dim;
      for (let d = 0; d < dim; d++) vectors[off + d] = 0.45 * g();
      for (let t = 0; t < dint; t++) {
        const zt = z[t]!;
        const row = t * dim;
        for (let d = 0; d < dim; d++) vectors[off + d]! += zt * A[row + d]!;
      }
      normaliseRow(vectors, off, dim);
    }
  } else {
    for (let i = 0; i < originals * dim; i++) vectors[i] = g();
    for (let i = 0; i < originals; i++) normaliseRow(vectors, i * dim, dim);
  }
  const pa: number[] = [];
  const pb: number[] = [];
  const pc: number[] = [];
  let next = originals;
  while (next < n) {
    const orig = Math.floor(rand() * originals);
    const count = Math.min(n - next, 1 + Math.floor(rand() * 3));
    for (let c = 0; c < count; c++) {
      const target = 0.86 + 0.13 * rand();
      // |v| = 1 and |noise|^2 ~ sigma^2 dim, so cos(v, v + noise) ~ 1 / sqrt(1 + sigma^2 dim).
      const sigma = Math.sqrt((1 / (target * target) - 1) / dim);
      const off = next * dim;
      for (let d = 0; d < dim; d++) vectors[off + d] = vectors[orig * dim + d]! + sigma * g();
      normaliseRow(vectors, off, dim);
      let cos = 0;
      for (let d = 0; d < dim; d++) cos += vectors[off + d]! * vectors[orig * dim + d]!;
      pa.push(orig);
      pb.push(next);
      pc.push(cos);
      next++;
    }
  }
  // Ids: a seeded permutation of 1..n, so rows and ids do not line up with planting order.
  const ids = Int32Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return {
    ids,
    vectors,
    dim,
    pairs: {
      a: Int32Array.from(pa, (r) => ids[r]!),
      b: Int32Array.from(pb, (r) => ids[r]!),
      cosine: Float32Array.from(pc),
    },
  };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** New photos from the same distribution: noisy versions (cosine ~0.9) of random existing ones. */
function newPhotosLike(
  set: EmbeddingSet,
  count: number,
  seed: number,
): EmbeddingSet & { ids: number[] } {
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  const { dim } = set;
  const n = set.ids.length;
  const vectors = new Float32Array(count * dim);
  const sigma = Math.sqrt((1 / 0.81 - 1) / dim);
  for (let i = 0; i < count; i++) {
    const src = Math.floor(rand() * n) * dim;
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = set.vectors[src + d]! + sigma * g();
    normaliseRow(vectors, i * dim, dim);
  }
  return { ids: Array.from({ length: count }, (_, i) => i + 1), vectors, dim };
}

/** Wall and CPU milliseconds of fn (CPU counts every thread of this process). */
function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * The engine's path (AnalysisService): the same build in the analysis worker thread, with the
 * duplicate edges at the service's floor, the lists and edges transferred back; this thread's
 * event loop is probed meanwhile. The wall time includes starting the worker (through tsx here).
 */
async function workerBuild(set: EmbeddingSet & { ids: Int32Array }, k: number) {
  const vectors = new Float32Array(new SharedArrayBuffer(set.vectors.byteLength));
  vectors.set(set.vectors);
  const thread = new AnalysisThread();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 30)); // the histogram's first sample
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = await thread.run({
    kind: 'graph',
    revision: 1,
    spaceKey: 'bench',
    photos: {
      set: { ids: set.ids, vectors, dim: set.dim },
      contentHashes: Array.from(set.ids, (id) => `sha-${id}`),
    },
    base: null,
    edgeFloor: 0.6,
    pictures: null, // synthetic embeddings have no pixels
    graphOptions: { k },
  });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await new Promise((resolve) => setTimeout(resolve, 25)); // a stall up to the end is recorded
  delay.disable();
  await thread.close();
  return {
    wallMs: round(wallMs),
    cpuMs: round((c.user + c.system) / 1000),
    taskInWorkerMs: round(outcome.ms),
    engineThreadMaxDelayMs: round(delay.max / 1e6),
    edgesAt06: outcome.edges.from.length,
  };
}

/** recall@k of the graph's lists against exact search, over a seeded sample of photos. */
function recallAtK(
  graph: NeighbourGraph,
  set: EmbeddingSet,
  k: number,
  queries: number,
  seed: number,
) {
  const n = set.ids.length;
  const rand = mulberry32(seed);
  const rows: number[] = [];
  if (queries >= n) for (let i = 0; i < n; i++) rows.push(i);
  else {
    const chosen = new Set<number>();
    while (chosen.size < queries) chosen.add(Math.floor(rand() * n));
    rows.push(...chosen);
  }
  const q = new Float32Array(rows.length * set.dim);
  rows.forEach((r, i) => q.set(set.vectors.subarray(r * set.dim, (r + 1) * set.dim), i * set.dim));
  // Ground truth from usearch's exact (SIMD brute-force) search: an implementation independent of
  // both our tiled kernel and the HNSW index. k+1 because each query finds itself.
  const truth = exactSearch(set.vectors, q, set.dim, k + 1, MetricKind.IP, availableParallelism());
  let hit = 0;
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const self = set.ids[rows[i]!]!;
    const got = new Set(graph.neighbours(self).map((x) => x.id));
    let taken = 0;
    for (let j = 0; j <= k && taken < k; j++) {
      const id = set.ids[Number(truth.keys[i * (k + 1) + j]!)]!;
      if (id === self) continue;
      taken++;
      total++;
      if (got.has(id)) hit++;
    }
  }
  return { queries: rows.length, recall: round(hit / total, 4) };
}

/** Of the planted pairs with exact cosine >= 0.85: how many are a cached duplicate edge. */
function plantedRecall(set: PlantedSet, edges: DuplicateEdges, k: number) {
  const key = (a: number, b: number) => (a < b ? a * 2 ** 31 + b : b * 2 ** 31 + a);
  const cached = new Set<number>();
  for (let e = 0; e < edges.from.length; e++) {
    cached.add(key(edges.ids[edges.from[e]!]!, edges.ids[edges.to[e]!]!));
  }
  let eligible = 0;
  let found = 0;
  const missed: [number, number][] = [];
  for (let p = 0; p < set.pairs.a.length; p++) {
    if (set.pairs.cosine[p]! < 0.85) continue;
    eligible++;
    if (cached.has(key(set.pairs.a[p]!, set.pairs.b[p]!))) found++;
    else missed.push([set.pairs.a[p]!, set.pairs.b[p]!]);
  }
  // Why a pair was missed: if neither photo has the other among its exact k nearest, no kNN list
  // could hold the pair (a dense neighbourhood outranks it), and the miss is not the ANN index's.
  let outsideExactTopK = 0;
  if (missed.length > 0) {
    const rowOf = new Map<number, number>();
    set.ids.forEach((id, r) => rowOf.set(id, r));
    const q = new Float32Array(missed.length * 2 * set.dim);
    missed.forEach(([a, b], i) => {
      q.set(
        set.vectors.subarray(rowOf.get(a)! * set.dim, (rowOf.get(a)! + 1) * set.dim),
        2 * i * set.dim,
      );
      q.set(
        set.vectors.subarray(rowOf.get(b)! * set.dim, (rowOf.get(b)! + 1) * set.dim),
        (2 * i + 1) * set.dim,
      );
    });
    const truth = exactSearch(
      set.vectors,
      q,
      set.dim,
      k + 1,
      MetricKind.IP,
      availableParallelism(),
    );
    const inTop = (query: number, target: number) => {
      for (let j = 0; j <= k; j++)
        if (set.ids[Number(truth.keys[query * (k + 1) + j]!)] === target) return true;
      return false;
    };
    missed.forEach(([a, b], i) => {
      if (!inTop(2 * i, b) && !inTop(2 * i + 1, a)) outsideExactTopK++;
    });
  }
  return {
    pairs: eligible,
    found,
    recall: round(found / eligible, 4),
    missedOutsideExactTopK: outsideExactTopK,
  };
}

/**
 * Of the planted groups (an original and its copies) whose every copy is >= 0.85 to the original,
 * how many end up wholly inside one group at threshold 0.85.
 */
function plantedGroupRecall(set: PlantedSet, edges: DuplicateEdges) {
  const groups = groupDuplicates({ edges, threshold: 0.85 });
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m, i)));
  const planted = new Map<number, number[]>();
  const weak = new Set<number>();
  for (let p = 0; p < set.pairs.a.length; p++) {
    const a = set.pairs.a[p]!;
    const list = planted.get(a) ?? [a];
    list.push(set.pairs.b[p]!);
    planted.set(a, list);
    if (set.pairs.cosine[p]! < 0.85) weak.add(a);
  }
  for (const a of weak) planted.delete(a);
  let whole = 0;
  for (const members of planted.values()) {
    const g0 = groupOf.get(members[0]!);
    if (g0 !== undefined && members.every((m) => groupOf.get(m) === g0)) whole++;
  }
  return {
    plantedGroups: planted.size,
    recoveredWhole: whole,
    recall: round(whole / planted.size, 4),
  };
}

export async function runDuplicatesBench(options: DuplicatesBenchOptions = {}) {
  const sizes = options.sizes ?? [10_000, 100_000];
  const dim = options.dim ?? 512;
  const k = options.k ?? 16;
  const seed = options.seed ?? 20260101;
  const background = options.background ?? 'clustered';
  const thresholds = options.thresholds ?? [0.99, 0.95, 0.9, 0.87, 0.85, 0.8];
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const startedLoad = loadavg().map((x) => round(x, 2));

  const results = [];
  for (const n of sizes) {
    log(`[duplicates] n=${n}: generating`);
    const set = plantedSet(n, dim, seed + n, background);
    const runs = options.buildRuns ?? (n <= 20_000 ? 3 : 1);
    const builds: { wallMs: number; cpuMs: number }[] = [];
    let graph: NeighbourGraph | null = null;
    for (let r = 0; r < runs; r++) {
      log(`[duplicates] n=${n}: graph build ${r + 1}/${runs}`);
      const t = timed(() => NeighbourGraph.build(set, { k }));
      builds.push({ wallMs: t.wallMs, cpuMs: t.cpuMs });
      graph = t.value;
    }
    const g = graph!;
    log(`[duplicates] n=${n}: graph build in the analysis worker thread`);
    const offThread = await workerBuild(set, k);
    log(`[duplicates] n=${n}: recall`);
    const queries = Math.min(n, options.recallQueries ?? (n <= 20_000 ? 1000 : 500));
    const recall = recallAtK(g, set, k, queries, seed);

    const photos = { ids: set.ids, contentHashes: Array.from(set.ids, (id) => `sha-${id}`) };
    const serialised = g.serialise();
    const edgesT = timed(() => buildDuplicateEdges(photos, serialised));
    const edges = edgesT.value;

    const regroup = thresholds.map((threshold) => {
      const times: number[] = [];
      let groups = 0;
      let grouped = 0;
      for (let r = 0; r < 7; r++) {
        const t = timed(() => groupDuplicates({ edges, threshold }));
        times.push(t.wallMs);
        groups = t.value.length;
        grouped = t.value.reduce((s, x) => s + x.members.length, 0);
      }
      return {
        threshold,
        medianMs: round(median(times), 2),
        maxMs: round(Math.max(...times), 2),
        groups,
        photosInGroups: grouped,
      };
    });
    const histT = timed(() => similarityHistogram(edges, 40));

    // Reopening: lists come back without any neighbour search.
    const reopen = timed(() => NeighbourGraph.deserialise(serialised, set, { k }));
    // Incremental changes on the reopened graph, which has no ANN index in memory: an added photo
    // is brute-forced against all, a removal refills lists from neighbours of neighbours.
    const h = reopen.value;
    const one = newPhotosLike(set, 1, seed + 7);
    const addOne = timed(() => h.add(n + 1, one.vectors));
    const removeOne = timed(() => h.remove(set.ids[0]!));
    // A batch on the built graph, whose index is in memory: both go through HNSW.
    const batch = newPhotosLike(set, 1000, seed + 11);
    batch.ids = batch.ids.map((id) => n + 10 + id);
    const addBatch = timed(() => g.addMany(batch));
    const removeBatch = timed(() => g.removeMany(batch.ids));

    results.push({
      n,
      method: g.method,
      build: {
        runs,
        medianWallMs: round(median(builds.map((b) => b.wallMs))),
        medianCpuMs: round(median(builds.map((b) => b.cpuMs))),
        wallMs: builds.map((b) => round(b.wallMs)),
      },
      buildInWorker: offThread,
      recallAtK: { k, ...recall, against: 'usearch exactSearch (brute force)' },
      plantedPairsAbove085: plantedRecall(set, edges, k),
      plantedGroupsAt085: plantedGroupRecall(set, edges),
      edges: { count: edges.from.length, floor: edges.floor, buildMs: round(edgesT.wallMs) },
      regroup,
      histogramMs: round(histT.wallMs, 2),
      reopen: { deserialiseMs: round(reopen.wallMs, 1) },
      incremental: {
        withoutIndex: {
          note: 'reopened graph: add = brute force, remove = refill from neighbours of neighbours',
          addOneMs: round(addOne.wallMs, 1),
          removeOneMs: round(removeOne.wallMs, 1),
        },
        withIndex: {
          note: 'built graph, HNSW index in memory: 1000 new photos added, then removed',
          add1000Ms: round(addBatch.wallMs, 1),
          remove1000Ms: round(removeBatch.wallMs, 1),
        },
      },
    });
  }

  const crossover = [];
  for (const n of options.crossover ?? []) {
    log(`[duplicates] crossover n=${n}`);
    const set = plantedSet(n, dim, seed + 13 * n, background);
    const ex = timed(() => NeighbourGraph.build(set, { k, exactLimit: n }));
    const ann = timed(() => NeighbourGraph.build(set, { k, exactLimit: 0 }));
    crossover.push({
      n,
      exact: { wallMs: round(ex.wallMs), cpuMs: round(ex.cpuMs) },
      ann: {
        wallMs: round(ann.wallMs),
        cpuMs: round(ann.cpuMs),
        recallAtK: recallAtK(ann.value, set, k, Math.min(n, 500), seed).recall,
      },
    });
  }

  return {
    benchmark: 'analysis-duplicates',
    machine: {
      ...machine(),
      // The machine is shared: a load average well above the core count means inflated wall times.
      loadAverageBefore: startedLoad,
      loadAverageAfter: loadavg().map((x) => round(x, 2)),
    },
    data: {
      description:
        background === 'clustered'
          ? 'unit vectors: 32-d mixture of 200 Gaussian centres mapped to 512-d plus isotropic noise; ~10 % planted copies (1-3 per original) at cosine U[0.86, 0.99] to their original'
          : 'independent random unit vectors; ~10 % planted copies (1-3 per original) at cosine U[0.86, 0.99] to their original',
      background,
      dim,
      k,
      seed,
    },
    settings: { exactLimit: DEFAULT_EXACT_LIMIT, ann: DEFAULT_ANN, edgeFloor: 0.8 },
    sizes: results,
    crossover,
  };
}

function parseArgs(argv: string[]): DuplicatesBenchOptions {
  const opts: DuplicatesBenchOptions = {};
  const list = (s: string | undefined) => (s ?? '').split(',').filter(Boolean).map(Number);
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--sizes') opts.sizes = list(v);
    else if (a === '--crossover') opts.crossover = list(v);
    else if (a === '--queries') opts.recallQueries = Number(v);
    else if (a === '--runs') opts.buildRuns = Number(v);
    else if (a === '--background') opts.background = v as Background;
    else if (a === '--dim') opts.dim = Number(v);
    else {
      process.stderr.write(`unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // No top-level await: the module stays importable from CommonJS-compiled callers too.
  void runDuplicatesBench(parseArgs(process.argv.slice(2))).then((result) => {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });
}
