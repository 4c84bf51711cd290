// Model files on disk: `<libraryDir>/models/<id>/` (fetched or imported) and, in a release
// build, `<resourcesDir>/models/<id>/` (bundled). A model counts as installed only when every
// file has been verified against the pinned manifest and `shoebox-model.json` was written last;
// the active model is a one-line setting in `<libraryDir>/models/active.json`.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ModelEntry } from '../../../shared/api.ts';
import { FINGERPRINT_DIM } from '../features/fingerprint.ts';
import { ClipTokenizer } from './clip-tokenizer.ts';
import { KNOWN_MODELS, type ModelFile, type ModelManifest } from './manifest.ts';
import { contentDigest } from './tokenizer-digest.ts';

/** The training-free visual fingerprint: always available, used whenever no model is active. */
export const BUILTIN_MODEL_ID = 'fingerprint';

const MARKER = 'shoebox-model.json';
const ACTIVE_FILE = 'active.json';

export interface StoreOptions {
  /** Models that can be installed, by id; default: the pinned KNOWN_MODELS. */
  manifests?: ReadonlyMap<string, ModelManifest>;
  /** The app's resources folder (release builds bundle models under `<it>/models/<id>`). */
  resourcesDir?: string | null;
}

export interface InstalledModel {
  id: string;
  dim: number;
  /** Folder with the files, in the upstream layout. */
  dir: string;
  visionModel: string;
  textModel: string;
  source: 'library' | 'bundled';
  revision: string;
}

/** A row of `models list`: the contract's own type, which the UI shows too. */
export type ModelListEntry = ModelEntry;

export interface FetchProgress {
  id: string;
  file: string;
  fileBytes: number;
  fileTotal: number;
  /** Over all files, including what was already on disk from an earlier, interrupted fetch. */
  bytes: number;
  total: number;
}

export interface FetchOptions extends StoreOptions {
  onProgress?: (p: FetchProgress) => void;
  /** The HTTP client; default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Overrides the manifest's download location (a mirror). */
  baseUrl?: string;
  signal?: AbortSignal;
  /** Make it the active model once installed; default true. */
  activate?: boolean;
}

export interface ImportOptions extends StoreOptions {
  /** Which model the folder holds; default: its shoebox-model.json, else clip-vit-b32. */
  id?: string;
  activate?: boolean;
}

interface Marker {
  id: string;
  repo: string;
  revision: string;
  dim: number;
  visionModel: string;
  textModel: string;
  files: { path: string; bytes: number; sha256: string }[];
  installedAt: string;
}

/** A fetch or import that did not install the model; `message` is one sentence for the user. */
export class ModelInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelInstallError';
  }
}

export function modelsDir(libraryDir: string): string {
  return join(libraryDir, 'models');
}

export function modelDir(libraryDir: string, id: string): string {
  return join(modelsDir(libraryDir), id);
}

