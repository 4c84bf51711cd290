// Benchmark for clusters, map layout and colour search (issue 3, requirements 5-7 and 10).
// `npx tsx bench/analysis-clusters.ts [--no-100k] [--runs N]` prints ONE JSON document on stdout;
// progress goes to stderr. `runClustersBench(options)` is the same thing for bench/run.ts.
//
// Data (all seeded): unit vectors of dim 512 around planted cluster centres (row i in cluster
// i % plantedK, Gaussian noise), and uniformly random palettes of 1-5 CIELAB colours. The kNN
// the layout takes is built with usearch (HNSW, cosine) on the full vectors, as the neighbour
// graph would provide it (at 100k on 32-d PCA projections instead, to keep the run in minutes);
// its time is reported apart from the layout's. The machines are shared: besides wall-clock
// seconds each figure carries the process CPU seconds (all threads) it used.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Index, MetricKind, ScalarKind } from 'usearch';
import {
  adjustedRandIndex,
  cosineDistanceMatrix,
  mulberry32,
  plantedEmbeddings,
  silhouetteFromMatrix,
} from '../src/main/engine/analysis/cluster-scores.ts';
import { clusterEmbeddings, type ClusterResult } from '../src/main/engine/analysis/clusters.ts';
import {
  buildPaletteIndex,
  emdPacked,
  PALETTE_SLOTS,
  PALETTE_STRIDE,
  searchColours,
  searchPalettes,
  similarByColour,
  type WeightedLab,
} from '../src/main/engine/analysis/colour-search.ts';
import {
  runLayoutInWorker,
  type Knn,
  type LayoutResult,
} from '../src/main/engine/analysis/layout.ts';
import { fitPca, projectPca } from '../src/main/engine/analysis/pca.ts';

export interface ClustersBenchOptions {
  n?: number;
  dim?: number;
  plantedK?: number;
  /** Noise per component relative to the centres' (1 = as large as the signal). */
  noise?: number;
  /** Runs per measurement; medians are reported. */
  runs?: number;
  /** Also lay out 100k points once (takes minutes). */
  layout100k?: boolean;
  paletteN?: number;
  paletteQueries?: number;
  seed?: number;
  log?: (line: string) => void;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const secondsSince = (t0: number) => (performance.now() - t0) / 1000;
const cpuSeconds = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

function labelsOf(result: ClusterResult, ids: Int32Array): Int32Array {
  const row = new Map<number, number>();
  ids.forEach((id, i) => row.set(id, i));
  const labels = new Int32Array(ids.length);
  for (const c of result.clusters) for (const id of c.memberIds) labels[row.get(id)!] = c.id;
  return labels;
}

/** Silhouette (cosine) of a labelling on a seeded sample of rows. */
function sampledSilhouette(
  vectors: Float32Array,
  dim: number,
  labels: Int32Array,
  sample: number,
  seed: number,
): number {
  const n = labels.length;
  const rnd = mulberry32(seed);
  const rows = new Int32Array(Math.min(sample, n));
  const taken = new Set<number>();
  for (let i = 0; i < rows.length;) {
    const r = Math.floor(rnd() * n);
    if (taken.has(r)) continue;
    taken.add(r);
    rows[i++] = r;
  }
  const remap = new Map<number, number>();
  const local = Int32Array.from(rows, (r) => {
    const l = labels[r]!;
    if (!remap.has(l)) remap.set(l, remap.size);
    return remap.get(l)!;
  });
  return silhouetteFromMatrix(
    cosineDistanceMatrix(vectors, dim, rows),
    rows.length,
    local,
    remap.size,
  );
}

/** 2-D silhouette of the planted labels on a sample: how well the map keeps clusters apart. */
function mapSilhouette(coords: Float32Array, truth: Int32Array, k: number, sample: number): number {
  const n = Math.min(sample, truth.length);
  const step = truth.length / n;
  const rows = Int32Array.from({ length: n }, (_, i) => Math.floor(i * step));
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = rows[i]! * 2;
      const b = rows[j]! * 2;
      m[i * n + j] = Math.hypot(coords[a]! - coords[b]!, coords[a + 1]! - coords[b + 1]!);
    }
  }
  return silhouetteFromMatrix(
    m,
    n,
    Int32Array.from(rows, (r) => truth[r]!),
    k,
  );
}

function usearchKnn(vectors: Float32Array, n: number, dim: number, k: number): Knn {
  const threads = os.cpus().length;
  const index = new Index({
    dimensions: dim,
    metric: MetricKind.Cos,
    quantization: ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 64,
    multi: false,
  });
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = BigInt(i);
  index.add(keys, vectors, threads);
  const res = index.search(vectors, k + 1, threads) as unknown as {
    keys: BigUint64Array;
    distances: Float32Array;
  };
  const indices = new Int32Array(n * (k + 1));
  for (let i = 0; i < indices.length; i++) indices[i] = Number(res.keys[i]!);
  return { k: k + 1, indices, distances: Float32Array.from(res.distances) };
}

