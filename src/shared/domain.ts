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
