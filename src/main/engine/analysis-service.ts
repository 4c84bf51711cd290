// The analysis engine behind Duplicates, Clusters, Map, Similar and Colours. It works in the
// embedding space the library uses now (the fingerprint, or a CLIP model once every photo has
// its vector), keeps the neighbour graph, clusters and layout in the catalog so that opening a
// library does not recompute them, and updates them incrementally as photos come and go.
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
import type { AnalysisApi, ColourQuery } from './analysis-api.ts';
import { clusterEmbeddings, type ClusterResult } from './analysis/clusters.ts';
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
  buildDuplicateEdges,
  groupDuplicates,
  similarityHistogram,
  type DuplicateEdges,
} from './analysis/duplicates.ts';
import { suggestKeeper, type KeepCandidate } from './analysis/keep-best.ts';
import { LABEL_VOCABULARY, labelClusters, labelPrompt } from './analysis/labels.ts';
import { knnFromNeighbourIds, placeNewPoints, runLayoutInWorker } from './analysis/layout.ts';
import { NeighbourGraph, type SerialisedNeighbourGraph } from './analysis/neighbours.ts';
import type { Catalog } from './catalog/catalog.ts';
import { pack, unpack } from './catalog/packing.ts';
import { PALETTE_VERSION } from './features/versions.ts';
import { decodeMeta, decodePalette } from './index/feature-records.ts';
import type { DecodeOutcome } from './index/protocol.ts';
import { toDuplicateDecisions } from './journal/duplicate-decisions.ts';
import type { Journal } from './journal/journal.ts';
import type { EmbeddingSet, EmbeddingSpace, ModelManager } from './models.ts';

/**
 * Default duplicate thresholds per embedding. The fingerprint's is the best F1 measured by
 * bench/duplicate-quality.ts (48 families of edited copies of real images against recolours,
 * skin tones and shiny sprites): 0.90 gives precision 0.89 and recall 0.94 over pairs; 0.80,
 * where every single edit still matches, chains too many recolours into groups. CLIP's is the
 * usual near-duplicate setting for ViT-B/32; it could not be measured here without the weights.
 */
const DEFAULT_THRESHOLDS: Record<string, number> = { fingerprint: 0.9 };
const CLIP_DEFAULT_THRESHOLD = 0.95;
/** Pairs below this are never cached, so the slider reaches this low. */
const EDGE_FLOOR = 0.6;
const HISTOGRAM_BINS = 40;

export interface AnalysisDeps {
  catalog: Catalog;
  journal: Journal;
  models: ModelManager;
  /** Decodes a file outside the library; nothing is written. */
  probe(path: string, clipInput: boolean): Promise<DecodeOutcome>;
  isReferenceFolder(path: string): boolean;
  /** The phrases clusters are labelled from, with a CLIP model (default: LABEL_VOCABULARY). */
  labelVocabulary?: readonly string[];
}

interface Snapshot {
  generation: number;
  space: EmbeddingSpace;
  set: EmbeddingSet;
  rowOf: Map<number, number>;
  graph: NeighbourGraph;
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
  private palettes: { generation: number; index: PaletteIndex } | null = null;
  private clustersCache: {
    generation: number;
    spaceKey: string;
    k: string;
    result: ClusterResult;
  } | null = null;
  private layoutJob: LayoutJob | null = null;
  private labelVectors: { modelId: string; vectors: Float32Array[] } | null = null;

  constructor(private readonly deps: AnalysisDeps) {}

  /** Photos changed: cached results are recomputed (incrementally) on the next request. */
  invalidate(): void {
    this.generation += 1;
  }

  // --- duplicates ------------------------------------------------------------------------------

  defaultThreshold(space: EmbeddingSpace): number {
    return DEFAULT_THRESHOLDS[space.modelId] ?? CLIP_DEFAULT_THRESHOLD;
  }

