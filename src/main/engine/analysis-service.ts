// The analysis engine behind Duplicates, Clusters, Map, Similar and Colours. It works in the
// embedding space the library uses now (the fingerprint, or a CLIP model once every photo has
// its vector), keeps the neighbour graph, clusters and layout in the catalog so that opening a
// library does not recompute them, and updates them incrementally as photos come and go.
//
// What runs where: the neighbour graph (with the duplicate edges drawn from it) and the
// clustering run in the analysis worker thread (analysis/analysis-thread.ts), the map layout in
// its own worker (analysis/layout.ts), so the engine's thread keeps answering the grid,
// thumbnails and status meanwhile. Jobs of a few milliseconds (a library of a few hundred
// photos, or one photo added to a small one) stay on the engine's thread, where a worker's
// start would cost more than the work. One graph job runs at a time: a request for the same
// photos shares the running one, and a request made after photos changed follows it, as an
// update of its result.
import type {
  ClusterMembersPage,
  ClustersView,
  DuplicateDecisionKind,
  DuplicateGroup,
  DuplicatesView,
  MapLayoutView,
  Photo,
  ScoredPhoto,
} from '../../shared/domain.ts';
import { labToHex } from '../../shared/colour.ts';
import type { ClustersProgress, LibraryColours } from '../../shared/api.ts';
import type { AnalysisApi, ColourQuery } from './analysis-api.ts';
import {
  contentTag,
  GraphKeeper,
  runClusterTask,
  type ClusterTask,
  type GraphOutcome,
  type GraphTask,
} from './analysis/analysis-tasks.ts';
import { AnalysisThread } from './analysis/analysis-thread.ts';
import type { ClusterResult } from './analysis/clusters.ts';
import {
  buildPaletteIndex,
  PALETTE_STRIDE,
  paletteHexes,
  searchByHex,
  searchPalettes,
  similarByColour,
  type ColourSearchResult,
  type PaletteIndex,
} from './analysis/colour-search.ts';
import {
  groupDuplicates,
  similarityHistogram,
  type DuplicateEdges,
} from './analysis/duplicates.ts';
import { suggestKeeper, type KeepCandidate } from './analysis/keep-best.ts';
import { libraryColours } from './analysis/library-colours.ts';
import { PICTURE_CHECK_VERSION } from './analysis/picture-check.ts';
import { LABEL_VOCABULARY, labelClusters, labelPrompt } from './analysis/labels.ts';
import { knnFromNeighbourIds, placeNewPoints, runLayoutInWorker } from './analysis/layout.ts';
import {
  DEFAULT_EXACT_LIMIT,
  DEFAULT_K,
  nearestInSet,
  type NeighbourGraphOptions,
  type SerialisedNeighbourGraph,
} from './analysis/neighbours.ts';
import type { Catalog } from './catalog/catalog.ts';
import { pack, unpack } from './catalog/packing.ts';
import { FEATURE_VERSIONS, PALETTE_VERSION } from './features/versions.ts';
import { decodeMeta, decodePalette } from './index/feature-records.ts';
import type { DecodeOutcome } from './index/protocol.ts';
import { toDuplicateDecisions } from './journal/duplicate-decisions.ts';
import type { Journal } from './journal/journal.ts';
import type { EmbeddingSet, EmbeddingSpace, ModelManager } from './models.ts';

/**
 * Default duplicate thresholds per embedding, on pairs that passed the picture check. The
 * fingerprint's was measured by bench/duplicate-quality.ts (48 families of edited copies of real
 * images against recolours, skin tones and shiny sprites): at 0.85 precision 0.985 and recall
 * 0.972 over pairs; at 0.80 0.985 and 0.986; at 0.90 0.984 and 0.926 (the crops and brightened
 * copies fall off first). Without the picture check the best was 0.90 at 0.89 and 0.94: the
 * recolours chained families together. CLIP's is the usual near-duplicate setting for
 * ViT-B/32; it could not be measured here without the weights.
 */
const DEFAULT_THRESHOLDS: Record<string, number> = { fingerprint: 0.85 };
const CLIP_DEFAULT_THRESHOLD = 0.95;
/**
 * Pairs below this are never cached, so the slider reaches this low. Every cached pair is
 * checked pixel by pixel (analysis/picture-check.ts), which is what costs: at 0.6 a library of
 * 7,266 sprites and emoji had 55k candidate pairs, at 0.75 32k. Below 0.75 neither embedding
 * scores an edited copy (the fingerprint's every edit clears 0.8; CLIP's near-duplicates sit far
 * higher), so nothing a duplicate search should find is lost.
 */
const EDGE_FLOOR = 0.75;
const HISTOGRAM_BINS = 40;
/**
 * Work kept on the engine's thread in 'auto': about 15 ms of dot products (2.5e7 multiply-adds;
 * an exact graph of ~320 photos at the fingerprint's 471 dimensions, or one photo added to a
 * library of 50k), and never more than this many photos (beyond, even bookkeeping costs).
 */
const INLINE_GRAPH_WORK = 2.5e7;
const INLINE_GRAPH_PHOTOS = 2_000;
/** Clustering up to this many photos takes ~20 ms (2-core machine); above it goes to the worker. */
const INLINE_CLUSTER_PHOTOS = 120;
/**
 * The clustering method's version, saved with a clustering: a stored one made by another version
 * is computed again even if no photo changed. 2: k with a floor and a size limit, near-duplicate
 * groups kept whole, the reason for k. 3: a group clustered at its photos' mean, not its first copy.
 */
const CLUSTERING_VERSION = 3;

