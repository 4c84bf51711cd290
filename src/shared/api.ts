// The whole contract between the UI and the main side, in one place: every call (request and
// response) and every event, named `domain.verb`. Electron IPC, the WebSocket of `shoebox serve`
// and the preload are all built from the tables below, so adding a call means adding one entry
// here, one handler, and the UI that uses it. Arguments are validated with zod at the door of
// every transport; results are typed only, because they come from our own code.
import { z } from 'zod';
import type {
  ClusterMembersPage,
  ClustersView,
  DuplicatesView,
  FailedPhoto,
  Folder,
  IndexProgress,
  Face,
  MapLayoutView,
  PaletteColour,
  PeopleView,
  PersonCard,
  PersonFacesPage,
  Photo,
  ScoredPhoto,
} from './domain.ts';

// ---- Result types (plain data, identical in every transport) ----

export type PhotoSort = 'takenAt' | 'name' | 'size';

export interface PhotoPage {
  total: number;
  photos: Photo[];
}

export interface PhotoDetails extends Photo {
  palette: PaletteColour[];
  orientation: number | null;
}

export interface LibraryStatus {
  /** The folder holding the catalog, thumbnail cache and settings. */
  dir: string;
  folders: string[];
  photos: number;
  failed: number;
  pending: number;
  model: { id: string; dim: number };
  /** Photos embedded with the active model so far (re-embedding runs after a model switch). */
  modelProgress: { embedded: number; total: number };
  watchFallback: string | null;
  /** Set when the catalog was found damaged at open and rebuilt: what to tell the person. */
  catalogRecovery: string | null;
}

/** A photo in Shoebox's trash (restorable until the trash is emptied to the OS trash). */
export interface TrashItem {
  id: number;
  /** Where the photo was, and where restore puts it back. */
  path: string;
  trashedAt: number;
  size: number;
  contentHash: string;
  /** The last thing worth telling about it (e.g. why emptying it was refused). */
  note: string | null;
}

export interface RemoveOutcome {
  path: string;
  outcome: 'trashed' | 'skipped';
  /** Plain English: why it was skipped. */
  reason?: string;
  trashId?: number;
}

export interface RestoreOutcome {
  path: string;
  outcome: 'restored' | 'skipped';
  restoredTo?: string;
  /** False when the bytes that came back differ from the ones recorded at removal. */
  identical?: boolean;
  reason?: string;
  suggestedPath?: string;
}

export interface EmptyOutcome {
  id: number;
  path: string;
  outcome: 'emptied' | 'not-deleted';
  /** The OS's answer when it refused. */
  reason?: string;
}

export interface ModelEntry {
  id: string;
  name: string;
  installed: boolean;
  active: boolean;
  dim: number;
  source: 'builtin' | 'library' | 'bundled' | null;
  dir: string | null;
}

export interface ModelFetchProgress {
  id: string;
  /** 0..1 over all the model's files. */
  fraction: number;
  state: 'running' | 'done' | 'failed';
  message?: string;
}

export interface ThumbnailCacheInfo {
  bytes: number;
  files: number;
}

export interface AppInfo {
  /** Where the UI runs: the desktop app (native dialogs, show in folder) or a browser tab. */
  mode: 'desktop' | 'browser';
  version: string;
}

/** A photo that could not be copied, and why, in plain words. */
export interface CopyFailure {
  path: string;
  reason: string;
}

/** What copying photos to a folder did. The originals are only ever read. */
export interface CopyOutcome {
  /** The folder the copies went to, as an absolute path. */
  destination: string;
  /** Whether that folder had to be made first. */
  created: boolean;
  /** Photos asked for. */
  total: number;
  copied: number;
  /** Copied under a numbered name (`IMG_1 (2).jpg`) because the plain name was taken. */
  renamed: number;
  /** Already in the folder with the same bytes, so not copied again. */
  skipped: number;
  failed: CopyFailure[];
  /** Bytes written. */
  bytes: number;
}