  async duplicates(options: { threshold?: number } = {}): Promise<DuplicatesView> {
    const snap = this.current();
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
    const snap = this.current();
    const result = this.clusterResult(snap, options.k ?? 'auto');
    const medoids = this.deps.catalog.photosByIds(result.clusters.map((c) => c.medoidId));
    const labels = await this.clusterLabels(snap, result);
    return {
      k: result.k,
      method: result.method,
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
    const snap = this.current();
    const result = this.clustersCache?.result ?? this.clusterResult(snap, 'auto');
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
        memberRows: Array.from(c.memberIds, (id) => snap.rowOf.get(id) ?? 0),
      })),
      snap.set.vectors,
      snap.set.dim,
      this.labelVectors.vectors,
      vocabulary,
    );
    return new Map(result.clusters.map((c, i) => [c.id, names[i]!]));
  }

  private clusterResult(snap: Snapshot, k: number | 'auto'): ClusterResult {
    const key = String(k);
    const spaceKey = spaceKeyOf(snap.space);
    const cached = this.clustersCache;
    if (
      cached &&
      cached.generation === this.generation &&
      cached.spaceKey === spaceKey &&
      cached.k === key
    ) {
      return cached.result;
    }
    if (snap.set.ids.length === 0) {
      return {
        k: 0,
        method: 'no photos yet',
        scores: { silhouette: [], daviesBouldin: [], elbow: [] },
        clusters: [],
      };
    }
    const stored = this.loadClusters(spaceKey);
    let result: ClusterResult;
    if (stored && stored.k === key && stored.setKey === setKeyOf(snap.set)) {
      result = stored.result;
    } else {
      // The previous medoids seed the run, so cluster ids stay stable when a few photos arrive.
      const previous = stored?.result.clusters.map((c) => ({ id: c.id, medoidId: c.medoidId }));
      const n = snap.set.ids.length;
      const kValue = k === 'auto' ? 'auto' : Math.min(k, n);
      result =
        n < 3
          ? singleCluster(snap.set)
          : clusterEmbeddings(snap.set, { k: kValue, previous, seed: 1 });
      this.saveClusters(spaceKey, key, setKeyOf(snap.set), result);
    }
    this.clustersCache = { generation: this.generation, spaceKey, k: key, result };
    return result;
  }

  private loadClusters(
    spaceKey: string,
  ): { k: string; setKey: string; result: ClusterResult } | null {
    const data = this.deps.catalog.analysisResult('clusters', spaceKey);
    if (!data) return null;
    const { meta, arrays } = unpack<{
      k: string;
      setKey: string;
      resultK: number;
      method: string;
      scores: ClusterResult['scores'];
      clusters: { id: number; medoidId: number; size: number; offset: number }[];
    }>(data);
    const members = arrays.members as Int32Array;
    const distances = arrays.distances as Float32Array;
    return {
      k: meta.k,
      setKey: meta.setKey,
      result: {
        k: meta.resultK,
        method: meta.method,
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
      resultK: result.k,
      method: result.method,
      scores: result.scores,
      clusters,
    };
    this.deps.catalog.saveAnalysisResult('clusters', spaceKey, pack(meta, { members, distances }));
  }

  // --- map -------------------------------------------------------------------------------------

  async map(options: { recompute?: boolean } = {}): Promise<MapLayoutView> {
    const snap = this.current();
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
    const colourOf = this.dominantColours();
    const points = Array.from(placed.ids, (id, i) => ({
      id,
      x: placed.coords[2 * i]!,
      y: placed.coords[2 * i + 1]!,
      cluster: clusterOf.get(id) ?? -1,
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
    const serial = snap.graph.serialise();
    const job: LayoutJob = { spaceKey, progress: 0, done: Promise.resolve() };
    job.done = runLayoutInWorker(
      { ids: snap.set.ids, vectors: snap.set.vectors, dim: snap.set.dim },
      { knn: knnFromNeighbourIds(snap.set.ids, serial), seed: 1 },
      {
        onProgress: (p) => {
          // PCA, kNN and graph are quick; the optimisation epochs are most of the time.
          job.progress =
            p.phase === 'optimise' ? 0.1 + 0.9 * (p.done / Math.max(1, p.total)) : 0.05;
        },
      },
    )
      .then((layout) => {
        this.deps.catalog.saveAnalysisResult(
          'layout',
          spaceKey,
          pack(null, { ids: layout.ids, coords: layout.coords }),
        );
      })
      .finally(() => {
        if (this.layoutJob === job) this.layoutJob = null;
      });
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
    const keepRows: number[] = [];
    stored.ids.forEach((id, row) => {
      if (snap.rowOf.has(id)) keepRows.push(row);
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
    const snap = this.current();
    const row = snap.rowOf.get(photoId);
    if (row === undefined) throw new Error('That photo has not been indexed yet.');
    const vector = snap.set.vectors.subarray(row * snap.set.dim, (row + 1) * snap.set.dim);
    const hits = snap.graph
      .query(vector, k + 1)
      .filter((hit) => hit.id !== photoId)
      .slice(0, k);
    return this.scored(hits.map((hit) => ({ id: hit.id, score: hit.similarity })));
  }

  async similarToFile(
    path: string,
    options: { by?: 'content' | 'colour'; k?: number } = {},
  ): Promise<ScoredPhoto[]> {
    const k = options.k ?? 24;
    const snap = this.current();
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
    const hits = snap.graph.query(vector, k);
    return this.scored(hits.map((hit) => ({ id: hit.id, score: hit.similarity })));
  }

  async byColours(colours: ColourQuery[], options: { k?: number } = {}): Promise<ScoredPhoto[]> {
    return this.colourResults(searchByHex(this.paletteIndex(), colours, { k: options.k ?? 24 }));
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

  private current(): Snapshot {
    const space = this.deps.models.effectiveSpace();
    const snap = this.snapshot;
    if (snap && snap.generation === this.generation && spaceKeyOf(snap.space) === spaceKeyOf(space))
      return snap;
    const set = this.deps.models.loadSet(space);
    const rowOf = new Map<number, number>();
    set.ids.forEach((id, row) => rowOf.set(id, row));
    const graph = this.neighbourGraph(space, set, rowOf, snap);
    const hashes = this.deps.catalog.indexedPhotoHashes();
    const hashOf = new Map<number, string>();
    hashes.ids.forEach((id, i) => hashOf.set(id, hashes.hashes[i]!));
    const edges = buildDuplicateEdges(
      { ids: set.ids, contentHashes: Array.from(set.ids, (id) => hashOf.get(id) ?? null) },
      graph.size > 0 ? graph.serialise() : null,
      EDGE_FLOOR,
    );
    this.snapshot = { generation: this.generation, space, set, rowOf, graph, edges };
    return this.snapshot;
  }

  /**
   * The graph for this set: the one in memory or in the catalog brought up to date (photos
   * added are inserted, photos gone are dropped), or built afresh.
   */
  private neighbourGraph(
    space: EmbeddingSpace,
    set: EmbeddingSet,
    rowOf: Map<number, number>,
    previous: Snapshot | null,
  ): NeighbourGraph {
    const spaceKey = spaceKeyOf(space);
    let graph: NeighbourGraph | null = null;
    if (previous && spaceKeyOf(previous.space) === spaceKey) {
      graph = previous.graph;
      const gone = [...previous.rowOf.keys()].filter((id) => !rowOf.has(id));
      if (gone.length > 0) graph.removeMany(gone);
    } else {
      graph = this.loadGraph(spaceKey, set, rowOf);
    }
    if (!graph) {
      graph = NeighbourGraph.build(set);
      this.saveGraph(spaceKey, graph);
      return graph;
    }
    const missing = Array.from(set.ids).filter((id) => !graph.has(id));
    if (missing.length > 0) graph.addMany(this.subsetOf(set, rowOf, missing));
    if (missing.length > 0 || graph.size !== set.ids.length || !previous)
      this.saveGraph(spaceKey, graph);
    return graph;
  }

  private loadGraph(
    spaceKey: string,
    set: EmbeddingSet,
    rowOf: Map<number, number>,
  ): NeighbourGraph | null {
    const data = this.deps.catalog.analysisResult('neighbours', spaceKey);
    if (!data) return null;
    const { meta, arrays } =
      unpack<Omit<SerialisedNeighbourGraph, 'ids' | 'neighbourIds' | 'similarities'>>(data);
    const stored: SerialisedNeighbourGraph = {
      ...meta,
      ids: arrays.ids as Int32Array,
      neighbourIds: arrays.neighbourIds as Int32Array,
      similarities: arrays.similarities as Float32Array,
    };
    if (stored.dim !== set.dim) return null;
    const kept = dropGone(stored, (id) => rowOf.has(id));
    try {
      return NeighbourGraph.deserialise(kept, this.subsetOf(set, rowOf, Array.from(kept.ids)));
    } catch {
      return null; // unreadable or inconsistent: rebuilt by the caller
    }
  }

  private saveGraph(spaceKey: string, graph: NeighbourGraph): void {
    const { ids, neighbourIds, similarities, ...meta } = graph.serialise();
    this.deps.catalog.saveAnalysisResult(
      'neighbours',
      spaceKey,
      pack(meta, { ids, neighbourIds, similarities }),
    );
  }

  private subset(snap: Snapshot, ids: number[]): EmbeddingSet {
    return this.subsetOf(snap.set, snap.rowOf, ids);
  }

  private subsetOf(set: EmbeddingSet, rowOf: Map<number, number>, ids: number[]): EmbeddingSet {
    const vectors = new Float32Array(ids.length * set.dim);
    ids.forEach((id, i) => {
      const row = rowOf.get(id)!;
      vectors.set(set.vectors.subarray(row * set.dim, (row + 1) * set.dim), i * set.dim);
    });
    return { ids: Int32Array.from(ids), vectors, dim: set.dim, modelId: set.modelId };
  }
}

/** A cheap identity of a set of photos: the clustering is reused only for the same set. */
function setKeyOf(set: EmbeddingSet): string {
  let sum = 0;
  for (const id of set.ids) sum = (sum + id * 2654435761) % 4294967296;
  return `${set.ids.length}:${sum}`;
}

function singleCluster(set: EmbeddingSet): ClusterResult {
  return {
    k: 1,
    method: 'too few photos to cluster',
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

/**
 * A stored graph without the photos that are gone: their rows are dropped, and their places in
 * other photos' lists are closed up (lists stay sorted, with empty slots at the end until the
 * next change to those photos refills them).
 */
function dropGone(
  graph: SerialisedNeighbourGraph,
  keep: (id: number) => boolean,
): SerialisedNeighbourGraph {
  const { k } = graph;
  const rows: number[] = [];
  graph.ids.forEach((id, row) => {
    if (keep(id)) rows.push(row);
  });
  if (rows.length === graph.ids.length) return graph;
  const ids = Int32Array.from(rows, (row) => graph.ids[row]!);
  const neighbourIds = new Int32Array(rows.length * k).fill(-1);
  const similarities = new Float32Array(rows.length * k).fill(-Infinity);
  rows.forEach((row, i) => {
    let slot = 0;
    for (let s = row * k; s < (row + 1) * k; s++) {
      const neighbour = graph.neighbourIds[s]!;
      if (neighbour < 0 || !keep(neighbour)) continue;
      neighbourIds[i * k + slot] = neighbour;
      similarities[i * k + slot] = graph.similarities[s]!;
      slot += 1;
    }
  });
  return { ...graph, ids, neighbourIds, similarities };
}