function manifestFor(id: string, options: StoreOptions): ModelManifest {
  const manifests = options.manifests ?? KNOWN_MODELS;
  const manifest = manifests.get(id);
  if (!manifest) {
    throw new ModelInstallError(
      `Unknown model "${id}"; Shoebox knows ${[...manifests.keys()].join(', ')}.`,
    );
  }
  return manifest;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

async function sha256File(path: string, hash = createHash('sha256')) {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/**
 * The model in `dir` if its marker matches the manifest (id and pinned revision) and every file
 * is present at its pinned size. Hashes were checked when the marker was written; checking sizes
 * on every start catches truncation and deletion without reading 150 MB each time.
 */
async function readInstalled(
  dir: string,
  manifest: ModelManifest,
  source: InstalledModel['source'],
): Promise<InstalledModel | null> {
  let marker: Marker;
  try {
    marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
  if (marker.id !== manifest.id || marker.revision !== manifest.revision) return null;
  for (const file of marker.files) {
    if ((await fileSize(join(dir, file.path))) !== file.bytes) return null;
  }
  const pinned = new Set(manifest.files.map((f) => f.path));
  if (!marker.files.every((f) => pinned.has(f.path)) || marker.files.length !== pinned.size) {
    return null;
  }
  return {
    id: manifest.id,
    dim: manifest.dim,
    dir,
    visionModel: manifest.visionModel,
    textModel: manifest.textModel,
    source,
    revision: manifest.revision,
  };
}

/** The installed copy of a model: the library's own first, else the one bundled with the app. */
export async function installedModel(
  libraryDir: string,
  id: string,
  options: StoreOptions = {},
): Promise<InstalledModel | null> {
  const manifest = (options.manifests ?? KNOWN_MODELS).get(id);
  if (!manifest) return null;
  const own = await readInstalled(modelDir(libraryDir, id), manifest, 'library');
  if (own) return own;
  if (!options.resourcesDir) return null;
  return readInstalled(join(options.resourcesDir, 'models', id), manifest, 'bundled');
}

/** The explicit choice in active.json, or null when the user never chose. */
export async function getActiveModelSetting(libraryDir: string): Promise<string | null> {
  try {
    const parsed = JSON.parse(await readFile(join(modelsDir(libraryDir), ACTIVE_FILE), 'utf8')) as {
      active?: unknown;
    };
    return typeof parsed.active === 'string' ? parsed.active : null;
  } catch {
    return null;
  }
}

/** Chooses the model new embeddings use (BUILTIN_MODEL_ID for the fingerprint). */
export async function setActiveModel(
  libraryDir: string,
  id: string,
  options: StoreOptions = {},
): Promise<void> {
  if (id !== BUILTIN_MODEL_ID && !(await installedModel(libraryDir, id, options))) {
    throw new ModelInstallError(
      `Model ${id} is not installed; install it with \`shoebox models fetch ${id}\` or \`shoebox models import <dir>\`.`,
    );
  }
  await writeJsonAtomic(join(modelsDir(libraryDir), ACTIVE_FILE), { active: id });
}

export type ActiveModel =
  | { id: typeof BUILTIN_MODEL_ID; dim: number; model: null }
  | { id: string; dim: number; model: InstalledModel };

const FINGERPRINT_ACTIVE: ActiveModel = { id: BUILTIN_MODEL_ID, dim: FINGERPRINT_DIM, model: null };

/**
 * The model in use: the chosen one while it is installed; with no choice, the first installed
 * known model (so a bundled CLIP is used out of the box); otherwise the fingerprint. A chosen
 * model that was removed falls back the same way, never to an error.
 */
export async function resolveActiveModel(
  libraryDir: string,
  options: StoreOptions = {},
): Promise<ActiveModel> {
  const chosen = await getActiveModelSetting(libraryDir);
  if (chosen === BUILTIN_MODEL_ID) return FINGERPRINT_ACTIVE;
  if (chosen) {
    const model = await installedModel(libraryDir, chosen, options);
    if (model) return { id: model.id, dim: model.dim, model };
  }
  for (const id of (options.manifests ?? KNOWN_MODELS).keys()) {
    const model = await installedModel(libraryDir, id, options);
    if (model) return { id: model.id, dim: model.dim, model };
  }
  return FINGERPRINT_ACTIVE;
}

/** What `shoebox models list` shows: the built-in fingerprint and every known model. */
export async function listModels(
  libraryDir: string,
  options: StoreOptions = {},
): Promise<ModelListEntry[]> {
  const active = await resolveActiveModel(libraryDir, options);
  const rows: ModelListEntry[] = [
    {
      id: BUILTIN_MODEL_ID,
      name: 'Built-in visual fingerprint',
      installed: true,
      active: active.id === BUILTIN_MODEL_ID,
      dim: FINGERPRINT_DIM,
      source: 'builtin',
      dir: null,
    },
  ];
  for (const manifest of (options.manifests ?? KNOWN_MODELS).values()) {
    const model = await installedModel(libraryDir, manifest.id, options);
    rows.push({
      id: manifest.id,
      name: manifest.name,
      installed: model !== null,
      active: active.id === manifest.id,
      dim: manifest.dim,
      source: model?.source ?? null,
      dir: model?.dir ?? null,
    });
  }
  return rows;
}

async function writeMarker(dir: string, manifest: ModelManifest, files: ModelFile[]) {
  const marker: Marker = {
    id: manifest.id,
    repo: manifest.repo,
    revision: manifest.revision,
    dim: manifest.dim,
    visionModel: manifest.visionModel,
    textModel: manifest.textModel,
    files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
    installedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(dir, MARKER), marker);
}

function describeNetworkError(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * Downloads one file into `<final>.part`, resuming from what an earlier attempt left there
 * (HTTP Range), hashing as it goes; renames it into place only when size and SHA-256 match.
 */
async function fetchFile(
  url: string,
  final: string,
  file: ModelFile,
  options: FetchOptions,
  progress: (fileBytes: number) => void,
): Promise<void> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const part = `${final}.part`;
  await mkdir(dirname(final), { recursive: true });
  let failure: 'hash' | 'size' = 'hash';
  for (let attempt = 0; attempt < 2; attempt++) {
    let start = (await fileSize(part)) ?? 0;
    if (start > file.bytes) start = 0;
    let hash = createHash('sha256');
    if (start > 0) await sha256File(part, hash);
    if (start < file.bytes) {
      const response = await fetchImpl(url, {
        headers: start > 0 ? { Range: `bytes=${start}-` } : {},
        signal: options.signal,
        redirect: 'follow',
      });
      const resumed =
        response.status === 206 &&
        /bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1] === String(start);
      if (!resumed) {
        if (response.status !== 200) {
          await response.body?.cancel();
          throw new HttpError(response.status);
        }
        // The server sent the whole file (it ignored the Range): start over.
        start = 0;
        hash = createHash('sha256');
      }
      let received = start;
      const handle = await open(part, start > 0 ? 'a' : 'w');
      try {
        for await (const chunk of response.body ?? []) {
          const bytes = chunk as Uint8Array;
          await handle.write(bytes);
          hash.update(bytes);
          received += bytes.byteLength;
          progress(received);
        }
      } finally {
        await handle.close();
      }
    }
    const size = (await fileSize(part)) ?? 0;
    if (size === file.bytes && hash.digest('hex') === file.sha256) {
      await rename(part, final);
      return;
    }
    failure = size === file.bytes ? 'hash' : 'size';
    await rm(part, { force: true });
    // Only a resumed file gets a clean second try: its first part may predate damage we can't see.
    if (start === 0) break;
  }
  throw new VerifyError(file.path, failure);
}

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

class VerifyError extends Error {
  constructor(
    readonly file: string,
    readonly what: 'hash' | 'size',
  ) {
    super(`${file} failed verification (${what})`);
  }
}

/**
 * Downloads a model's pinned files into `dir` (resumable, verified) and writes its marker.
 * Used by fetchModel for the library and by scripts/fetch-models.ts for release resources.
 */
export async function fetchModelFiles(
  manifest: ModelManifest,
  dir: string,
  options: FetchOptions = {},
): Promise<void> {
  const base = (options.baseUrl ?? manifest.baseUrl).replace(/\/+$/, '');
  const host = (() => {
    try {
      return new URL(base).host;
    } catch {
      return base;
    }
  })();
  const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const file of manifest.files) {
    const final = join(dir, file.path);
    const report = (fileBytes: number) =>
      options.onProgress?.({
        id: manifest.id,
        file: file.path,
        fileBytes,
        fileTotal: file.bytes,
        bytes: done + fileBytes,
        total,
      });
    // Already fetched and verified by an earlier, interrupted run: keep it if it still verifies.
    if ((await fileSize(final)) === file.bytes) {
      if ((await sha256File(final)).digest('hex') === file.sha256) {
        done += file.bytes;
        report(file.bytes);
        continue;
      }
      await rm(final, { force: true });
    }
    try {
      await fetchFile(`${base}/${file.path}`, final, file, options, report);
    } catch (err) {
      if (err instanceof VerifyError) {
        throw new ModelInstallError(
          `The downloaded ${file.path} of ${manifest.id} does not match its pinned ${err.what === 'hash' ? 'SHA-256' : 'size'}, so it was discarded; try again, or install verified files with \`shoebox models import <dir>\`.`,
        );
      }
      if (options.signal?.aborted) {
        throw new ModelInstallError(
          `The download of ${manifest.id} was cancelled; run it again to resume where it stopped.`,
        );
      }
      if (err instanceof HttpError) {
        throw new ModelInstallError(
          `Downloading ${manifest.id} from ${host} failed (HTTP ${err.status} for ${file.path}); download the files on another machine and install them with \`shoebox models import <dir>\`.`,
        );
      }
      throw new ModelInstallError(
        `Could not download ${manifest.id} from ${host} (${describeNetworkError(err)}); with no internet here, download it on another machine and install it with \`shoebox models import <dir>\`.`,
      );
    }
    done += file.bytes;
  }
  await writeMarker(dir, manifest, manifest.files);
}

/** `shoebox models fetch <id>`: downloads into the library's models folder and activates it. */
export async function fetchModel(
  id: string,
  libraryDir: string,
  options: FetchOptions = {},
): Promise<InstalledModel> {
  const manifest = manifestFor(id, options);
  const dir = modelDir(libraryDir, id);
  await fetchModelFiles(manifest, dir, options);
  return finishInstall(libraryDir, id, options, options.activate ?? true);
}

async function finishInstall(
  libraryDir: string,
  id: string,
  options: StoreOptions,
  activate: boolean,
): Promise<InstalledModel> {
  const installed = await installedModel(libraryDir, id, { ...options, resourcesDir: null });
  if (!installed) throw new ModelInstallError(`Model ${id} did not verify after installing.`);
  if (activate) await setActiveModel(libraryDir, id, options);
  return installed;
}

async function findSource(dir: string, file: ModelFile): Promise<string | null> {
  // The upstream layout (onnx/…) or everything in one folder, as people tend to copy it.
  for (const candidate of [join(dir, file.path), join(dir, basename(file.path))]) {
    if ((await fileSize(candidate)) !== null) return candidate;
  }
  return null;
}

async function idInFolder(dir: string): Promise<string | null> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { id?: unknown };
    return typeof marker.id === 'string' ? marker.id : null;
  } catch {
    return null;
  }
}

