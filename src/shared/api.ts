// The whole contract between the UI and the main side, in one place: every call (request and
// response) and every event, named `domain.verb`. Electron IPC, the WebSocket of `shoebox serve`
// and the preload are all built from the tables below, so adding a call means adding one entry
// here, one handler, and the UI that uses it. Arguments are validated with zod at the door of
// every transport; results are typed only, because they come from our own code.
import { z } from 'zod';
import type { FailedPhoto, Folder, IndexProgress, PaletteColour, Photo } from './domain.ts';

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
  watchFallback: string | null;
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
const none = z.strictObject({});

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
    }),
    'engine',
  ),
  'photos.get': call<PhotoDetails | null>()(z.strictObject({ photoId }), 'engine'),
  'photos.showInFolder': call<null>()(z.strictObject({ photoId }), 'desktop'),
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
}
export type EventName = keyof Events;
export const eventNames: readonly EventName[] = [
  'index.progress',
  'photos.changed',
  'app.notice',
  'engine.restarted',
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
