// ONNX Runtime sessions for the face graphs built here (screening.ts, ssd.ts), kept ready for the
// next process. Building SSD's graph from face-api's weights and letting ONNX Runtime optimise it
// cost about 450 ms of one core and 29k page faults in each worker that met its first face
// candidate, every run. ONNX Runtime can write out the graph it optimised, its weights in a file
// beside it; opened again with no optimisation to do, the weights are mapped into memory rather
// than read, and the session is ready in about 20 ms.
//
// What ONNX Runtime writes holds layouts chosen for this processor's vector width (its NCHWc
// transform), so an entry belongs to this machine: its name is a hash of everything the optimised
// graph depends on (the recipe and its version, face-api's weight manifest and version, ONNX
// Runtime's version, the processor and the session options), and it lives in the user's cache
// folder, not in a library. A damaged entry is removed and built again; a cache that cannot be
// written costs only the time the cache saves.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { defaultCacheDir } from '../paths.ts';
import { modelDir } from './model-files.ts';
import { readWeights, type StoredTensor } from './onnx-graph.ts';

/** How one graph is made from one of face-api's weight files. */
export interface GraphRecipe {
  /** Names its cache entries: `<name>-<hash>`. */
  name: string;
  /**
   * Changed whenever `build` makes a different graph from the same weights, so no entry built
   * by older code is opened (each graph's test pins its hash to its version).
   */
  version: number;
  /** The weight file it is built from, as readWeights names it. */
  weightsFile: string;
  build(weights: Map<string, StoredTensor>): Uint8Array;
}

const SESSION_OPTIONS = {
  // One worker per core already: a second thread inside one would only contend.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // A memory pattern is planned per input shape, and photos come in many shapes: planning one
  // made SSD's second run cost 140 ms instead of 50 (fresh memory, faulted in), and saves
  // nothing measurable once runs are warm (screening: 2.1 ms a photo either way).
  enableMemPattern: false,
} as const satisfies ort.InferenceSession.SessionOptions;

const MODEL_FILE = 'model.onnx';
const WEIGHTS_FILE = 'weights.bin';
/** ONNX Runtime's warnings and info are for its developers; errors still reach the log. */
const ERRORS_ONLY = 3;

export function graphCacheDir(): string {
  return join(defaultCacheDir(), 'face-graphs');
}

/**
 * A session for `recipe`'s graph: opened from the cache when this machine has optimised it
 * before, otherwise built, optimised, and saved for next time.
 */
export async function openGraph(
  recipe: GraphRecipe,
  cacheDir: string = graphCacheDir(),
): Promise<ort.InferenceSession> {
  const name = `${recipe.name}-${await fingerprint(recipe)}`;
  const entry = join(cacheDir, name);
  const cached = await openCached(entry);
  if (cached) return cached;
  const graph = recipe.build(await readWeights(modelDir(), recipe.weightsFile));
  // Unique, so that processes (or two recipes' loads in one) never write into one folder.
  const saving = `${entry}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(saving, { recursive: true });
    const session = await ort.InferenceSession.create(graph, {
      ...SESSION_OPTIONS,
      graphOptimizationLevel: 'all',
      logSeverityLevel: ERRORS_ONLY,
      optimizedModelFilePath: join(saving, MODEL_FILE),
      extra: {
        session: {
          optimized_model_external_initializers_file_name: WEIGHTS_FILE,
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        },
      },
    });
    // Another process may have saved the same entry meanwhile: then this rename fails, and
    // either copy is as good as the other.
    await rename(saving, entry).then(
      () => removeOtherEntries(cacheDir, recipe.name, name),
      () => undefined,
    );
    return session;
  } catch {
    // The cache cannot be written (a read-only or full disk): the session is the point.
    return await ort.InferenceSession.create(graph, {
      ...SESSION_OPTIONS,
      graphOptimizationLevel: 'all',
    });
  } finally {
    await rm(saving, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The entry's session, or null when there is none or it is damaged (then it is removed). */
async function openCached(entry: string): Promise<ort.InferenceSession | null> {
  const model = join(entry, MODEL_FILE);
  const saved = await stat(model).then(
    (found) => found.isFile(),
    () => false,
  );
  if (!saved) return null;
  try {
    return await ort.InferenceSession.create(model, {
      ...SESSION_OPTIONS,
      // Optimised when it was saved; doing it again would undo the saving.
      graphOptimizationLevel: 'disabled',
    });
  } catch {
    await rm(entry, { recursive: true, force: true }).catch(() => undefined);
    return null;
  }
}

/**
 * Entries of the same recipe made by other versions or for another machine (22 MB each for SSD),
 * and what a process that died while saving left behind.
 */
async function removeOtherEntries(dir: string, recipe: string, keep: string): Promise<void> {
  const entry = new RegExp(`^${recipe}-[0-9a-f]{20}$`);
  const saving = new RegExp(`^${recipe}-[0-9a-f]{20}\\.[0-9a-f]{8}\\.tmp$`);
  const abandonedBefore = Date.now() - 60 * 60 * 1000;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const stale =
      (entry.test(name) && name !== keep) ||
      (saving.test(name) &&
        (await stat(path).then(
          (s) => s.mtimeMs < abandonedBefore,
          () => false,
        )));
    if (stale) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A hash of everything the optimised graph depends on. */
async function fingerprint(recipe: GraphRecipe): Promise<string> {
  const dir = modelDir();
  const [manifest, faceApi] = await Promise.all([
    readFile(join(dir, `${recipe.weightsFile}-weights_manifest.json`)),
    readFile(join(dir, '..', 'package.json'), 'utf8'),
  ]);
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      recipe: [recipe.name, recipe.version],
      faceApi: (JSON.parse(faceApi) as { version?: string }).version,
      onnxRuntime: ort.env.versions.common,
      machine: [process.platform, arch(), cpus()[0]?.model],
      options: SESSION_OPTIONS,
    }),
  );
  hash.update(manifest);
  return hash.digest('hex').slice(0, 20);
}
