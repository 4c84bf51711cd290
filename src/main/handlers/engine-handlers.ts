// The contract's engine calls, answered by a LibraryService. Both faces that carry the contract
// use this one table: `shoebox serve` calls it in-process, and the Electron engine host calls it
// inside the utility process. Arguments arrive already validated by `dispatchEngineCall`.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { LibraryService } from '../engine/library-service.ts';
import {
  ContractError,
  validateCall,
  type CallName,
  type CallResult,
  type Calls,
  type EventName,
  type Events,
  type ParsedCallArgs,
  type ThumbnailCacheInfo,
} from '../../shared/api.ts';

export type EngineCallName = {
  [N in CallName]: Calls[N]['site'] extends 'engine' ? N : never;
}[CallName];

export type EngineHandlers = {
  [N in EngineCallName]: (args: ParsedCallArgs<N>) => Promise<CallResult<N>> | CallResult<N>;
};

export function createEngineHandlers(library: LibraryService): EngineHandlers {
  return {
    'library.status': () => ({ dir: library.dir, ...library.status() }),
    'library.thumbnailCache': () => thumbnailCacheInfo(library),
    'index.progress': () => library.progress(),
    'index.failures': () => library.listFailures(),
    'folders.list': () => library.listFolders(),
    'folders.add': ({ path }) => library.addFolder(path),
    'folders.remove': ({ folderId }) => {
      requireFolder(library, folderId);
      library.removeFolder(folderId);
      return null;
    },
    'folders.setReference': ({ folderId, isReference }) => {
      requireFolder(library, folderId);
      library.setReferenceFolder(folderId, isReference);
      return null;
    },
    'photos.list': (query) => library.listPhotos(query),
    'photos.get': ({ photoId }) => library.getPhoto(photoId),
  };
}

export function isEngineCall(name: CallName, calls: Calls): name is EngineCallName {
  return calls[name].site === 'engine';
}

/** Validates a call at the door and runs it; every failure becomes a ContractError. */
export async function dispatchEngineCall(
  handlers: EngineHandlers,
  name: unknown,
  args: unknown,
): Promise<unknown> {
  const parsed = validateCall(name, args);
  const handler = (handlers as Record<string, ((a: unknown) => unknown) | undefined>)[
    name as string
  ];
  if (!handler) {
    throw new ContractError('unavailable', `${String(name)} is not answered by the engine.`);
  }
  return await handler(parsed);
}

function requireFolder(library: LibraryService, folderId: number): void {
  if (!library.listFolders().some((f) => f.id === folderId)) {
    throw new ContractError('not-found', `There is no folder with id ${folderId}.`);
  }
}

/**
 * Relays the engine's events to a transport under their contract names. Returns the function
 * that stops the relay.
 */
export function relayEngineEvents(
  library: LibraryService,
  emit: <E extends EventName>(name: E, payload: Events[E]) => void,
): () => void {
  const onProgress = (p: Events['index.progress']) => emit('index.progress', p);
  const onChanged = (c: Events['photos.changed']) => emit('photos.changed', c);
  const onNotice = (n: Events['app.notice']) => emit('app.notice', n);
  library.on('progress', onProgress);
  library.on('photosChanged', onChanged);
  library.on('notice', onNotice);
  return () => {
    library.off('progress', onProgress);
    library.off('photosChanged', onChanged);
    library.off('notice', onNotice);
  };
}

/**
 * Size of the thumbnail cache. The service names thumbnails one by one, not their folder, so the
 * cache root is found from one thumbnail's path: its top-level folder inside the library dir.
 */
export async function thumbnailCacheInfo(library: LibraryService): Promise<ThumbnailCacheInfo> {
  const page = library.listPhotos({ sort: 'name', offset: 0, limit: 50 });
  let sample: string | null = null;
  for (const photo of page.photos) {
    sample = library.thumbnailPath(photo.id);
    if (sample) break;
  }
  if (!sample) return { bytes: 0, files: 0 };
  const rel = relative(library.dir, dirname(sample));
  const top = rel.split(sep)[0];
  // A thumbnail outside the library dir, or directly in it, leaves no folder to measure alone.
  const root = !rel || rel.startsWith('..') || !top ? dirname(sample) : join(library.dir, top);
  return await measure(root);
}

async function measure(root: string): Promise<ThumbnailCacheInfo> {
  let bytes = 0;
  let files = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        try {
          bytes += (await stat(full)).size;
          files += 1;
        } catch {
          // Deleted while we walked: it no longer counts.
        }
      }
    }
  }
  return { bytes, files };
}