export interface AnalysisDeps {
  catalog: Catalog;
  journal: Journal;
  models: ModelManager;
  /** Decodes a file outside the library; nothing is written. */
  probe(path: string, clipInput: boolean): Promise<DecodeOutcome>;
  isReferenceFolder(path: string): boolean;
  /** The phrases clusters are labelled from, with a CLIP model (default: LABEL_VOCABULARY). */
  labelVocabulary?: readonly string[];
  /**
   * Where the neighbour graph and the clustering run: 'auto' (default) keeps jobs of a few
   * milliseconds on the engine's thread and sends the rest to the analysis worker thread;
   * 'worker' and 'inline' force one side (tests, benchmarks).
   */
  compute?: 'auto' | 'worker' | 'inline';
  /** Neighbour graph settings (tests: a small exactLimit, one thread). */
  graphOptions?: NeighbourGraphOptions;
  /** The analysis worker is ended after this long without work (default 60 s). */
  workerIdleMs?: number;
  /** Told of each graph or clustering job and where it ran (tests, logs). */
  onWork?: (work: AnalysisWork) => void;
}

export interface AnalysisWork {
  step: 'graph' | 'clusters';
  where: 'inline' | 'worker';
  photos: number;
  /** Wall time as the engine saw it (for the worker: including the round trip). */
  ms: number;
  /** For the graph: built, updated or unchanged, and from what. */
  how?: string;
}

interface Snapshot {
  generation: number;
  space: EmbeddingSpace;
  set: EmbeddingSet;
  /** Row of each photo id in the set (built on first use: a 100k Map costs tens of ms). */
  rowOf(): Map<number, number>;
  /** The graph's label; the worker that made it may still hold it for the next update. */
  revision: number;
  /** The neighbour lists (what the catalog stores, and the map's kNN). */
  lists: SerialisedNeighbourGraph;
  /** The content tag of each listed photo (stored with the lists; see contentTag). */
  contentTags: Uint32Array;
  edges: DuplicateEdges;
}

interface LayoutJob {
  spaceKey: string;
  progress: number;
  done: Promise<void>;
}

const spaceKeyOf = (space: EmbeddingSpace): string => `${space.kind}@${space.version}`;

export class AnalysisService implements AnalysisApi {
  private generation = 0;
  private snapshot: Snapshot | null = null;
  /** The graph job running now, and the photos (generation, space) it read. */
  private snapshotRun: { generation: number; spaceKey: string; promise: Promise<Snapshot> } | null =
    null;
  /** The job that follows it, for requests made after photos changed; shared by all of them. */
  private snapshotNext: Promise<Snapshot> | null = null;
  private revisions = 0;
  /** Cluster jobs by (generation, space, k): a second identical request shares the first. */
  private readonly clusterJobs = new Map<string, Promise<ClusterResult>>();
  /** Cluster jobs run one after another, so each starts from the clustering saved before it. */
  private clusterLane: Promise<unknown> = Promise.resolve();
  private readonly inlineGraphs = new GraphKeeper();
  private thread: AnalysisThread | null = null;
  private readonly layoutAbort = new AbortController();
  private closed = false;
  private palettes: { generation: number; index: PaletteIndex } | null = null;
  private clustersCache: {
    generation: number;
    spaceKey: string;
    k: string;
    result: ClusterResult;
  } | null = null;
  private layoutJob: LayoutJob | null = null;
  /** How far the clustering running now is (the Clusters screen's progress bar). */
  private clusterWork: { done: number; total: number } | null = null;
  private labelVectors: { modelId: string; vectors: Float32Array[] } | null = null;

  constructor(private readonly deps: AnalysisDeps) {}

  /** Photos changed: cached results are recomputed (incrementally) on the next request. */
  invalidate(): void {
    this.generation += 1;
  }

  /**
   * Ends the analysis and layout workers (jobs in flight reject with an AbortError, and nothing
   * they were computing is saved). Called by the library before it closes the catalog.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.layoutAbort.abort();
    this.inlineGraphs.drop();
    await this.thread?.close();
  }

  /** Whether the analysis worker thread is running now (tests). */
  get workerAlive(): boolean {
    return this.thread?.alive ?? false;
  }

  // --- duplicates ------------------------------------------------------------------------------

  defaultThreshold(space: EmbeddingSpace): number {
    return DEFAULT_THRESHOLDS[space.modelId] ?? CLIP_DEFAULT_THRESHOLD;
  }

  async duplicates(options: { threshold?: number } = {}): Promise<DuplicatesView> {
    const snap = await this.current();
    const defaultThreshold = this.defaultThreshold(snap.space);
    const threshold = options.threshold ?? defaultThreshold;
    const decisions = toDuplicateDecisions(this.deps.journal.decisions());
    const found = groupDuplicates({ edges: snap.edges, threshold, decisions });
    const photos = this.deps.catalog.photosByIds(found.flatMap((g) => g.members));
    const groups: DuplicateGroup[] = [];
    for (const group of found) {
      const members = group.members.flatMap((id) => photos.get(id) ?? []);
      if (members.length < 2) continue;
      // Asked once per member: the keeper rules and the view both need it.
      const inReference = members.map((photo) => this.deps.isReferenceFolder(photo.path));
      const suggestions = new Map(
        suggestKeeper(members.map((p, i) => this.keepCandidate(p, inReference[i]!))).map((s) => [
          s.id,
          s,
        ]),
      );
      const view = members.map((photo, i) => ({
        photo,
        keep: suggestions.get(photo.id)?.keep ?? true,
        why: suggestions.get(photo.id)?.why ?? '',
        inReferenceFolder: inReference[i]!,
      }));
      // Keepers first: the photo the group is about, then what would go.
      view.sort((a, b) => Number(b.keep) - Number(a.keep));
      groups.push({
        id: group.id,
        tier: group.tier,
        minSimilarity: group.minSimilarity,
        members: view,
        bytesFreed: view.filter((m) => !m.keep).reduce((sum, m) => sum + m.photo.size, 0),
      });
    }
    // Same bytes first (the safest to act on), then the groups that free the most space.
    groups.sort((a, b) =>
      a.tier === b.tier ? b.bytesFreed - a.bytesFreed : a.tier === 'identical' ? -1 : 1,
    );
    const histogram = similarityHistogram(snap.edges, HISTOGRAM_BINS, EDGE_FLOOR, 1);
    return {
      threshold,
      defaultThreshold,
      model: snap.space.modelId,
      groups,
      histogram: { from: histogram.min, to: histogram.max, counts: Array.from(histogram.counts) },
      totals: {
        groups: groups.length,
        photos: groups.reduce((sum, g) => sum + g.members.length, 0),
        bytesFreed: groups.reduce((sum, g) => sum + g.bytesFreed, 0),
      },
    };
  }

