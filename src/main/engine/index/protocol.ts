// Messages between the indexer and its decode worker processes. Typed arrays cross as they are
// (the processes use the 'advanced' serialisation), never as JSON lists of numbers.
import type { PhotoAnalysis } from '../features/analyse.ts';
import type { DetectedFace } from '../faces/face-types.ts';

/**
 * The failure of a file that could not even be opened for want of permission. It is the one
 * failure a rescan retries without the file changing: permissions change without touching a
 * file's size or mtime.
 */
export const NO_PERMISSION_REASON = 'Shoebox does not have permission to read this file';

export interface DecodeTask {
  taskId: number;
  path: string;
  /** Where thumbnails go; null for a probe (a file outside the library: analysed, never cached). */
  thumbnailDir: string | null;
  /** Send back the 224x224 RGB crop CLIP needs (only when a CLIP model is active). */
  clipInput: boolean;
  /** Look for faces (and describe each one) as part of the analysis. */
  faces: boolean;
}

/** What a worker sends back: the analysis, less the thumbnail it already wrote to the cache. */
export interface ExtractedFeatures extends Pick<
  PhotoAnalysis,
  'palette' | 'histogram' | 'phash' | 'fingerprint' | 'miniature'
> {
  meta: Pick<
    PhotoAnalysis,
    | 'format'
    | 'width'
    | 'height'
    | 'orientation'
    | 'takenAt'
    | 'camera'
    | 'exifFieldCount'
    | 'sharpness'
  >;
  /** Present when the task asked for it: the embedding step's input, from the same decode. */
  clipInput?: Uint8Array;
  /**
   * Present when the task asked for faces and the face models ran: the faces found (possibly
   * none). Absent when the models could not run, so the photo is looked at again later.
   */
  faces?: DetectedFace[];
}

export type ToWorker =
  | { type: 'task'; task: DecodeTask }
  /** The answer to 'hashed': whether this content still needs its features computed. */
  | { type: 'proceed'; taskId: number; analyse: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'hashed'; taskId: number; contentHash: string }
  | {
      type: 'done';
      taskId: number;
      contentHash: string;
      size: number;
      mtimeMs: number;
      /** Absent when the content was already analysed (a duplicate, a move, a restart). */
      features?: ExtractedFeatures;
    }
  | {
      type: 'failed';
      taskId: number;
      reason: string;
      contentHash: string | null;
      size: number;
      mtimeMs: number;
      /** Not the file's fault (the thumbnail cache could not be written): run it again later. */
      retryLater?: boolean;
    };

export interface DecodeOutcome {
  contentHash: string | null;
  /** -1 when the file could not be opened at all. */
  size: number;
  mtimeMs: number;
  features?: ExtractedFeatures;
  failure?: string;
  /** The failure is the machine's (a full disk), not the file's: the job should wait and rerun. */
  retryLater?: boolean;
}
