// The contract's engine calls, answered by a LibraryService. Both faces that carry the contract
// use this one table: `shoebox serve` calls it in-process, and the Electron engine host calls it
// inside the utility process. Arguments arrive already validated by `dispatchEngineCall`.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { CopyDestinationError, copyPhotos } from '../engine/export/copy-photos.ts';
import { PeopleError } from '../engine/faces/face-types.ts';
import type { LibraryService } from '../engine/library-service.ts';
import {
  ContractError,
  MAX_UPLOAD_BYTES,
  validateCall,
  type CallName,
  type CallResult,
  type Calls,
  type CopyOutcome,
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
    'photos.list': (query) => askPeople(() => library.listPhotos(query)),
    'photos.get': ({ photoId }) => library.getPhoto(photoId),
    'duplicates.list': ({ threshold }) => library.analysis.duplicates({ threshold }),
    'duplicates.decide': async ({ photoIds, kind }) => {
      await library.analysis.decideDuplicates(photoIds, kind);
      return null;
    },
    'trash.list': () => library.trash.list(),
    'trash.remove': ({ items }) => library.trash.remove(items),
    'trash.restore': ({ ids, onConflict }) => library.trash.restore(ids, { onConflict }),
    'trash.empty': ({ ids }) => library.trash.empty(ids),
    'clusters.list': ({ k }) => library.analysis.clusters({ k }),
    'clusters.members': ({ id, offset, limit }) =>
      library.analysis.clusterMembers(id, offset, limit),
    'clusters.copyTo': ({ id, destination, ticket }) =>
      copyCluster(library, id, destination, ticket),
    'map.layout': async ({ recompute, personId }) => {
      const layout = await library.analysis.map({ recompute });
      if (personId === undefined) return layout;
      const shown = askPeople(() => library.people.photoIdsOf(personId));
      return { ...layout, points: layout.points.filter((point) => shown.has(point.id)) };
    },
    'people.list': () => askPeople(() => library.people.list()),
    'people.show': ({ personId, offset, limit }) =>
      askPeople(() => library.people.show(personId, offset, limit)),
    'people.rename': ({ personId, name }) => askPeople(() => library.people.rename(personId, name)),
    'people.merge': ({ personId, intoPersonId }) =>
      askPeople(() => library.people.merge(personId, intoPersonId)),
    'faces.moveOut': ({ faceId, to }) => askPeople(() => library.people.moveOut(faceId, to)),
    'faces.forPhoto': ({ photoId }) => askPeople(() => library.people.forPhoto(photoId)),
    'similar.photo': ({ photoId, by, k }) => library.analysis.similarToPhoto(photoId, { by, k }),
    'similar.file': ({ path, by, k }) => library.analysis.similarToFile(path, { by, k }),
    'similar.upload': ({ name, bytesBase64, by, k }) =>
      withUploadedFile(library, name, bytesBase64, (path) =>
        library.analysis.similarToFile(path, { by, k }),
      ),
    'colours.search': ({ colours, k }) => library.analysis.byColours(colours, { k }),
    'colours.library': ({ count }) => library.analysis.libraryColours({ count }),
    'clusters.progress': () => library.analysis.clustersProgress(),
    'search.text': async ({ text, k }) => {
      try {
        return await library.searchText(text, k);
      } catch (error) {
        // No CLIP model is not a failure: the screen shows the engine's one-sentence reason.
        if (error instanceof Error && error.name === 'NoTextModelError') {
          throw new ContractError('unavailable', error.message);
        }
        throw error;
      }
    },
    'models.list': () => library.listModels(),
    'models.use': async ({ id }) => ({ queued: await library.useModel(id) }),
    'models.import': async ({ dir }) => {
      await library.importModel(dir);
      return null;
    },
    'models.fetch': ({ id }) => {
      // A download takes minutes: answer at once and report progress as events, so the call
      // does not hold a transport's request open (or time out) for the whole download.
      const progress = handlerEvents(library);
      let last = 0;
      void library
        .fetchModel(id, (fraction) => {
          // Thousands of chunks arrive; a percent is as fine as a progress bar can show.
          if (fraction - last < 0.01 && fraction < 1) return;
          last = fraction;
          progress.emit('models.progress', { id, fraction, state: 'running' });
        })
        .then(
          () => progress.emit('models.progress', { id, fraction: 1, state: 'done' }),
          (error: unknown) =>
            progress.emit('models.progress', {
              id,
              fraction: last,
              state: 'failed',
              message: error instanceof Error ? error.message : String(error),
            }),
        );
      return null;
    },
  };
}

/** Members fetched per request while collecting a cluster to copy. */
const COPY_MEMBERS_PAGE = 5000;
/** Progress events of a copy at most this often (and once at the end). */
const COPY_PROGRESS_MS = 200;