function randomPalette(rnd: () => number, most = PALETTE_SLOTS): WeightedLab[] {
  const size = 1 + Math.floor(rnd() * most);
  return Array.from({ length: size }, () => ({
    lab: { l: rnd() * 100, a: rnd() * 160 - 80, b: rnd() * 160 - 80 },
    share: 0.05 + rnd(),
  }));
}

export async function runClustersBench(options: ClustersBenchOptions = {}): Promise<unknown> {
  const n = options.n ?? 10000;
  const dim = options.dim ?? 512;
  const plantedK = options.plantedK ?? 20;
  const noise = options.noise ?? 1.5;
  const runs = options.runs ?? 3;
  const seed = options.seed ?? 1;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();

  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
  const cpuAtStart = cpuSeconds();

  // --- Clustering -----------------------------------------------------------------------------
  log(`data: ${n} planted vectors, dim ${dim}, ${plantedK} clusters`);
  const data = plantedEmbeddings(n, plantedK, dim, noise, seed);
  const truthSilhouette = sampledSilhouette(data.vectors, dim, data.truth, 2000, seed);
  const clustering: Record<string, unknown> = {};
  for (const mode of ['auto', 'fixed'] as const) {
    const times: number[] = [];
    const cpu: number[] = [];
    let last: ClusterResult | null = null;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      last = clusterEmbeddings(data, { k: mode === 'auto' ? 'auto' : plantedK, seed: seed + r });
      times.push(secondsSince(t0));
      cpu.push(cpuSeconds() - c0);
      log(`clusters ${mode} run ${r + 1}: ${times.at(-1)!.toFixed(2)} s, k=${last.k}`);
    }
    const labels = labelsOf(last!, data.ids);
    clustering[mode] = {
      seconds: round(median(times)),
      cpuSeconds: round(median(cpu)),
      runs: times.map((t) => round(t)),
      k: last!.k,
      method: last!.method,
      adjustedRandIndexVsPlanted: round(adjustedRandIndex(labels, data.truth), 4),
      silhouetteSampled: round(sampledSilhouette(data.vectors, dim, labels, 2000, seed), 4),
      scoreCurveLength: last!.scores.silhouette.length,
    };
  }

  // --- Layout ---------------------------------------------------------------------------------
  const layoutAt = async (size: number, repeat: number, alsoUmapJs: boolean) => {
    const set = size === n ? data : plantedEmbeddings(size, plantedK, dim, noise, seed);
    let t0 = performance.now();
    let knnSource = `usearch HNSW, cosine, ${dim}-d`;
    let knnInput = set.vectors;
    let knnDim = dim;
    if (size > 20000) {
      knnDim = 32;
      knnInput = projectPca(fitPca(set.vectors, size, dim, knnDim), set.vectors, size);
      for (let i = 0; i < size; i++) {
        let norm = 0;
        for (let d = 0; d < knnDim; d++) norm += knnInput[i * knnDim + d]! ** 2;
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < knnDim; d++) knnInput[i * knnDim + d]! /= norm;
      }
      knnSource = 'usearch HNSW, cosine, on 32-d PCA projections';
    }
    const knn = usearchKnn(knnInput, size, knnDim, 15);
    const knnSeconds = secondsSince(t0);
    log(`layout ${size}: kNN (usearch HNSW) ${knnSeconds.toFixed(1)} s`);
    const times: number[] = [];
    const cpu: number[] = [];
    let result: LayoutResult | null = null;
    let progressMessages = 0;
    for (let r = 0; r < repeat; r++) {
      t0 = performance.now();
      const c0 = cpuSeconds();
      progressMessages = 0;
      result = await runLayoutInWorker(
        set,
        { knn, seed: seed + r },
        {
          onProgress: () => progressMessages++,
        },
      );
      times.push(secondsSince(t0));
      cpu.push(cpuSeconds() - c0);
      log(`layout ${size} run ${r + 1}: ${times.at(-1)!.toFixed(1)} s`);
    }
    const out: Record<string, unknown> = {
      n: size,
      seconds: round(median(times), 2),
      cpuSeconds: round(median(cpu), 2),
      runs: times.map((t) => round(t, 2)),
      phases: result!.timings,
      method: result!.method,
      progressMessages,
      knnSecondsNotIncluded: round(knnSeconds, 2),
      knnSource,
      mapSilhouetteOfPlanted: round(mapSilhouette(result!.coords, set.truth, plantedK, 1500), 4),
    };
    if (alsoUmapJs) {
      t0 = performance.now();
      const c0 = cpuSeconds();
      const ref = await runLayoutInWorker(set, { knn, seed, engine: 'umap-js' });
      out.umapJs = {
        seconds: round(secondsSince(t0), 2),
        cpuSeconds: round(cpuSeconds() - c0, 2),
        phases: ref.timings,
        mapSilhouetteOfPlanted: round(mapSilhouette(ref.coords, set.truth, plantedK, 1500), 4),
      };
      log(`layout ${size} umap-js engine: ${secondsSince(t0).toFixed(1)} s`);
    }
    return out;
  };
  const layout: Record<string, unknown> = { [`n${n}`]: await layoutAt(n, runs, true) };
  if (options.layout100k ?? true) layout.n100000 = await layoutAt(100000, 1, false);

  // --- Colour search --------------------------------------------------------------------------
  const paletteN = options.paletteN ?? 120000;
  const queries = options.paletteQueries ?? 50;
  const rnd = mulberry32(seed ^ 0xc0ffee);
  const entries = Array.from({ length: paletteN }, (_, i) => ({
    id: i + 1,
    palette: randomPalette(rnd),
  }));
  let t0 = performance.now();
  const index = buildPaletteIndex(entries);
  const buildSeconds = secondsSince(t0);
  // Warm-up so the JIT has compiled the hot loops before timing (the app keeps them warm too).
  for (let i = 0; i < 5; i++) searchPalettes(index, randomPalette(rnd), { k: 50 });
  const custom: number[] = [];
  const solves: number[] = [];
  for (let q = 0; q < queries; q++) {
    const query = randomPalette(rnd);
    t0 = performance.now();
    const res = searchPalettes(index, query, { k: 50 });
    custom.push(performance.now() - t0);
    solves.push(res.exactSolves);
  }
  // The Colours screen's query: 1 to 5 colours scored by coverage (colour-search.ts).
  const coverage: number[] = [];
  for (let q = 0; q < queries; q++) {
    const query = randomPalette(rnd, 5);
    t0 = performance.now();
    searchColours(index, query, { k: 50 });
    coverage.push(performance.now() - t0);
  }
  const similar: number[] = [];
  for (let q = 0; q < queries; q++) {
    const id = 1 + Math.floor(rnd() * paletteN);
    t0 = performance.now();
    similarByColour(index, id, { k: 50 });
    similar.push(performance.now() - t0);
  }
  // Side-by-side: solving every palette exactly (no pruning) for one query.
  const q0 = buildPaletteIndex([{ id: 0, palette: randomPalette(rnd) }]);
  t0 = performance.now();
  for (let row = 0; row < paletteN; row++) {
    emdPacked(q0.data, 0, q0.counts[0]!, index.data, row * PALETTE_STRIDE, index.counts[row]!);
  }
  const bruteMs = performance.now() - t0;
  log(
    `palette: median ${median(custom).toFixed(1)} ms, coverage ${median(coverage).toFixed(1)} ms, brute force ${bruteMs.toFixed(0)} ms`,
  );

  return {
    benchmark: 'analysis-clusters',
    machine,
    data: {
      embeddings: {
        n,
        dim,
        plantedClusters: plantedK,
        noise,
        seed,
        layout100k: options.layout100k ?? true,
      },
      palettes: {
        n: paletteN,
        colours: `1-${PALETTE_SLOTS} uniform in L 0..100, a,b -80..80`,
        seed,
      },
      silhouetteOfPlantedTruthSampled: round(truthSilhouette, 4),
    },
    clustering,
    layout,
    colourSearch: {
      k: 50,
      indexBuildSeconds: round(buildSeconds),
      customPaletteMs: {
        median: round(median(custom)),
        p95: round(quantile(custom, 0.95)),
        queries,
      },
      colourQueryMs: {
        median: round(median(coverage)),
        p95: round(quantile(coverage, 0.95)),
        queries,
      },
      similarByColourMs: {
        median: round(median(similar)),
        p95: round(quantile(similar, 0.95)),
        queries,
      },
      exactSolvesMedian: median(solves),
      bruteForceAllExactMs: round(bruteMs),
    },
    targets: {
      clustering10kUnder10s: (clustering.auto as { seconds: number }).seconds < 10,
      layout10kUnder20s: ((layout[`n${n}`] as { seconds: number }).seconds ?? Infinity) < 20,
      layout100kUnder180s: layout.n100000
        ? (layout.n100000 as { seconds: number }).seconds < 180
        : null,
      palette120kUnder100ms: median(custom) < 100,
      colourQuery120kUnder100ms: median(coverage) < 100,
    },
    totalSeconds: round(secondsSince(started), 1),
    totalCpuSeconds: round(cpuSeconds() - cpuAtStart, 1),
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const result = await runClustersBench({
    layout100k: !args.includes('--no-100k'),
    runs: runsAt >= 0 ? Number(args[runsAt + 1]) : undefined,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
