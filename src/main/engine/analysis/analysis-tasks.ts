// The heavy analysis steps as tasks that run the same code on the engine's thread (when they are
// tiny) and in the analysis worker thread (analysis-worker.ts, driven by analysis-thread.ts):
//
// - 'graph': the neighbour graph brought up to date with an embedding set (built from scratch,
//   or continued from the lists the engine holds: photos gone removed, new ones added, and photos
//   whose content changed in place, same id, re-inserted, see contentTag), and the duplicate
//   edges drawn from it, each pair passed through the picture check (edge-check.ts).
// - 'clusters': k-medoids with k by silhouette (clusterEmbeddings).
//
// Requests and results are structured-cloneable and the bulk data are typed arrays: the embedding
// vectors live in a SharedArrayBuffer (catalog/embedding-sets.ts loads them there), so posting a
// set to the worker copies nothing; the result's buffers are transferred back (transferablesOf),
// not copied. A graph task can also read the set from the catalog itself (a 100k library's
// vectors take seconds to read), and hands it back with the graph.
import { Catalog } from '../catalog/catalog.ts';
import { loadEmbeddingSet } from '../catalog/embedding-sets.ts';
import type { EmbeddingSet, EmbeddingSpace } from '../models.ts';
import { clusterEmbeddings, type ClusterOptions, type ClusterResult } from './clusters.ts';
import { buildDuplicateEdges, type DuplicateEdges } from './duplicates.ts';
import { keepSamePictureEdges, type EdgeCheckReport, type PictureVerdicts } from './edge-check.ts';
import { PICTURE_CHECK_VERSION } from './picture-check.ts';
import {
  NeighbourGraph,
  type NeighbourGraphOptions,
  type SerialisedNeighbourGraph,
} from './neighbours.ts';

export interface TaskEmbeddings {
  /** Photo ids, one per row. */
  ids: Int32Array;
  /** ids.length * dim values, rows L2-normalised. */
  vectors: Float32Array;
  dim: number;
}

export interface GraphTask {
  kind: 'graph';
  /** The label of the lists this task produces; a later task names it as its base. */
  revision: number;
  /** The embedding space ("kind@version"): a graph is only ever continued in its own space. */
  spaceKey: string;
  /**
   * The photos: their embeddings and content hashes (the "identical" duplicate tier; null until
   * known), or where to read them: the catalog file (opened by the task's own connection) and
   * the space. What was read comes back as the outcome's `loaded`.
   */
  photos:
    | { set: TaskEmbeddings; contentHashes: (string | null)[] }
    | { catalogFile: string; space: EmbeddingSpace };
  /**
   * The lists to continue (what the engine holds, in memory or from the catalog), or null to
   * build from scratch. A worker that still holds the graph of this revision continues that one,
   * HNSW index included, and never reads the lists.
   */
  base: {
    revision: number;
    lists: SerialisedNeighbourGraph;
    /**
     * The content tag (contentTag) each photo of the lists had when its list was made, one per
     * `lists.ids` row (the outcome's `contentTags`). A photo whose tag differs now was edited in
     * place: it is re-inserted. Absent for lists stored before tags were kept; a keeper that
     * holds the base's graph uses its own record instead.
     */
    contentTags?: Uint32Array;
  } | null;
  /** Duplicate edges below this cosine are not kept. */
  edgeFloor: number;
  /**
   * Where the photos' miniatures and the stored picture-check verdicts are read (the catalog
   * file), or null to keep every edge unchecked (a catalog held only in memory).
   */
  pictures: { catalogFile: string; miniatureVersion: string } | null;
  graphOptions?: NeighbourGraphOptions;
}

export interface GraphOutcome {
  revision: number;
  lists: SerialisedNeighbourGraph;
  /** Each listed photo's content tag, one per `lists.ids` row: the next task's base.contentTags. */
  contentTags: Uint32Array;
  edges: DuplicateEdges;
  /** 'built' from scratch; 'updated' (photos removed, added or changed); 'unchanged'. */
  how: 'built' | 'updated' | 'unchanged';
  /** Where the continued graph came from: held in memory, or rebuilt from the base's lists. */
  from: 'memory' | 'lists' | 'scratch';
  added: number;
  removed: number;
  /** Photos kept whose content changed (same id, another content hash): re-inserted. */
  changed: number;
  ms: number;
  /** What the picture check did; its fresh verdicts are for the engine to store. */
  pictureCheck: EdgeCheckReport | null;
  /** The set the task read from the catalog (photos.catalogFile), with its time. */
  loaded?: { set: EmbeddingSet; ms: number };
}