/** Progress of a copy, for the screen that started it (matched by its ticket). */
export interface CopyProgress {
  ticket: string;
  done: number;
  total: number;
  bytes: number;
}

/** A face as the viewer shows it: where it is and whose it is. */
export interface PhotoFace extends Face {
  personName: string | null;
}

/** One of the library's own colour families (see engine/analysis/library-colours.ts). */
export interface LibraryColour {
  /** The family's swatch: the share-weighted mean of the library's colours in it. */
  hex: string;
  /** A name for people and screen readers, e.g. "light blue", "dark grey". */
  name: string;
  /** The part of the library's total picture area in this family, 0..1. */
  share: number;
  /** Photos whose palette gives this family at least a tenth of their area. */
  photos: number;
}

/** The colours that cover the most picture area across the library, most first. */
export interface LibraryColours {
  /** Photos with a palette (the ones a colour search can return). */
  photos: number;
  colours: LibraryColour[];
}

/** What the Clusters screen can show before `clusters.list` answers. */
export interface ClustersProgress {
  /**
   * The last clustering saved for the active embedding (with the automatic k), medoids that are
   * still in the library only; null when there is none. It may be of an older set of photos.
   */
  stored: ClustersView | null;
  /** What the engine is doing towards the clusters now, or null when it is not working on them. */
  work: { stage: 'neighbours' | 'clusters'; done: number; total: number } | null;
}

export interface PhotosChanged {
  added: number[];
  updated: number[];
  removed: number[];
}

export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface EngineRestarted {
  /** A sentence for people: why the engine stopped. */
  reason: string;
  at: number;
}

// ---- Calls ----

/**
 * Who answers a call. `engine` calls run against the library wherever it lives (the utility
 * process in Electron, in-process in `shoebox serve`); `desktop` calls need the desktop shell
 * (native dialogs, the OS file manager) and are refused in the browser; `transport` calls are
 * answered by whichever transport carries them.
 */
export type CallSite = 'engine' | 'desktop' | 'transport';

interface CallSpec<A extends z.ZodType, R, S extends CallSite> {
  args: A;
  site: S;
  /** Phantom field: carries the result type for the compiler, never read at runtime. */
  result?: R;
}

function call<R>() {
  return <A extends z.ZodType, S extends CallSite>(args: A, site: S): CallSpec<A, R, S> => ({
    args,
    site,
  });
}

const photoId = z.number().int().positive();
const folderId = z.number().int().positive();
const personId = z.number().int().positive();
const faceId = z.number().int().positive();
const none = z.strictObject({});
const path = z
  .string()
  .trim()
  .min(1, 'Type a path.')
  .max(4096, 'That path is too long.')
  .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.');
/** How many results a search returns at most: a screenful of grid, not the library. */
const resultCount = z.number().int().min(1).max(500);
const similarBy = z.enum(['content', 'colour']);
const fileExpectation = z.strictObject({
  size: z.number().int().min(0),
  mtimeMs: z.number().min(0),
  contentHash: z.string().min(1).max(128),
});
/** Largest file a browser may send to ask "do I already have this?" (base64 inflates by 4/3). */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
const maxUploadBase64 = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4;