  async decideDuplicates(photoIds: number[], kind: DuplicateDecisionKind): Promise<void> {
    const photos = this.deps.catalog.photosByIds(photoIds);
    const hashes = [
      ...new Set([...photos.values()].flatMap((p) => (p.contentHash ? [p.contentHash] : []))),
    ];
    if (hashes.length < 2 && kind === 'not-duplicates') {
      throw new Error('A "not duplicates" decision needs at least two different photos.');
    }
    if (hashes.length === 0) throw new Error('None of these photos is in the library.');
    this.deps.journal.recordDecision(kind, hashes);
  }

  private keepCandidate(photo: Photo, inReferenceFolder: boolean): KeepCandidate {
    const meta = photo.contentHash ? this.deps.catalog.feature(photo.contentHash, 'meta') : null;
    const facts = meta ? decodeMeta(meta.data) : null;
    return {
      id: photo.id,
      path: photo.path,
      width: photo.width,
      height: photo.height,
      format: photo.format,
      size: photo.size,
      sharpness: facts?.sharpness ?? null,
      exifFields: facts?.exifFieldCount ?? null,
      takenAt: photo.takenAt,
      inReferenceFolder,
    };
  }

  // --- clusters --------------------------------------------------------------------------------

  async clusters(options: { k?: number | 'auto' } = {}): Promise<ClustersView> {
    const snap = await this.current();
    const result = await this.clusterResult(snap, options.k ?? 'auto');
    const medoids = this.deps.catalog.photosByIds(result.clusters.map((c) => c.medoidId));
    const labels = await this.clusterLabels(snap, result);
    return {
      k: result.k,
      method: result.method,
      reason: result.reason,
      model: snap.space.modelId,
      scores: result.scores,
      clusters: result.clusters.flatMap((c) => {
        const medoid = medoids.get(c.medoidId);
        return medoid ? [{ id: c.id, medoid, size: c.size, label: labels?.get(c.id) ?? null }] : [];
      }),
    };
  }

  async clusterMembers(
    clusterId: number,
    offset: number,
    limit: number,
  ): Promise<ClusterMembersPage> {
    const snap = await this.current();
    const result = this.clustersCache?.result ?? (await this.clusterResult(snap, 'auto'));
    const cluster = result.clusters.find((c) => c.id === clusterId);
    if (!cluster) throw new Error(`There is no cluster ${clusterId}.`);
    const ids = Array.from(cluster.memberIds.subarray(offset, offset + limit));
    const photos = this.deps.catalog.photosByIds(ids);
    return {
      id: clusterId,
      total: cluster.size,
      members: ids.flatMap((id, i) => {
        const photo = photos.get(id);
        return photo ? [{ photo, distance: cluster.distances[offset + i] ?? 0 }] : [];
      }),
    };
  }

  /** Zero-shot labels, when the clusters were made in a CLIP space whose model reads text. */
  private async clusterLabels(
    snap: Snapshot,
    result: ClusterResult,
  ): Promise<Map<number, string> | null> {
    const embedder = this.deps.models.embedder();
    if (
      snap.space.modelId === 'fingerprint' ||
      !embedder?.embedText ||
      embedder.id !== snap.space.modelId
    ) {
      return null;
    }
    const vocabulary = this.deps.labelVocabulary ?? LABEL_VOCABULARY;
    if (this.labelVectors?.modelId !== embedder.id) {
      this.labelVectors = {
        modelId: embedder.id,
        vectors: await embedder.embedText(vocabulary.map(labelPrompt)),
      };
    }
    const names = labelClusters(
      result.clusters.map((c) => ({
        memberRows: Array.from(c.memberIds, (id) => snap.rowOf().get(id) ?? 0),
      })),
      snap.set.vectors,
      snap.set.dim,
      this.labelVectors.vectors,
      vocabulary,
    );
    return new Map(result.clusters.map((c, i) => [c.id, names[i]!]));
  }

  private clusterResult(snap: Snapshot, k: number | 'auto'): Promise<ClusterResult> {
    const key = String(k);
    const spaceKey = spaceKeyOf(snap.space);
    const cached = this.clustersCache;
    if (
      cached &&
      cached.generation === snap.generation &&
      cached.spaceKey === spaceKey &&
      cached.k === key
    ) {
      return Promise.resolve(cached.result);
    }
    if (snap.set.ids.length === 0) {
      return Promise.resolve({
        k: 0,
        method: 'no photos yet',
        reason: 'No photos yet.',
        scores: { silhouette: [], daviesBouldin: [], elbow: [] },
        clusters: [],
      });
    }
    const jobKey = `${snap.generation}|${spaceKey}|${key}`;
    const running = this.clusterJobs.get(jobKey);
    if (running) return running;
    const job = this.clusterLane
      .catch(() => undefined)
      .then(() => this.computeClusters(snap, k, spaceKey))
      .finally(() => {
        if (this.clusterJobs.get(jobKey) === job) this.clusterJobs.delete(jobKey);
      });
    this.clusterJobs.set(jobKey, job);
    this.clusterLane = job;
    return job;
  }