export interface ClusterTask {
  kind: 'clusters';
  set: TaskEmbeddings;
  options: Omit<ClusterOptions, 'onProgress'>;
}

export type AnalysisTask = GraphTask | ClusterTask;
export type TaskOutcome<T extends AnalysisTask> = T extends GraphTask
  ? GraphOutcome
  : ClusterResult;

export interface TaskProgress {
  done: number;
  total: number;
}

/**
 * Keeps the last graph it produced, so that the next task (a few photos added or removed) is
 * an incremental update of it, with its HNSW index still in memory, rather than a rebuild.
 */
export class GraphKeeper {
  private held: {
    revision: number;
    spaceKey: string;
    graph: NeighbourGraph;
    /** The content tag of each photo in the graph, as its vector was inserted. */
    tags: Map<number, number>;
  } | null = null;
  private catalog: { file: string; catalog: Catalog } | null = null;
  private verdicts: { file: string; known: PictureVerdicts } | null = null;

  run(task: GraphTask): GraphOutcome {
    const started = performance.now();
    const { base } = task;
    let loaded: GraphOutcome['loaded'];
    let set: TaskEmbeddings;
    let contentHashes: (string | null)[];
    if ('catalogFile' in task.photos) {
      const catalog = this.catalogAt(task.photos.catalogFile);
      const { space } = task.photos;
      // One read transaction: the vectors and the hashes of the same state of the catalog.
      const [full, hashes] = catalog.transaction(
        () => [loadEmbeddingSet(catalog, space), catalog.indexedPhotoHashes()] as const,
      );
      const hashOf = new Map<number, string>();
      hashes.ids.forEach((id, i) => hashOf.set(id, hashes.hashes[i]!));
      set = full;
      contentHashes = Array.from(full.ids, (id) => hashOf.get(id) ?? null);
      loaded = { set: full, ms: performance.now() - started };
    } else {
      ({ set, contentHashes } = task.photos);
    }
    const held = this.held;
    // Dropped first: a task that throws halfway must not leave a half-updated graph behind.
    this.held = null;
    const tags = new Map<number, number>();
    set.ids.forEach((id, row) => tags.set(id, contentTag(contentHashes[row] ?? null)));
    let graph: NeighbourGraph | null = null;
    let from: GraphOutcome['from'] = 'scratch';
    let previousTags: Iterable<readonly [number, number]> | null = null;
    if (
      base &&
      held &&
      held.revision === base.revision &&
      held.spaceKey === task.spaceKey &&
      held.graph.dim === set.dim
    ) {
      graph = held.graph;
      from = 'memory';
      previousTags = held.tags;
    } else if (base && base.lists.dim === set.dim) {
      graph = graphFromLists(base.lists, set, task.graphOptions);
      if (graph) from = 'lists';
      const stored = base.contentTags;
      if (stored?.length === base.lists.ids.length)
        previousTags = Array.from(base.lists.ids, (id, r) => [id, stored[r]!] as const);
    }
    let how: GraphOutcome['how'] = 'unchanged';
    let added: number;
    let removed = 0;
    let changed = 0;
    if (!graph) {
      graph = NeighbourGraph.build(set, task.graphOptions);
      how = 'built';
      added = set.ids.length;
    } else {
      const gone = Array.from(base!.lists.ids).filter((id) => !tags.has(id));
      // Photos edited in place keep their id but not their vector: their lists, and the lists
      // that hold them, were made from the old one. Taken out with the gone ones (one pass
      // over the lists) and inserted again with the new ones.
      const edited: number[] = [];
      for (const [id, tag] of previousTags ?? []) {
        const now = tags.get(id);
        if (now !== undefined && now !== tag && graph.has(id)) edited.push(id);
      }
      if (gone.length + edited.length > 0) graph.removeMany([...gone, ...edited]);
      const missingRows: number[] = [];
      for (let row = 0; row < set.ids.length; row++)
        if (!graph.has(set.ids[row]!)) missingRows.push(row);
      if (missingRows.length > 0) graph.addMany(rowsOf(set, missingRows));
      changed = edited.length;
      added = missingRows.length - changed;
      removed = gone.length;
      if (added + removed + changed > 0) how = 'updated';
    }
    const lists = graph.serialise();
    const contentTags = Uint32Array.from(lists.ids, (id) => tags.get(id) ?? 0);
    const candidates = buildDuplicateEdges(
      { ids: set.ids, contentHashes },
      graph.size > 0 ? lists : null,
      task.edgeFloor,
    );
    this.held = { revision: task.revision, spaceKey: task.spaceKey, graph, tags };
    const { edges, report } = task.pictures
      ? this.checkPictures(candidates, task.pictures)
      : { edges: candidates, report: null };
    return {
      revision: task.revision,
      lists,
      contentTags,
      edges,
      pictureCheck: report,
      how,
      from,
      added,
      removed,
      changed,
      ms: performance.now() - started,
      loaded,
    };
  }