export const calls = {
  'app.info': call<AppInfo>()(none, 'transport'),
  'library.status': call<LibraryStatus>()(none, 'engine'),
  'library.thumbnailCache': call<ThumbnailCacheInfo>()(none, 'engine'),
  'index.progress': call<IndexProgress>()(none, 'engine'),
  'index.failures': call<FailedPhoto[]>()(none, 'engine'),
  'folders.list': call<Folder[]>()(none, 'engine'),
  'folders.add': call<Folder>()(
    z.strictObject({
      path: z
        .string()
        .trim()
        .min(1, 'Type the path of a folder.')
        .max(4096, 'That path is too long.')
        .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.'),
    }),
    'engine',
  ),
  'folders.remove': call<null>()(z.strictObject({ folderId }), 'engine'),
  'folders.setReference': call<null>()(
    z.strictObject({ folderId, isReference: z.boolean() }),
    'engine',
  ),
  /** Opens the native folder picker; null when the person cancels. */
  'folders.pick': call<{ path: string | null }>()(none, 'desktop'),
  'photos.list': call<PhotoPage>()(
    z.strictObject({
      sort: z.enum(['takenAt', 'name', 'size']),
      descending: z.boolean().optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(2000),
      folderId: folderId.optional(),
      /** Only photos in which this person's face was found. */
      personId: personId.optional(),
    }),
    'engine',
  ),
  'photos.get': call<PhotoDetails | null>()(z.strictObject({ photoId }), 'engine'),
  'photos.showInFolder': call<null>()(z.strictObject({ photoId }), 'desktop'),
  /** Near-duplicate groups at a cosine threshold (default: the embedding's default). */
  'duplicates.list': call<DuplicatesView>()(
    z.strictObject({ threshold: z.number().min(0).max(1).optional() }),
    'engine',
  ),
  /** Remembers "keep all" or "not duplicates" for the group with exactly these photos. */
  'duplicates.decide': call<null>()(
    z.strictObject({
      photoIds: z.array(photoId).min(2, 'A group has at least two photos.').max(10_000),
      kind: z.enum(['keep-all', 'not-duplicates']),
    }),
    'engine',
  ),
  'trash.list': call<TrashItem[]>()(none, 'engine'),
  /** Moves photos to Shoebox's trash, each checked against what the person saw first. */
  'trash.remove': call<RemoveOutcome[]>()(
    z.strictObject({
      items: z
        .array(
          z.strictObject({
            path,
            expected: fileExpectation,
            keeper: z.strictObject({ path, expected: fileExpectation }).optional(),
            group: z.array(path).max(10_000).optional(),
          }),
        )
        .min(1, 'Name at least one photo to remove.')
        .max(10_000),
    }),
    'engine',
  ),
  'trash.restore': call<RestoreOutcome[]>()(
    z.strictObject({
      ids: z.array(z.number().int().positive()).min(1).max(10_000),
      onConflict: z.enum(['refuse', 'suffix']).optional(),
    }),
    'engine',
  ),
  /** Sends everything (or these items) on to the operating system's trash. */
  'trash.empty': call<EmptyOutcome[]>()(
    z.strictObject({ ids: z.array(z.number().int().positive()).max(10_000).optional() }),
    'engine',
  ),
  'clusters.list': call<ClustersView>()(
    z.strictObject({
      k: z.union([z.number().int().min(2).max(200), z.literal('auto')]).optional(),
    }),
    'engine',
  ),
  'clusters.members': call<ClusterMembersPage>()(
    z.strictObject({
      id: z.number().int().min(0),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(5000),
    }),
    'engine',
  ),
  /**
   * Copies the cluster's member photos into a folder (made if missing; refused inside a library
   * folder). Never overwrites: a taken name gets a numbered suffix. Progress arrives as
   * `copy.progress` events carrying the ticket given here.
   */
  'clusters.copyTo': call<CopyOutcome>()(
    z.strictObject({
      id: z.number().int().min(0),
      destination: z
        .string()
        .trim()
        .min(1, 'Type the path of the folder to copy to.')
        .max(4096, 'That path is too long.')
        .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.'),
      ticket: z.string().max(64).optional(),
    }),
    'engine',
  ),
  /** The map's points; state 'computing' (with progress) while a layout runs: ask again. */
  'map.layout': call<MapLayoutView>()(
    z.strictObject({
      recompute: z.boolean().optional(),
      /** Only the points of photos in which this person's face was found. */
      personId: personId.optional(),
    }),
    'engine',
  ),
  /** Everyone whose face was found, each with a representative face; brings people up to date. */
  'people.list': call<PeopleView>()(none, 'engine'),
  /** One person's faces, most typical first, a page at a time ('not-found' for an unknown id). */
  'people.show': call<PersonFacesPage>()(
    z.strictObject({
      personId,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(2000),
    }),
    'engine',
  ),
  /** Names a person (null clears the name). Remembered in the journal, so it survives a rebuild. */
  'people.rename': call<PersonCard>()(
    z.strictObject({
      personId,
      name: z
        .string()
        .trim()
        .min(1, 'Type a name, or clear it.')
        .max(100, 'Names can be up to 100 characters.')
        .refine(
          (n) => [...n].every((c) => c.charCodeAt(0) >= 32),
          'A name cannot contain control characters.',
        )
        .nullable(),
    }),
    'engine',
  ),
  /** Makes two people one: `personId`'s faces join `intoPersonId`, which keeps its id and name. */
  'people.merge': call<PersonCard>()(
    z
      .strictObject({ personId, intoPersonId: personId })
      .refine((a) => a.personId !== a.intoPersonId, 'Pick two different people to merge.'),
    'engine',
  ),
  /**
   * Takes a face out of its person: to the unclustered faces, or as a new person of its own.
   * Answers the face's person afterwards (null when unclustered).
   */
  'faces.moveOut': call<{ personId: number | null }>()(
    z.strictObject({ faceId, to: z.enum(['unclustered', 'new-person']) }),
    'engine',
  ),
  /** The faces found in one photo, for the viewer (an empty list when there are none). */
  'faces.forPhoto': call<PhotoFace[]>()(z.strictObject({ photoId }), 'engine'),
  'similar.photo': call<ScoredPhoto[]>()(
    z.strictObject({ photoId, by: similarBy, k: resultCount }),
    'engine',
  ),
  /** A file outside the library, by path: looked at, never added. */
  'similar.file': call<ScoredPhoto[]>()(
    z.strictObject({ path, by: similarBy, k: resultCount }),
    'engine',
  ),
  /**
   * A file dropped in the browser, sent as bytes: the engine writes it to a temporary file of
   * its own, asks about it like `similar.file`, and deletes it.
   */
  'similar.upload': call<ScoredPhoto[]>()(
    z.strictObject({
      name: z.string().max(255),
      bytesBase64: z
        .string()
        .min(1, 'The file is empty.')
        .max(maxUploadBase64, `Files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB can be compared.`)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'The file did not arrive intact.'),
      by: similarBy,
      k: resultCount,
    }),
    'engine',
  ),
  'colours.search': call<ScoredPhoto[]>()(
    z.strictObject({
      colours: z
        .array(
          z.strictObject({
            hex: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'Colours are #rrggbb.'),
            share: z.number().min(0).max(1).optional(),
          }),
        )
        .min(1, 'Pick at least one colour.')
        .max(5, 'Pick at most five colours.'),
      k: resultCount,
    }),
    'engine',
  ),
  /** The library's own most common colour families, for starting a colour search. */
  'colours.library': call<LibraryColours>()(
    z.strictObject({
      count: z.number().int().min(1).max(24, 'Ask for at most 24 colours.').optional(),
    }),
    'engine',
  ),
  /** Answers at once: the stored clusters to show meanwhile, and how far a computation is. */
  'clusters.progress': call<ClustersProgress>()(none, 'engine'),
  /** Photos matching a description, by the active CLIP model ('unavailable' without one). */
  'search.text': call<ScoredPhoto[]>()(
    z.strictObject({
      text: z.string().trim().min(1, 'Type what to look for.').max(500),
      k: resultCount,
    }),
    'engine',
  ),
  'models.list': call<ModelEntry[]>()(none, 'engine'),
  /** Makes an installed model active; answers how many photos are queued to re-embed. */
  'models.use': call<{ queued: number }>()(
    z.strictObject({ id: z.string().min(1).max(200) }),
    'engine',
  ),
  'models.import': call<null>()(z.strictObject({ dir: path }), 'engine'),
  /** Downloads a known model; progress arrives as `models.progress` events. */
  'models.fetch': call<null>()(z.strictObject({ id: z.string().min(1).max(200) }), 'engine'),
  'links.openExternal': call<null>()(
    z.strictObject({
      url: z.string().max(2048).refine(isSafeExternalUrl, 'Only https links can be opened.'),
    }),
    'desktop',
  ),
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallArgs<N extends CallName> = z.input<Calls[N]['args']>;
export type ParsedCallArgs<N extends CallName> = z.output<Calls[N]['args']>;
export type CallResult<N extends CallName> = Exclude<Calls[N]['result'], undefined>;