  private async computeClusters(
    snap: Snapshot,
    k: number | 'auto',
    spaceKey: string,
  ): Promise<ClusterResult> {
    this.assertOpen();
    const key = String(k);
    const stored = this.loadClusters(spaceKey);
    let result: ClusterResult;
    if (
      stored &&
      stored.k === key &&
      stored.setKey === setKeyOf(snap) &&
      stored.algorithm === CLUSTERING_VERSION
    ) {
      result = stored.result;
    } else {
      // The previous medoids seed the run, so cluster ids stay stable when a few photos arrive.
      const previous = stored?.result.clusters.map((c) => ({ id: c.id, medoidId: c.medoidId }));
      const n = snap.set.ids.length;
      const kValue = k === 'auto' ? 'auto' : Math.min(k, n);
      result =
        n < 3
          ? singleCluster(snap.set)
          : await this.runClusters({
              kind: 'clusters',
              set: { ids: snap.set.ids, vectors: snap.set.vectors, dim: snap.set.dim },
              options: {
                k: kValue,
                previous,
                seed: 1,
                duplicateGroups: this.duplicateGroupsOf(snap),
              },
            });
      this.assertOpen();
      this.saveClusters(spaceKey, key, setKeyOf(snap), result);
    }
    if (!this.clustersCache || this.clustersCache.generation <= snap.generation)
      this.clustersCache = { generation: snap.generation, spaceKey, k: key, result };
    return result;
  }

  /**
   * The near-duplicate group (at the default threshold) of each row of the snapshot, or -1, so a
   * clustering keeps together every group the Duplicates screen shows by default. The person's
   * decisions are left out on purpose: a "not duplicates" pair still looks alike, and a group
   * hidden by "keep all" is still a group of copies.
   */
  private duplicateGroupsOf(snap: Snapshot): Int32Array {
    const groups = groupDuplicates({
      edges: snap.edges,
      threshold: this.defaultThreshold(snap.space),
    });
    const rowOf = snap.rowOf();
    const groupOf = new Int32Array(snap.set.ids.length).fill(-1);
    groups.forEach((group, g) => {
      for (const id of group.members) {
        const row = rowOf.get(id);
        if (row !== undefined) groupOf[row] = g;
      }
    });
    return groupOf;
  }

  private async runClusters(task: ClusterTask): Promise<ClusterResult> {
    const photos = task.set.ids.length;
    const where = this.placement(photos <= INLINE_CLUSTER_PHOTOS);
    const started = performance.now();
    this.clusterWork = { done: 0, total: 0 };
    let result: ClusterResult;
    try {
      result =
        where === 'inline'
          ? runClusterTask(task)
          : await this.worker().run(task, { onProgress: (p) => (this.clusterWork = p) });
    } finally {
      this.clusterWork = null;
    }
    this.deps.onWork?.({ step: 'clusters', where, photos, ms: performance.now() - started });
    return result;
  }

  /**
   * Answers at once, never computing: the clustering last saved for the active embedding (with
   * the automatic k), so a screen can show medoids while `clusters` brings them up to date, and
   * what is being worked on. The neighbour graph job counts as clusters work because a clusters
   * request waits for it.
   */
  clustersProgress(): ClustersProgress {
    const space = this.deps.models.effectiveSpace();
    const spaceKey = spaceKeyOf(space);
    const cached = this.clustersCache;
    const result =
      cached?.spaceKey === spaceKey && cached.k === 'auto'
        ? cached.result
        : (() => {
            const stored = this.loadClusters(spaceKey);
            return stored?.k === 'auto' ? stored.result : null;
          })();
    let stored: ClustersView | null = null;
    if (result && result.clusters.length > 0) {
      const medoids = this.deps.catalog.photosByIds(result.clusters.map((c) => c.medoidId));
      stored = {
        k: result.k,
        method: result.method,
        reason: result.reason,
        model: space.modelId,
        scores: result.scores,
        clusters: result.clusters.flatMap((c) => {
          const medoid = medoids.get(c.medoidId);
          return medoid ? [{ id: c.id, medoid, size: c.size, label: null }] : [];
        }),
      };
    }
    const work = this.clusterWork
      ? { stage: 'clusters' as const, ...this.clusterWork }
      : this.snapshotRun
        ? { stage: 'neighbours' as const, done: 0, total: 0 }
        : this.clusterJobs.size > 0
          ? { stage: 'clusters' as const, done: 0, total: 0 }
          : null;
    return { stored, work };
  }

  private loadClusters(
    spaceKey: string,
  ): { k: string; setKey: string; algorithm: number; result: ClusterResult } | null {
    const data = this.deps.catalog.analysisResult('clusters', spaceKey);
    if (!data) return null;
    const { meta, arrays } = unpack<{
      k: string;
      setKey: string;
      /** Absent in clusterings saved before CLUSTERING_VERSION existed (version 1). */
      algorithm?: number;
      resultK: number;
      method: string;
      reason?: string;
      scores: ClusterResult['scores'];
      clusters: { id: number; medoidId: number; size: number; offset: number }[];
    }>(data);
    const members = arrays.members as Int32Array;
    const distances = arrays.distances as Float32Array;
    return {
      k: meta.k,
      setKey: meta.setKey,
      algorithm: meta.algorithm ?? 1,
      result: {
        k: meta.resultK,
        method: meta.method,
        reason: meta.reason ?? '',
        scores: meta.scores,
        clusters: meta.clusters.map((c) => ({
          id: c.id,
          medoidId: c.medoidId,
          size: c.size,
          memberIds: members.subarray(c.offset, c.offset + c.size),
          distances: distances.subarray(c.offset, c.offset + c.size),
        })),
      },
    };
  }

