// The analysis face of the engine: what the CLI, the contract handlers and the screens ask of
// the library beyond browsing. Implemented by AnalysisService (analysis-service.ts).
import type {
  ClusterMembersPage,
  ClustersView,
  DuplicateDecisionKind,
  DuplicatesView,
  MapLayoutView,
  ScoredPhoto,
} from '../../shared/domain.ts';
import type { ClustersProgress, LibraryColours } from '../../shared/api.ts';

export interface ColourQuery {
  hex: string;
  /** Share of the photo this colour should cover, 0..1; equal shares when omitted. */
  share?: number;
}

export interface AnalysisApi {
  /** Near-duplicate groups at a cosine threshold (default: the active embedding's default). */
  duplicates(options?: { threshold?: number }): Promise<DuplicatesView>;
  /** Remembers "keep all" / "not duplicates" for the group with these member photos. */
  decideDuplicates(photoIds: number[], kind: DuplicateDecisionKind): Promise<void>;
  clusters(options?: { k?: number | 'auto' }): Promise<ClustersView>;
  clusterMembers(clusterId: number, offset: number, limit: number): Promise<ClusterMembersPage>;
  /** The stored layout; starts computing one in the background when there is none. */
  map(options?: { recompute?: boolean }): Promise<MapLayoutView>;
  similarToPhoto(
    photoId: number,
    options?: { by?: 'content' | 'colour'; k?: number },
  ): Promise<ScoredPhoto[]>;
  /** A file that need not be in the library: decoded and embedded on the fly, never added. */
  similarToFile(
    path: string,
    options?: { by?: 'content' | 'colour'; k?: number },
  ): Promise<ScoredPhoto[]>;
  byColours(colours: ColourQuery[], options?: { k?: number }): Promise<ScoredPhoto[]>;
  /** The library's most common colour families (stored palettes), most area first. */
  libraryColours(options?: { count?: number }): LibraryColours;
  /** The stored clusters to show while `clusters` works, and how far that work is; at once. */
  clustersProgress(): ClustersProgress;
}