export const callNames = Object.keys(calls) as CallName[];

// ---- Events ----

export interface Events {
  'index.progress': IndexProgress;
  'photos.changed': PhotosChanged;
  'app.notice': Notice;
  'engine.restarted': EngineRestarted;
  'models.progress': ModelFetchProgress;
  'copy.progress': CopyProgress;
}
export type EventName = keyof Events;
export const eventNames: readonly EventName[] = [
  'index.progress',
  'photos.changed',
  'app.notice',
  'engine.restarted',
  'models.progress',
  'copy.progress',
];

// ---- Validation and errors ----

export type ContractErrorCode =
  'unknown-call' | 'invalid-arguments' | 'unavailable' | 'not-found' | 'failed';

/** An error that crosses a transport intact: a code for code, a sentence for people. */
export class ContractError extends Error {
  readonly code: ContractErrorCode;
  constructor(code: ContractErrorCode, message: string) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
  }
}

export interface SerializedError {
  code: ContractErrorCode;
  message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ContractError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'failed', message };
}

export function deserializeError(error: SerializedError): ContractError {
  return new ContractError(error.code, error.message);
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (eventNames as readonly string[]).includes(name);
}

/**
 * The door every transport goes through: checks the call exists and its arguments match, and
 * returns the parsed arguments. Throws a ContractError whose message a person can read.
 */
