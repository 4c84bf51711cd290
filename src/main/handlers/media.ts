// Resolves a photo's thumbnail or full image from an opaque id, for the `shoebox-media:` protocol
// in Electron and the /media HTTP routes of `shoebox serve`. Callers hand over the raw id text
// from a URL; nothing from the URL ever becomes part of a path, and the path the library returns
// must still lie inside the library dir (thumbnails) or a library folder (photos).
import { extname, isAbsolute, relative, resolve } from 'node:path';
import type { LibraryService } from '../engine/library-service.ts';
import type { ImageFormat } from '../../shared/domain.ts';

export type MediaKind = 'thumb' | 'full';

export interface ResolvedMedia {
  path: string;
  contentType: string;
  /** Changes whenever the bytes may have changed, for ETag and cache busting. */
  version: string;
}

const formatTypes: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
  heic: 'image/heic',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  unknown: 'application/octet-stream',
};

const extensionTypes: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
};

/** Headers that keep a served image inert even when it is an SVG opened on its own. */
export const mediaSecurityHeaders: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Content-keyed URLs never change meaning, so the browser may keep them for a year. */
export const immutableCache = 'private, max-age=31536000, immutable';

export function parseMediaId(text: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

export function resolveMedia(
  library: LibraryService,
  kind: MediaKind,
  idText: string,
): ResolvedMedia | null {
  const id = parseMediaId(idText);
  if (id === null) return null;
  const photo = library.getPhoto(id);
  if (!photo) return null;
  const version = photo.contentHash ?? `${photo.size}-${Math.round(photo.mtimeMs)}`;
  if (kind === 'thumb') {
    const path = library.thumbnailPath(id);
    if (!path || !isInside(library.dir, path)) return null;
    const contentType = extensionTypes[extname(path).toLowerCase()] ?? 'image/webp';
    return { path, contentType, version };
  }
  const path = library.photoPath(id);
  if (!path) return null;
  const folders = library.listFolders();
  if (!folders.some((folder) => isInside(folder.path, path))) return null;
  return { path, contentType: formatTypes[photo.format ?? 'unknown'], version };
}

/** True when `child` resolves to a path strictly inside `parent` (no `..` escape). */
export function isInside(parent: string, child: string): boolean {
  if (!isAbsolute(child)) return false;
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