/**
 * Copies a cluster's members (as the Clusters screen lists them) into a folder. The files are
 * found by photo id through the library, the copying and its refusals are the export module's;
 * a refused destination is the person's to fix, so it crosses as invalid arguments.
 */
async function copyCluster(
  library: LibraryService,
  id: number,
  destination: string,
  ticket: string | undefined,
): Promise<CopyOutcome> {
  const sources: string[] = [];
  for (let offset = 0; ; offset += COPY_MEMBERS_PAGE) {
    let page;
    try {
      page = await library.analysis.clusterMembers(id, offset, COPY_MEMBERS_PAGE);
    } catch (error) {
      if (offset === 0) throw new ContractError('not-found', (error as Error).message);
      throw error;
    }
    for (const member of page.members) {
      sources.push(library.photoPath(member.photo.id) ?? member.photo.path);
    }
    if (page.members.length === 0 || offset + COPY_MEMBERS_PAGE >= page.total) break;
  }
  const events = handlerEvents(library);
  let last = 0;
  try {
    return await copyPhotos(sources, destination, {
      libraryFolders: library.listFolders().map((f) => f.path),
      ownFolders: [library.dir],
      onProgress: ({ done, total, bytes }) => {
        if (ticket === undefined) return;
        const now = Date.now();
        if (done < total && now - last < COPY_PROGRESS_MS) return;
        last = now;
        events.emit('copy.progress', { ticket, done, total, bytes });
      },
    });
  } catch (error) {
    if (error instanceof CopyDestinationError) {
      throw new ContractError('invalid-arguments', error.message);
    }
    throw error;
  }
}

/** Extensions the uploaded query file may keep, so the decoder's sniffing sees a normal name. */
const uploadExtensions = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.avif',
  '.tif',
  '.tiff',
]);

/**
 * Writes a dropped file's bytes to a temporary file of our own in the library folder (never a
 * user photo, never inside a library folder, so the watcher does not index it), runs the query
 * on it and deletes it whatever happens.
 */
async function withUploadedFile<T>(
  library: LibraryService,
  name: string,
  bytesBase64: string,
  query: (path: string) => Promise<T>,
): Promise<T> {
  const bytes = Buffer.from(bytesBase64, 'base64');
  if (bytes.length === 0) throw new ContractError('invalid-arguments', 'The file is empty.');
  if (bytes.length > MAX_UPLOAD_BYTES) {
    throw new ContractError(
      'invalid-arguments',
      `Files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB can be compared.`,
    );
  }
  const ext = extname(name).toLowerCase();
  const dir = join(library.dir, 'tmp');
  await mkdir(dir, { recursive: true });
  // Only our random name reaches the disk: nothing of the sender's name but a known extension.
  const file = join(
    dir,
    `query-${randomBytes(8).toString('hex')}${uploadExtensions.has(ext) ? ext : ''}`,
  );
  await writeFile(file, bytes, { flag: 'wx' });
  try {
    return await query(file);
  } finally {
    await rm(file, { force: true });
  }
}

type HandlerEventMap = { [E in EventName]: [Events[E]] };

/**
 * Events raised by handlers themselves (a model download's or a copy's progress), per library, so every
 * relay of that library's events (each browser tab, the Electron host) passes them on too.
 */
const handlerEmitters = new WeakMap<LibraryService, EventEmitter<HandlerEventMap>>();

function handlerEvents(library: LibraryService): EventEmitter<HandlerEventMap> {
  let emitter = handlerEmitters.get(library);
  if (!emitter) {
    emitter = new EventEmitter<HandlerEventMap>();
    handlerEmitters.set(library, emitter);
  }
  return emitter;
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

/** Runs a people question; an unknown id or a bad request crosses as its contract error. */
function askPeople<T>(question: () => T): T {
  try {
    return question();
  } catch (error) {
    if (error instanceof PeopleError) throw new ContractError(error.code, error.message);
    throw error;
  }
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
  const onModel = (p: Events['models.progress']) => emit('models.progress', p);
  const onCopy = (p: Events['copy.progress']) => emit('copy.progress', p);
  library.on('progress', onProgress);
  library.on('photosChanged', onChanged);
  library.on('notice', onNotice);
  const handlerEmitter = handlerEvents(library);
  handlerEmitter.on('models.progress', onModel);
  handlerEmitter.on('copy.progress', onCopy);
  return () => {
    library.off('progress', onProgress);
    library.off('photosChanged', onChanged);
    library.off('notice', onNotice);
    handlerEmitter.off('models.progress', onModel);
    handlerEmitter.off('copy.progress', onCopy);
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
