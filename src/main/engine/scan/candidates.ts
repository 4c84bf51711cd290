// Which files and folders the scanner and the watcher consider. Both use these rules, so a file
// the watcher reports is exactly a file a rescan would have found.
import { basename, extname } from 'node:path';

/** Camera RAW formats: the bundled decoder cannot read them. */
const RAW_EXTENSIONS = new Set([
  '.dng',
  '.cr2',
  '.cr3',
  '.nef',
  '.arw',
  '.orf',
  '.rw2',
  '.raf',
  '.srw',
  '.pef',
]);

/** Extensions of files that are photos or claim to be: case-insensitive. */
const PHOTO_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.apng',
  '.webp',
  '.gif',
  '.avif',
  '.tif',
  '.tiff',
  '.heic',
  '.heif',
  '.hif',
  '.bmp',
  '.dib',
  // Camera RAW: listed (as not readable yet) rather than silently ignored.
  ...RAW_EXTENSIONS,
]);

/** Extensions that are certainly not photos: never opened to sniff their content. */
const NEVER_PHOTO_EXTENSIONS = new Set([
  '.txt',
  '.md',
  '.json',
  '.xml',
  '.xmp',
  '.html',
  '.htm',
  '.css',
  '.js',
  '.pdf',
  '.svg',
  '.doc',
  '.docx',
  '.xls',
  '.xlsx',
  '.zip',
  '.gz',
  '.7z',
  '.rar',
  '.tar',
  '.mp3',
  '.wav',
  '.flac',
  '.aac',
  '.m4a',
  '.mp4',
  '.mov',
  '.avi',
  '.mkv',
  '.m4v',
  '.3gp',
  '.wmv',
  '.db',
  '.ini',
  '.exe',
  '.dll',
  '.so',
  '.dylib',
  '.iso',
  '.dmg',
  '.aae',
  '.thm',
  '.lrv',
  '.ds_store',
  '.sqlite',
  '.log',
  '.csv',
]);

/** Folders that operating systems, NAS boxes and photo tools keep for themselves. */
const SYSTEM_FOLDERS = new Set(
  [
    '$recycle.bin',
    'system volume information',
    'recycler',
    'lost+found',
    '@eadir',
    '#recycle',
    '#snapshot',
    '@recycle',
    '.trashes',
    '.trash',
    '.spotlight-v100',
    '.fseventsd',
    '.photoslibrary',
    'node_modules',
    '__macosx',
  ].map((name) => name.toLowerCase()),
);

export function isPhotoExtension(path: string): boolean {
  return PHOTO_EXTENSIONS.has(extname(path).toLowerCase());
}

export function isRawExtension(path: string): boolean {
  return RAW_EXTENSIONS.has(extname(path).toLowerCase());
}

/** A file with an unknown or no extension might still be an image: its first bytes decide. */
export function mightBeImageByContent(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return !PHOTO_EXTENSIONS.has(ext) && !NEVER_PHOTO_EXTENSIONS.has(ext);
}

/** Hidden entries (dot files) and system folders are skipped everywhere. */
export function isIgnoredName(name: string): boolean {
  if (name.startsWith('.')) return true;
  const lower = name.toLowerCase();
  return (
    SYSTEM_FOLDERS.has(lower) || lower.endsWith('.photoslibrary') || lower.startsWith('.trash-')
  );
}

export function isIgnoredPath(path: string): boolean {
  return isIgnoredName(basename(path));
}
