// Which algorithm produced each stored feature. The catalog records these strings next to the
// values; change one when its algorithm or parameters change, and only that feature is
// recomputed. Each names the algorithm as well as counting, so a stored row explains itself.

export const THUMBNAIL_VERSION = 'webp-q80-384-1';
export const PALETTE_VERSION = 'kmeans-lab-16-1';
export const HISTOGRAM_VERSION = 'lab-4x8x8-1';
export const PHASH_VERSION = 'dct-32-8x8-1';
export const FINGERPRINT_VERSION = 'lab-dct-1';
export const CLIP_INPUT_VERSION = 'cover-224-cubic-1';
export const MINIATURE_VERSION = 'rgb-area-32-1';
/**
 * Faces: the detectors, landmarks and descriptor network of @vladmandic/face-api 1.7.15 and the
 * screening settings of faces/detector.ts. A new version re-detects, and faces are named by their
 * order in the photo, so change it whenever the faces found (or their order) could change.
 */
export const FACES_VERSION = 'faceapi-1.7.15-tiny256-ssd-r34-1';

export const FEATURE_VERSIONS = {
  thumbnail: THUMBNAIL_VERSION,
  palette: PALETTE_VERSION,
  histogram: HISTOGRAM_VERSION,
  phash: PHASH_VERSION,
  fingerprint: FINGERPRINT_VERSION,
  clipInput: CLIP_INPUT_VERSION,
  miniature: MINIATURE_VERSION,
} as const;

export type FeatureVersions = { readonly [K in keyof typeof FEATURE_VERSIONS]: string };