  private saveClusters(spaceKey: string, k: string, setKey: string, result: ClusterResult): void {
    const total = result.clusters.reduce((sum, c) => sum + c.size, 0);
    const members = new Int32Array(total);
    const distances = new Float32Array(total);
    let offset = 0;
    const clusters = result.clusters.map((c) => {
      members.set(c.memberIds, offset);
      distances.set(c.distances, offset);
      const entry = { id: c.id, medoidId: c.medoidId, size: c.size, offset };
      offset += c.size;
      return entry;
    });
    const meta = {
      k,
      setKey,
      algorithm: CLUSTERING_VERSION,
      resultK: result.k,
      method: result.method,
      reason: result.reason,
      scores: result.scores,
      clusters,
    };
    this.deps.catalog.saveAnalysisResult('clusters', spaceKey, pack(meta, { members, distances }));
  }

  // --- map -------------------------------------------------------------------------------------

  async map(options: { recompute?: boolean } = {}): Promise<MapLayoutView> {
    const snap = await this.current();
    const spaceKey = spaceKeyOf(snap.space);
    const model = snap.space.modelId;
    if (snap.set.ids.length === 0) return { state: 'empty', progress: 0, model, points: [] };
    if (this.layoutJob?.spaceKey === spaceKey) {
      return { state: 'computing', progress: this.layoutJob.progress, model, points: [] };
    }
    const stored = options.recompute ? null : this.loadLayout(spaceKey);
    if (!stored) {
      this.startLayout(snap);
      return { state: 'computing', progress: 0, model, points: [] };
    }
    const placed = this.placeMissing(snap, stored);
    const clusterOf = new Map<number, number>();
    const clusters =
      this.clustersCache?.spaceKey === spaceKey
        ? this.clustersCache.result
        : this.loadClusters(spaceKey)?.result;
    for (const c of clusters?.clusters ?? []) for (const id of c.memberIds) clusterOf.set(id, c.id);
    const medoids = new Set((clusters?.clusters ?? []).map((c) => c.medoidId));
    const colourOf = this.dominantColours();
    const points = Array.from(placed.ids, (id, i) => ({
      id,
      x: placed.coords[2 * i]!,
      y: placed.coords[2 * i + 1]!,
      cluster: clusterOf.get(id) ?? -1,
      medoid: medoids.has(id),
      colour: colourOf.get(id) ?? null,
    }));
    return { state: 'ready', progress: 1, model, points };
  }

  /** Waits for a layout being computed in the background (the CLI's `map`). */
  async whenLayoutDone(): Promise<void> {
    await this.layoutJob?.done;
  }

  private startLayout(snap: Snapshot): void {
    const spaceKey = spaceKeyOf(snap.space);
    const job: LayoutJob = { spaceKey, progress: 0, done: Promise.resolve() };
    job.done = runLayoutInWorker(
      { ids: snap.set.ids, vectors: snap.set.vectors, dim: snap.set.dim },
      { knn: knnFromNeighbourIds(snap.set.ids, snap.lists), seed: 1 },
      {
        onProgress: (p) => {
          // PCA, kNN and graph are quick; the optimisation epochs are most of the time.
          job.progress =
            p.phase === 'optimise' ? 0.1 + 0.9 * (p.done / Math.max(1, p.total)) : 0.05;
        },
        signal: this.layoutAbort.signal,
      },
    )
      .then((layout) => {
        this.assertOpen();
        this.deps.catalog.saveAnalysisResult(
          'layout',
          spaceKey,
          pack(null, { ids: layout.ids, coords: layout.coords }),
        );
      })
      .finally(() => {
        if (this.layoutJob === job) this.layoutJob = null;
      });
    // Whoever waits (whenLayoutDone) sees a failure; nobody waiting is not an unhandled error.
    job.done.catch(() => undefined);
    this.layoutJob = job;
  }

  private loadLayout(spaceKey: string): { ids: Int32Array; coords: Float32Array } | null {
    const data = this.deps.catalog.analysisResult('layout', spaceKey);
    if (!data) return null;
    const { arrays } = unpack(data);
    return { ids: arrays.ids as Int32Array, coords: arrays.coords as Float32Array };
  }

  /** New photos go next to their nearest placed neighbours; removed ones drop out. */
  private placeMissing(snap: Snapshot, stored: { ids: Int32Array; coords: Float32Array }) {
    const rows = snap.rowOf();
    const keepRows: number[] = [];
    stored.ids.forEach((id, row) => {
      if (rows.has(id)) keepRows.push(row);
    });
    const ids = Int32Array.from(keepRows, (row) => stored.ids[row]!);
    const coords = new Float32Array(ids.length * 2);
    keepRows.forEach((row, i) => {
      coords[2 * i] = stored.coords[2 * row]!;
      coords[2 * i + 1] = stored.coords[2 * row + 1]!;
    });
    const placedSet = new Set(ids);
    const missing = Array.from(snap.set.ids).filter((id) => !placedSet.has(id));
    if (missing.length === 0 && ids.length === stored.ids.length) return { ids, coords };
    let result = { ids, coords };
    if (missing.length > 0 && ids.length > 0) {
      const added = this.subset(snap, missing);
      const newCoords = placeNewPoints({ ...this.subset(snap, Array.from(ids)), coords }, added);
      const allIds = new Int32Array(ids.length + missing.length);
      allIds.set(ids);
      allIds.set(missing, ids.length);
      const allCoords = new Float32Array(allIds.length * 2);
      allCoords.set(coords);
      allCoords.set(newCoords, coords.length);
      result = { ids: allIds, coords: allCoords };
    }
    this.deps.catalog.saveAnalysisResult('layout', spaceKeyOf(snap.space), pack(null, result));
    return result;
  }

