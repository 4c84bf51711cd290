// Messages between the indexer and its decode worker processes. Typed arrays cross as they are
// (the processes use the 'advanced' serialisation), never as JSON lists of numbers.
import type { ImageFormat, PaletteColour } from '../../../shared/domain.ts';

export interface DecodeTask {
  taskId: number;
  path: string;
  /** Where thumbnails go; null for a probe (a file outside the library: analysed, never cached). */
  thumbnailDir: string | null;
  /** Send back the 224x224 RGB crop CLIP needs (only when a CLIP model is active). */
  clipInput: boolean;
}

export interface ExtractedFeatures {
  meta: {
    format: ImageFormat;
    width: number;
    height: number;
    orientation: number | null;
    takenAt: number | null;
    camera: string | null;
    exifFieldCount: number;
    sharpness: number;
  };
  palette: PaletteColour[];
  histogram: Float32Array;
  phash: string;
  fingerprint: Float32Array;
  /** Present when the task asked for it: the embedding step's input, from the same decode. */
  clipInput?: Uint8Array;
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
    };

export interface DecodeOutcome {
  contentHash: string | null;
  /** -1 when the file could not be opened at all. */
  size: number;
  mtimeMs: number;
  features?: ExtractedFeatures;
  failure?: string;
}