/**
 * `shoebox models import <dir>`: installs a model from a folder (for machines without
 * internet). The ONNX encoders and preprocessing/model configs must be byte-identical to the pin.
 * The two tokenizer files may instead be another export of the same tokenizer (equal content
 * digest, plus a probe text that must tokenise to the known ids): they are re-serialised by
 * every export tool, and their content, not their formatting, decides the token ids. Files are
 * copied into a staging folder and swapped in only when all verify, so a failed import leaves an
 * earlier install untouched.
 */
export async function importModel(
  sourceDir: string,
  libraryDir: string,
  options: ImportOptions = {},
): Promise<InstalledModel> {
  const id =
    options.id ??
    (await idInFolder(sourceDir)) ??
    [...(options.manifests ?? KNOWN_MODELS).keys()][0]!;
  const manifest = manifestFor(id, options);
  if ((await stat(sourceDir).catch(() => null))?.isDirectory() !== true) {
    throw new ModelInstallError(`${sourceDir} is not a folder.`);
  }
  const sources = new Map<string, string>();
  const missing: string[] = [];
  for (const file of manifest.files) {
    const found = await findSource(sourceDir, file);
    if (found) sources.set(file.path, found);
    else missing.push(file.path);
  }
  if (missing.length > 0) {
    throw new ModelInstallError(
      `${sourceDir} lacks ${missing.join(', ')} of ${manifest.repo} at revision ${manifest.revision.slice(0, 12)}, so ${id} was not installed.`,
    );
  }
  const target = modelDir(libraryDir, id);
  const staging = join(modelsDir(libraryDir), `.import-${id}-${randomBytes(4).toString('hex')}`);
  try {
    const installedFiles: ModelFile[] = [];
    let needsProbe = false;
    for (const file of manifest.files) {
      const from = sources.get(file.path)!;
      const to = join(staging, file.path);
      await mkdir(dirname(to), { recursive: true });
      const bytes = await readFile(from);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== file.sha256) {
        if (!file.equivalent || !isEquivalent(bytes, file.equivalent)) {
          throw new ModelInstallError(
            `${from} does not match the pinned ${file.path} of ${manifest.repo} (${bytes.byteLength} bytes, SHA-256 ${sha256.slice(0, 12)}…, expected ${file.bytes} bytes, ${file.sha256.slice(0, 12)}…), so ${id} was not installed.`,
          );
        }
        needsProbe = true;
      }
      await writeFile(to, bytes);
      installedFiles.push({ path: file.path, bytes: bytes.byteLength, sha256 });
    }
    if (needsProbe && manifest.tokenizerProbe) {
      const tokenizer = await ClipTokenizer.load(staging);
      const ids = tokenizer.ids(manifest.tokenizerProbe.text);
      if (ids.join(',') !== manifest.tokenizerProbe.ids.join(',')) {
        throw new ModelInstallError(
          `The tokenizer in ${sourceDir} encodes "${manifest.tokenizerProbe.text}" differently from ${manifest.repo}, so ${id} was not installed.`,
        );
      }
    }
    await writeMarker(staging, manifest, installedFiles);
    const old = `${staging}.old`;
    const hadOld = (await stat(target).catch(() => null)) !== null;
    if (hadOld) await rename(target, old);
    await rename(staging, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return finishInstall(libraryDir, id, options, options.activate ?? true);
}

function isEquivalent(bytes: Buffer, equivalent: NonNullable<ModelFile['equivalent']>): boolean {
  try {
    return equivalent.digests.includes(
      contentDigest(equivalent.kind, JSON.parse(bytes.toString('utf8'))),
    );
  } catch {
    return false;
  }
}

/**
 * Deletes a model from the library. If it was the active model, the choice is cleared, so the
 * library falls back to a bundled copy or else the fingerprint.
 */
export async function removeModel(
  id: string,
  libraryDir: string,
  options: StoreOptions = {},
): Promise<void> {
  manifestFor(id, options);
  const dir = modelDir(libraryDir, id);
  if ((await stat(dir).catch(() => null)) === null) {
    throw new ModelInstallError(`Model ${id} is not installed in this library.`);
  }
  // Unmark first: a half-deleted folder must never look installed.
  await rm(join(dir, MARKER), { force: true });
  await rm(dir, { recursive: true, force: true });
  if ((await getActiveModelSetting(libraryDir)) === id) {
    await rm(join(modelsDir(libraryDir), ACTIVE_FILE), { force: true });
  }
}