  // --- similar and colours ---------------------------------------------------------------------

  async similarToPhoto(
    photoId: number,
    options: { by?: 'content' | 'colour'; k?: number } = {},
  ): Promise<ScoredPhoto[]> {
    const k = options.k ?? 24;
    if (options.by === 'colour')
      return this.colourResults(similarByColour(this.paletteIndex(), photoId, { k }));
    const snap = await this.current();
    const row = snap.rowOf().get(photoId);
    if (row === undefined) throw new Error('That photo has not been indexed yet.');
    const vector = snap.set.vectors.subarray(row * snap.set.dim, (row + 1) * snap.set.dim);
    const hits = nearestInSet(snap.set, vector, k + 1)
      .filter((hit) => hit.id !== photoId)
      .slice(0, k);
    return this.scored(hits.map((hit) => ({ id: hit.id, score: hit.similarity })));
  }

  async similarToFile(
    path: string,
    options: { by?: 'content' | 'colour'; k?: number } = {},
  ): Promise<ScoredPhoto[]> {
    const k = options.k ?? 24;
    const snap = await this.current();
    const usesModel = snap.space.modelId !== 'fingerprint';
    const outcome = await this.deps.probe(path, usesModel && options.by !== 'colour');
    if (outcome.failure !== undefined || !outcome.features) {
      throw new Error(
        `That file cannot be compared: ${outcome.failure ?? 'it could not be read'}.`,
      );
    }
    const features = outcome.features;
    if (options.by === 'colour') {
      return this.colourResults(searchPalettes(this.paletteIndex(), features.palette, { k }));
    }
    let vector = features.fingerprint;
    if (usesModel) {
      const embedder = this.deps.models.embedder();
      if (!embedder || !features.clipInput)
        throw new Error('The embedding model is not available.');
      [vector] = (await embedder.embedImages([features.clipInput])) as [Float32Array];
    }
    const hits = nearestInSet(snap.set, vector, k);
    return this.scored(hits.map((hit) => ({ id: hit.id, score: hit.similarity })));
  }

  async byColours(colours: ColourQuery[], options: { k?: number } = {}): Promise<ScoredPhoto[]> {
    return this.colourResults(searchByHex(this.paletteIndex(), colours, { k: options.k ?? 24 }));
  }

  libraryColours(options: { count?: number } = {}): LibraryColours {
    return libraryColours(this.paletteIndex(), options.count);
  }

  private colourResults(result: ColourSearchResult): ScoredPhoto[] {
    const index = this.paletteIndex();
    return this.scored(result.results.map((hit) => ({ id: hit.id, score: hit.score }))).map(
      (hit) => ({
        ...hit,
        palette: paletteHexes(index, hit.photo.id) ?? [],
      }),
    );
  }

  private scored(hits: { id: number; score: number }[]): ScoredPhoto[] {
    const photos = this.deps.catalog.photosByIds(hits.map((hit) => hit.id));
    return hits.flatMap((hit) => {
      const photo = photos.get(hit.id);
      return photo ? [{ photo, score: hit.score }] : [];
    });
  }

  /** Each photo's dominant colour: the first palette slot (palettes are sorted by share). */
  private dominantColours(): Map<number, string> {
    const index = this.paletteIndex();
    const colours = new Map<number, string>();
    index.ids.forEach((id, row) => {
      if (index.counts[row] === 0) return;
      const o = row * PALETTE_STRIDE;
      colours.set(
        id,
        labToHex({ l: index.data[o]!, a: index.data[o + 1]!, b: index.data[o + 2]! }),
      );
    });
    return colours;
  }

  private paletteIndex(): PaletteIndex {
    if (this.palettes?.generation === this.generation) return this.palettes.index;
    const entries: {
      id: number;
      palette: { lab: { l: number; a: number; b: number }; share: number }[];
    }[] = [];
    for (const row of this.deps.catalog.featuresOfKind('palette', PALETTE_VERSION)) {
      const palette = decodePalette(row.data);
      if (palette.length > 0) entries.push({ id: row.photoId, palette });
    }
    const index = buildPaletteIndex(entries);
    this.palettes = { generation: this.generation, index };
    return index;
  }

  // --- the embedding snapshot and the neighbour graph -----------------------------------------

  /**
   * The embeddings, neighbour lists and duplicate edges of the photos as they are now: the last
   * snapshot if no photo changed since, else the graph job that answers it (shared, see the top
   * of this file).
   */
  private current(): Promise<Snapshot> {
    if (this.closed) return Promise.reject(closedError());
    const spaceKey = spaceKeyOf(this.deps.models.effectiveSpace());
    const snap = this.snapshot;
    if (snap && snap.generation === this.generation && spaceKeyOf(snap.space) === spaceKey)
      return Promise.resolve(snap);
    const run = this.snapshotRun;
    if (!run) return this.startSnapshot();
    if (run.generation === this.generation && run.spaceKey === spaceKey) return run.promise;
    // Photos changed after the running job read them: one more job follows it, as an update of
    // its result, for every request made meanwhile.
    this.snapshotNext ??= run.promise
      .catch(() => undefined)
      .then(() => {
        this.snapshotNext = null;
        return this.current();
      });
    return this.snapshotNext;
  }

