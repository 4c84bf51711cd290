// Domain types shared by the engine, the CLI and the renderer. Pure data: no Node, no DOM.

/** Image formats Shoebox recognises by their first bytes, whatever the file is named. */
export type ImageFormat =
  'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff' | 'heic' | 'bmp' | 'svg' | 'pdf' | 'unknown';

export type PhotoStatus = 'pending' | 'indexed' | 'failed';

/** A colour in CIELAB (D65), the space every palette comparison happens in. */
export interface Lab {
  l: number;
  a: number;
  b: number;
}

/** One palette entry: a colour and the share of the photo's (opaque) pixels it stands for. */
export interface PaletteColour {
  lab: Lab;
  hex: string;
  share: number;
}

export interface Folder {
  id: number;
  path: string;
  isReference: boolean;
  addedAt: number;
}

export interface Photo {
  id: number;
  folderId: number;
  path: string;
  size: number;
  mtimeMs: number;
  contentHash: string | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  takenAt: number | null;
  camera: string | null;
  status: PhotoStatus;
  failure: string | null;
}

export interface IndexProgress {
  done: number;
  total: number;
  failed: number;
  /** Photos per second over the recent past. */
  rate: number;
  /** Seconds left at the current rate, or null before there is a rate. */
  etaSeconds: number | null;
  running: boolean;
}

export interface FailedPhoto {
  path: string;
  reason: string;
}

// ---- Analysis results (duplicates, clusters, map, similar, colours) ----

export type DuplicateTier = 'identical' | 'near';

export interface DuplicateMember {
  photo: Photo;
  /** The suggested keeper(s) of the group. */
  keep: boolean;
  /** Why this photo is kept or suggested for removal, in plain words. */
  why: string;
  /** Whether it lies in a reference folder (never suggested for removal). */
  inReferenceFolder: boolean;
}

export interface DuplicateGroup {
  /** Stable for the same members: derived from their content hashes. */
  id: string;
  tier: DuplicateTier;
  /** The lowest cosine similarity that holds the group together. */
  minSimilarity: number;
  members: DuplicateMember[];
  /** Bytes freed by removing every photo not suggested to keep. */
  bytesFreed: number;
}

export interface SimilarityHistogram {
  /** Lower edge of each bin (cosine similarity); bins are equally wide. */
  from: number;
  to: number;
  counts: number[];
}

export interface DuplicatesView {
  threshold: number;
  defaultThreshold: number;
  /** The embedding the groups were computed in ('fingerprint' or a model id). */
  model: string;
  groups: DuplicateGroup[];
  histogram: SimilarityHistogram;
  totals: { groups: number; photos: number; bytesFreed: number };
}

export type DuplicateDecisionKind = 'keep-all' | 'not-duplicates';

export interface ClusterCard {
  id: number;
  medoid: Photo;
  size: number;
  /** A short zero-shot label when a CLIP model is active, else null. */
  label: string | null;
}

export interface ClusterScores {
  silhouette: { k: number; value: number }[];
  daviesBouldin: { k: number; value: number }[];
  elbow: { k: number; cost: number }[];
}

export interface ClustersView {
  k: number;
  method: string;
  model: string;
  scores: ClusterScores;
  clusters: ClusterCard[];
}

export interface ClusterMembersPage {
  id: number;
  total: number;
  members: { photo: Photo; distance: number }[];
}

export interface MapPoint {
  id: number;
  x: number;
  y: number;
  cluster: number;
  /** The photo is its cluster's medoid (its representative), marked on the map. */
  medoid: boolean;
  /** The photo's dominant colour (#rrggbb, its palette's largest share), or null without one. */
  colour: string | null;
}

export interface MapLayoutView {
  /** 'ready' with points; 'computing' while a layout runs in the background (progress 0..1). */
  state: 'ready' | 'computing' | 'empty';
  progress: number;
  model: string;
  points: MapPoint[];
}

export interface ScoredPhoto {
  photo: Photo;
  /** Cosine similarity for content; palette score in [0, 1] for colour. */
  score: number;
  palette?: string[];
}
