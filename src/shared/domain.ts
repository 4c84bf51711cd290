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
  /** Why this k, in one plain sentence ("k = 12: best separation between 5 and 24 groups…"). */
  reason: string;
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

// ---- Faces and people ----

/**
 * Where a face is in its photo, as fractions (0..1) of the photo as displayed (EXIF orientation
 * applied), so the same box fits the thumbnail, the full image and any size in between.
 */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Face {
  id: number;
  /** A photo showing this face (faces belong to a photo's content, shared by identical files). */
  photoId: number;
  box: FaceBox;
  /** The detector's confidence, 0..1. */
  score: number;
  /** The person the face belongs to, or null when it is unclustered (a stranger). */
  personId: number | null;
}

export interface PersonCard {
  id: number;
  /** The name the person was given, or null while unnamed. */
  name: string | null;
  faceCount: number;
  photoCount: number;
  /** The person's most typical face (the medoid of their faces by descriptor distance). */
  representative: Face;
  /** The photo `representative` is in: the People screen crops the face from its thumbnail. */
  representativePhoto: Photo;
}

export interface PeopleView {
  /** 'ready' with people; 'empty' when no face has been found (yet). */
  state: 'ready' | 'empty';
  /** Largest first. */
  persons: PersonCard[];
  /** Faces that belong to no person: seen once, or too unlike everyone else. */
  unclustered: number;
  /** Photos still waiting for face detection (indexing runs in the background). */
  pending: number;
}

export interface PersonFacesPage {
  person: PersonCard;
  total: number;
  /** Most typical first (nearest the representative). */
  faces: { face: Face; photo: Photo }[];
}
