// Where a library keeps its files. The default is the desktop app's own data folder, computed
// here without Electron so the CLI and the app open the same library.
import { homedir } from 'node:os';
import { join } from 'node:path';

const APP_NAME = 'Shoebox';

export function defaultLibraryDir(): string {
  if (process.env.SHOEBOX_LIBRARY) return process.env.SHOEBOX_LIBRARY;
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_NAME);
  }
}

/**
 * Where Shoebox keeps what it can always make again and that belongs to this machine rather than
 * to a library (faces/graph-cache.ts: the face detectors as ONNX Runtime optimised them for this
 * processor). Deleting it loses nothing.
 */
export function defaultCacheDir(): string {
  if (process.env.SHOEBOX_CACHE_DIR) return process.env.SHOEBOX_CACHE_DIR;
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Caches', APP_NAME);
    case 'win32':
      return join(process.env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), APP_NAME, 'Cache');
    default:
      return join(process.env.XDG_CACHE_HOME ?? join(home, '.cache'), APP_NAME);
  }
}

export interface LibraryLayout {
  dir: string;
  catalog: string;
  /** The durable journal: trash records, decisions, folder list (never rebuilt). */
  journal: string;
  thumbnails: string;
  models: string;
}

export function libraryLayout(dir: string): LibraryLayout {
  return {
    dir,
    catalog: join(dir, 'catalog.sqlite'),
    journal: join(dir, 'journal.sqlite'),
    thumbnails: join(dir, 'thumbnails'),
    models: join(dir, 'models'),
  };
}

/** True when `child` is `parent` or inside it. */
export function isInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const withSep =
    parent.endsWith('/') || parent.endsWith('\\')
      ? parent
      : parent + (parent.includes('\\') && !parent.includes('/') ? '\\' : '/');
  return child.startsWith(withSep);
}