  /**
   * Drops the candidate pairs whose pixels show other pictures. Verdicts are kept here between
   * tasks (read from the catalog once), so an update only looks at the pairs it has not seen.
   */
  private checkPictures(
    candidates: DuplicateEdges,
    where: NonNullable<GraphTask['pictures']>,
  ): { edges: DuplicateEdges; report: EdgeCheckReport } {
    const catalog = this.catalogAt(where.catalogFile);
    if (this.verdicts?.file !== where.catalogFile) {
      this.verdicts = {
        file: where.catalogFile,
        known: catalog.pictureVerdicts(PICTURE_CHECK_VERSION),
      };
    }
    return keepSamePictureEdges(
      candidates,
      (hash) => {
        const stored = catalog.feature(hash, 'miniature');
        return stored && stored.version === where.miniatureVersion ? stored.data : null;
      },
      this.verdicts.known,
    );
  }

  /** Frees the graph (and its index); the next task starts from the lists it is given. */
  drop(): void {
    this.held = null;
    this.verdicts = null;
    this.catalog?.catalog.close();
    this.catalog = null;
  }

  /**
   * A connection of the task's own to the catalog, kept for the next task. WAL mode lets it read
   * while the engine writes; a read sees one consistent state of the catalog.
   */
  private catalogAt(file: string): Catalog {
    if (this.catalog?.file !== file) {
      this.catalog?.catalog.close();
      this.catalog = { file, catalog: new Catalog(file) };
    }
    return this.catalog.catalog;
  }
}

export function runClusterTask(
  task: ClusterTask,
  onProgress?: (progress: TaskProgress) => void,
): ClusterResult {
  return clusterEmbeddings(task.set, {
    ...task.options,
    onProgress: onProgress ? (done, total) => onProgress({ done, total }) : undefined,
  });
}

/**
 * A graph from stored lists without recomputing them. Photos of the lists that are no longer in
 * the set get zero vectors: the caller removes them next (removeMany refills the lists that held
 * them, which reads only the remaining photos' vectors). Null when the lists do not fit.
 */
function graphFromLists(
  lists: SerialisedNeighbourGraph,
  set: TaskEmbeddings,
  options: NeighbourGraphOptions | undefined,
): NeighbourGraph | null {
  const { dim } = set;
  const rowOf = new Map<number, number>();
  set.ids.forEach((id, row) => rowOf.set(id, row));
  const vectors = new Float32Array(lists.ids.length * dim);
  lists.ids.forEach((id, r) => {
    const row = rowOf.get(id);
    if (row !== undefined) vectors.set(set.vectors.subarray(row * dim, (row + 1) * dim), r * dim);
  });
  try {
    return NeighbourGraph.deserialise(lists, { ids: lists.ids, vectors, dim }, options);
  } catch {
    return null; // unreadable or inconsistent: rebuilt by the caller
  }
}

/**
 * A 32-bit tag of a photo's content hash (FNV-1a; 0 for an unknown hash): enough to tell that a
 * photo kept its id but not its content, without holding or storing the 64-character hashes
 * (400 KB per 100k photos with the lists). Two contents share a tag once in 4 billion edits.
 */
export function contentTag(hash: string | null): number {
  if (hash === null) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < hash.length; i++) {
    h ^= hash.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

function rowsOf(set: TaskEmbeddings, rows: number[]): TaskEmbeddings {
  const { dim } = set;
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => vectors.set(set.vectors.subarray(row * dim, (row + 1) * dim), i * dim));
  return { ids: Int32Array.from(rows, (row) => set.ids[row]!), vectors, dim };
}

/**
 * The buffers a result can hand over instead of copying: every distinct ArrayBuffer under its
 * typed arrays (shared memory is never transferred; it is not copied in the first place).
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > 4) return;
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
      return;
    }
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
  return [...found];
}