  private startSnapshot(): Promise<Snapshot> {
    // The generation is read before the photos are, and both before anything is awaited, so a
    // change made while the job runs leaves this snapshot stale (recomputed on the next request)
    // instead of being taken for included.
    const generation = this.generation;
    const space = this.deps.models.effectiveSpace();
    const promise: Promise<Snapshot> = this.buildSnapshot(generation, space).finally(() => {
      if (this.snapshotRun?.promise === promise) this.snapshotRun = null;
    });
    this.snapshotRun = { generation, spaceKey: spaceKeyOf(space), promise };
    return promise;
  }

  private async buildSnapshot(generation: number, space: EmbeddingSpace): Promise<Snapshot> {
    const spaceKey = spaceKeyOf(space);
    // The graph to continue: the last snapshot's in the same space, else the stored one.
    const previous = this.snapshot;
    const base =
      previous && spaceKeyOf(previous.space) === spaceKey
        ? {
            revision: previous.revision,
            lists: previous.lists,
            contentTags: previous.contentTags,
          }
        : this.loadGraph(spaceKey);
    const task: GraphTask = {
      kind: 'graph',
      revision: ++this.revisions,
      spaceKey,
      photos: this.photosFor(space, previous),
      base,
      edgeFloor: EDGE_FLOOR,
      pictures: this.picturesFor(),
      graphOptions: this.deps.graphOptions,
    };
    let outcome: GraphOutcome;
    try {
      outcome = await this.runGraph(task);
    } catch (error) {
      if (!('catalogFile' in task.photos) || this.closed) throw error;
      // The worker could not do it with its own catalog connection: once more, with the
      // embeddings read here (the engine's thread stalls for the read, but analysis works).
      task.photos = this.readPhotos(space);
      // Nor can it read the miniatures: the pairs stay unchecked this time (the cosine alone
      // decides, as it did before the picture check existed).
      task.pictures = null;
      outcome = await this.runGraph(task);
    }
    // Closed meanwhile (the worker was ended, so this is an inline job's result): not saved.
    this.assertOpen();
    // Saved in the order the jobs ran (one at a time), so an older graph never replaces a newer
    // one; each is the graph of exactly the photos it lists.
    if (outcome.how !== 'unchanged') this.saveGraph(spaceKey, outcome.lists, outcome.contentTags);
    const fresh = outcome.pictureCheck?.fresh ?? [];
    if (fresh.length > 0) this.deps.catalog.savePictureVerdicts(PICTURE_CHECK_VERSION, fresh);
    const set: EmbeddingSet =
      'set' in task.photos
        ? { ...task.photos.set, modelId: space.modelId }
        : { ...outcome.loaded!.set, modelId: space.modelId };
    let rowOf: Map<number, number> | null = null;
    const snap: Snapshot = {
      generation,
      space,
      set,
      rowOf: () => {
        if (!rowOf) {
          rowOf = new Map();
          set.ids.forEach((id, row) => rowOf!.set(id, row));
        }
        return rowOf;
      },
      revision: outcome.revision,
      lists: outcome.lists,
      contentTags: outcome.contentTags,
      edges: outcome.edges,
    };
    this.snapshot = snap;
    return snap;
  }

  /**
   * The photos of a graph job. A library past the inline size has its embeddings read by the
   * worker, with its own connection to the catalog: reading 100k vectors from SQLite takes
   * seconds, which the engine's thread would otherwise spend stalled. Smaller ones are read here.
   */
  private photosFor(space: EmbeddingSpace, previous: Snapshot | null): GraphTask['photos'] {
    const file = this.catalogFile();
    if (file) {
      const compute = this.deps.compute ?? 'auto';
      // The last snapshot's size, or the indexed photos (a bound: every indexed photo has the
      // fingerprint, and a model's space is used only once all have its vector).
      const photos =
        previous && spaceKeyOf(previous.space) === spaceKeyOf(space)
          ? previous.set.ids.length
          : this.deps.catalog.countByStatus().indexed;
      if (compute === 'worker' || (compute === 'auto' && photos > INLINE_GRAPH_PHOTOS))
        return { catalogFile: file, space };
    }
    return this.readPhotos(space);
  }

  private readPhotos(space: EmbeddingSpace): GraphTask['photos'] {
    const set = this.deps.models.loadSet(space);
    const hashes = this.deps.catalog.indexedPhotoHashes();
    const hashOf = new Map<number, string>();
    hashes.ids.forEach((id, i) => hashOf.set(id, hashes.hashes[i]!));
    return {
      set: { ids: set.ids, vectors: set.vectors, dim: set.dim },
      contentHashes: Array.from(set.ids, (id) => hashOf.get(id) ?? null),
    };
  }

  /** The catalog's file, which the worker opens itself; null for a catalog only in memory. */
  /** Where a graph job reads miniatures for the picture check: the catalog, if it is a file. */
  private picturesFor(): GraphTask['pictures'] {
    const catalogFile = this.catalogFile();
    return catalogFile ? { catalogFile, miniatureVersion: FEATURE_VERSIONS.miniature } : null;
  }

  private catalogFile(): string | null {
    const db = this.deps.catalog.db;
    return db.memory ? null : db.name;
  }