export function validateCall<N extends CallName>(name: N, args: unknown): ParsedCallArgs<N>;
export function validateCall(name: unknown, args: unknown): unknown;
export function validateCall(name: unknown, args: unknown): unknown {
  if (!isCallName(name)) {
    throw new ContractError('unknown-call', `There is no call named ${JSON.stringify(name)}.`);
  }
  const parsed = calls[name].args.safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
    throw new ContractError(
      'invalid-arguments',
      `${issue?.message ?? 'Invalid arguments'}${where} in ${name}.`,
    );
  }
  return parsed.data;
}

/**
 * External links open in the OS browser only when they are plain https URLs: a host name, an
 * optional port, no credentials, no whitespace. (Written without URL, which src/shared cannot
 * assume: it sees neither the DOM nor Node.)
 */
export function isSafeExternalUrl(url: string): boolean {
  return /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s]*)?$/i.test(url);
}

// ---- Wire messages of the WebSocket (and the engine host's message port) ----

export type ClientMessage = { kind: 'call'; id: number; name: string; args: unknown };

export type ServerMessage =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: SerializedError }
  | { kind: 'event'; name: EventName; payload: unknown };

/** How a call's answer crosses Electron IPC: errors as data, so their code survives. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/**
 * What the preload puts on `window.shoebox`: contract calls by name (answered as outcomes) and
 * event subscriptions that return their unsubscribe function. Nothing else crosses.
 */
export interface PreloadBridge {
  invoke(name: CallName, args: unknown): Promise<CallOutcome>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}

/**
 * What the renderer sees, whatever carries it: the preload's `window.shoebox` in Electron and
 * the WebSocket client in the browser both implement this.
 */
export interface ShoeboxBridge {
  invoke<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}