  private async runGraph(task: GraphTask): Promise<GraphOutcome> {
    const photos = 'set' in task.photos ? task.photos.set.ids.length : null;
    const where = photos === null ? 'worker' : this.placement(graphWork(task) <= INLINE_GRAPH_WORK);
    const started = performance.now();
    let outcome: GraphOutcome;
    if (where === 'inline') {
      outcome = this.inlineGraphs.run(task);
    } else {
      this.inlineGraphs.drop();
      outcome = await this.worker().run(task);
    }
    this.deps.onWork?.({
      step: 'graph',
      where,
      photos: photos ?? outcome.loaded?.set.ids.length ?? 0,
      ms: performance.now() - started,
      how:
        `${outcome.how} from ${outcome.from} (+${outcome.added} -${outcome.removed}` +
        (outcome.changed > 0 ? ` ~${outcome.changed})` : ')') +
        (outcome.loaded ? `, embeddings read in ${Math.round(outcome.loaded.ms)} ms` : ''),
    });
    return outcome;
  }

  private placement(small: boolean): 'inline' | 'worker' {
    const compute = this.deps.compute ?? 'auto';
    if (compute !== 'auto') return compute;
    return small ? 'inline' : 'worker';
  }

  private worker(): AnalysisThread {
    this.thread ??= new AnalysisThread({ idleMs: this.deps.workerIdleMs });
    return this.thread;
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private loadGraph(spaceKey: string): GraphTask['base'] {
    const data = this.deps.catalog.analysisResult('neighbours', spaceKey);
    if (!data) return null;
    const { meta, arrays } =
      unpack<Omit<SerialisedNeighbourGraph, 'ids' | 'neighbourIds' | 'similarities'>>(data);
    const lists: SerialisedNeighbourGraph = {
      ...meta,
      ids: arrays.ids as Int32Array,
      neighbourIds: arrays.neighbourIds as Int32Array,
      similarities: arrays.similarities as Float32Array,
    };
    // Lists stored before content tags were kept have none, so a photo edited in place since
    // could not be told apart: those are rebuilt once, from scratch.
    const contentTags = arrays.contentTags as Uint32Array | undefined;
    if (!contentTags) return null;
    // Revision 0 is never a job's, so no worker mistakes these lists for a graph it holds.
    return { revision: 0, lists, contentTags };
  }

  private saveGraph(
    spaceKey: string,
    lists: SerialisedNeighbourGraph,
    contentTags: Uint32Array,
  ): void {
    const { ids, neighbourIds, similarities, ...meta } = lists;
    this.deps.catalog.saveAnalysisResult(
      'neighbours',
      spaceKey,
      pack(meta, { ids, neighbourIds, similarities, contentTags }),
    );
  }

  private subset(snap: Snapshot, ids: number[]): EmbeddingSet {
    const { set } = snap;
    const rowOf = snap.rowOf();
    const vectors = new Float32Array(ids.length * set.dim);
    ids.forEach((id, i) => {
      const row = rowOf.get(id)!;
      vectors.set(set.vectors.subarray(row * set.dim, (row + 1) * set.dim), i * set.dim);
    });
    return { ids: Int32Array.from(ids), vectors, dim: set.dim, modelId: set.modelId };
  }
}

function closedError(): Error {
  return new DOMException('The library is closed.', 'AbortError');
}

/**
 * Multiply-adds a graph job will take, roughly: all pairs for an exact build, or the changed
 * photos against all (each removed photo refills about k lists; a photo edited in place is
 * removed and added). Infinite for what only the worker should do (an HNSW build, a big library).
 */
function graphWork(task: GraphTask): number {
  if (!('set' in task.photos)) return Infinity;
  const { set } = task.photos;
  const n = set.ids.length;
  const { dim } = set;
  if (n > INLINE_GRAPH_PHOTOS) return Infinity;
  const exactLimit = task.graphOptions?.exactLimit ?? DEFAULT_EXACT_LIMIT;
  if (!task.base) return n <= exactLimit ? (n * n * dim) / 2 : Infinity;
  const { lists, contentTags } = task.base;
  const k = lists.k || DEFAULT_K;
  const tagOf = new Map<number, number | undefined>();
  lists.ids.forEach((id, r) => tagOf.set(id, contentTags?.[r]));
  const { contentHashes } = task.photos;
  let kept = 0;
  let edited = 0;
  set.ids.forEach((id, row) => {
    if (!tagOf.has(id)) return;
    kept++;
    const tag = tagOf.get(id);
    if (tag !== undefined && tag !== contentTag(contentHashes[row] ?? null)) edited++;
  });
  const added = n - kept + edited;
  const removed = lists.ids.length - kept + edited;
  // Past exactLimit an addition may build the HNSW index: the worker's job.
  if (n > exactLimit && added > 0) return Infinity;
  return (added + removed * k) * n * dim;
}

/**
 * A cheap identity of the photos and their contents: the clustering is reused only for the same
 * photos with the same contents (a photo edited in place has another content tag).
 */
function setKeyOf(snap: Pick<Snapshot, 'set' | 'lists' | 'contentTags'>): string {
  let ids = 0;
  let contents = 0;
  const { lists, contentTags } = snap;
  for (let row = 0; row < lists.ids.length; row++) {
    ids = (ids + lists.ids[row]! * 2654435761) % 4294967296;
    contents = (contents + ((lists.ids[row]! ^ contentTags[row]!) >>> 0) * 2246822519) % 4294967296;
  }
  return `${snap.set.ids.length}:${ids}:${contents}`;
}

function singleCluster(set: EmbeddingSet): ClusterResult {
  return {
    k: 1,
    method: 'too few photos to cluster',
    reason: 'One group: too few photos to compare groups.',
    scores: { silhouette: [], daviesBouldin: [], elbow: [] },
    clusters: [
      {
        id: 0,
        medoidId: set.ids[0]!,
        size: set.ids.length,
        memberIds: Int32Array.from(set.ids),
        distances: new Float32Array(set.ids.length),
      },
    ],
  };
}
