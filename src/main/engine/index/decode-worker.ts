// A decode worker process. It reads each photo exactly once, hashes the bytes for identity, and,
// when the indexer says the content is new, decodes it once with sharp and derives every feature
// from that one decode. It runs in its own process so a decoder crash, a runaway allocation or a
// hang costs one file, never the app. It never writes anywhere but the thumbnail cache.
import { createHash } from 'node:crypto';
import { access, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import {
  DEFAULT_MAX_PIXELS,
  analyseDecoded,
  decodeWorkingCopy,
  readHeader,
} from '../features/analyse.ts';
import { findFaces, type DetectedFace } from '../faces/detector.ts';
import { loadScreeningModel } from '../faces/screening.ts';
import type { WorkingImage } from '../features/pixels.ts';
import { PhotoFailure, failureFromDecoderError } from '../features/failures.ts';
import { isRawExtension } from '../scan/candidates.ts';
import {
  NO_PERMISSION_REASON,
  type DecodeTask,
  type FromWorker,
  type ToWorker,
} from './protocol.ts';
import { ReadBuffer } from './read-buffer.ts';
import { thumbnailPath } from './thumbnails.ts';

/** Larger files are not photos anyone expects Shoebox to open; reading them would stall a worker. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

// One libvips thread per worker process: the pool runs one process per core, and a bounded,
// uncached libvips keeps each process's memory flat however many photos pass through it.
// (In thread mode these settings are shared by the threads of one process: still one thread per
// worker on average, and no cache.)
sharp.concurrency(1);
sharp.cache(false);

// The same file runs as a child process (the CLI, `serve`, a development app) or as a worker
// thread (a packaged desktop app, whose fuses forbid starting Electron as Node).
const channel = parentPort;
const send = (message: FromWorker): void => {
  if (channel) channel.postMessage(message);
  else process.send?.(message);
};
/** Sends, and resolves once the message has left this process (see runTask for why). */
const sendAndFlush = (message: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    if (channel) {
      channel.postMessage(message);
      resolve();
    } else if (!process.send?.(message, undefined, undefined, () => resolve())) resolve();
  });

const waitingForProceed = new Map<number, (analyse: boolean) => void>();
/**
 * Two photos' bytes at a time (the one being analysed, the next one being read), in memory kept
 * from photo to photo (see read-buffer.ts).
 */
const readBuffers = [new ReadBuffer(), new ReadBuffer()];
/** Resolves when the task before the newest one has finished its analysis and said so. */
let previousAnalysed: Promise<void> = Promise.resolve();

const onMessage = (message: ToWorker): void => {
  if (message.type === 'proceed') {
    waitingForProceed.get(message.taskId)?.(message.analyse);
    waitingForProceed.delete(message.taskId);
  } else if (message.type === 'task') {
    // Analyses run one at a time, in the order the tasks came: the pool blames a crash on the
    // oldest task it has not heard back from, so that must be the one decoding.
    const turn = previousAnalysed;
    let finished = (): void => undefined;
    previousAnalysed = new Promise((resolve) => (finished = resolve));
    // A task that ends early (unreadable, already analysed) still hands its turn on in order.
    void runTask(message.task, turn).finally(() => void turn.then(finished));
  }
};
if (channel) {
  channel.on('message', onMessage);
} else {
  process.on('message', onMessage);
  // The parent going away means nobody will read our results: stop at once.
  process.on('disconnect', () => process.exit(0));
}

async function runTask(task: DecodeTask, turn: Promise<void>): Promise<void> {
  let contentHash: string | null = null;
  // -1 until the file is open: a failure before that has no size to compare with the catalog's.
  let size = -1;
  let mtimeMs = -1;
  let releaseBytes = (): void => undefined;
  try {
    const { bytes, stats, release } = await readWhole(task.path);
    releaseBytes = release;
    size = stats.size;
    mtimeMs = Math.floor(stats.mtimeMs);
    contentHash = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length === 0) throw new PhotoFailure('file is empty');
    if (isRawExtension(task.path)) {
      throw new PhotoFailure(
        `camera RAW files (${extname(task.path).slice(1).toUpperCase()}) cannot be read by the bundled decoder`,
      );
    }
    const thumbFile = task.thumbnailDir ? thumbnailPath(task.thumbnailDir, contentHash) : null;
    const cachedThumbnail =
      thumbFile !== null &&
      (await access(thumbFile).then(
        () => true,
        () => false,
      ));
    const analyse = thumbFile === null || (await askToProceed(task.taskId, contentHash));
    if (!analyse && cachedThumbnail) {
      send({ type: 'done', taskId: task.taskId, contentHash, size, mtimeMs });
      return;
    }
    await turn;
    const decoding = decodeWorkingCopy(bytes, await readHeader(bytes));
    // A worker asked to look for faces loads the screening model (about 0.15 s, once) here, with
    // its first decode already under way on a libvips thread; a worker never asked never loads it.
    if (task.faces) void loadScreeningModel().catch(() => undefined);
    const decoded = await decoding;
    // Three things at once, all from the one decode: the encodes (thumbnail, CLIP crop) run on a
    // libvips thread, then the thumbnail is written to disk, while this thread computes the pixel
    // features and looks for faces. Everything ends before `done` is sent.
    const analysing = analyseDecoded(decoded, { clipInput: task.clipInput });
    const thumbnailWritten = analysing.then((analysis) =>
      thumbFile && !cachedThumbnail ? writeThumbnail(thumbFile, analysis.thumbnail) : undefined,
    );
    // Keep a failure handled until it is awaited below, after the faces.
    thumbnailWritten.catch(() => undefined);
    // Faces come from the same decode's working copy (and, only where one is likely, a larger
    // copy of the same bytes).
    const faces = task.faces ? await facesOf(decoded.working, bytes) : undefined;
    const analysis = await analysing;
    await thumbnailWritten;
    // The next task decodes only once this result has left the process: should that decode
    // crash the worker, this photo must not be blamed for a result that never arrived.
    await sendAndFlush({
      type: 'done',
      taskId: task.taskId,
      contentHash,
      size,
      mtimeMs,
      features: {
        meta: {
          format: analysis.format,
          width: analysis.width,
          height: analysis.height,
          orientation: analysis.orientation,
          takenAt: analysis.takenAt,
          camera: analysis.camera,
          exifFieldCount: analysis.exifFieldCount,
          sharpness: analysis.sharpness,
        },
        palette: analysis.palette,
        histogram: analysis.histogram,
        phash: analysis.phash,
        fingerprint: analysis.fingerprint,
        miniature: analysis.miniature,
        ...(task.clipInput ? { clipInput: analysis.clipInput } : {}),
        ...(faces ? { faces } : {}),
      },
    });
  } catch (error) {
    const reason =
      error instanceof PhotoFailure
        ? error.reason
        : failureFromDecoderError(error, 'unknown').reason;
    await sendAndFlush({
      type: 'failed',
      taskId: task.taskId,
      reason,
      contentHash,
      size,
      mtimeMs,
      ...(error instanceof CacheWriteFailure ? { retryLater: true } : {}),
    });
  } finally {
    releaseBytes();
  }
}

/**
 * The photo's faces, or undefined when the face models cannot run here (their package missing or
 * damaged): the photo still indexes, without a faces record, and is looked at again later. The
 * reason goes to the log once, not to every photo.
 */
async function facesOf(working: WorkingImage, bytes: Buffer): Promise<DetectedFace[] | undefined> {
  try {
    return await findFaces(working, bytes, DEFAULT_MAX_PIXELS);
  } catch (error) {
    if (!faceFailureLogged) {
      faceFailureLogged = true;
      console.error(
        `Faces are not looked for: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return undefined;
  }
}
let faceFailureLogged = false;

function askToProceed(taskId: number, contentHash: string): Promise<boolean> {
  return new Promise((resolve) => {
    waitingForProceed.set(taskId, resolve);
    send({ type: 'hashed', taskId, contentHash });
  });
}

async function readWhole(path: string) {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new PhotoFailure(openFailureReason(error));
  }
  try {
    // Size and time from the open handle: they describe exactly the bytes we read.
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new PhotoFailure('is a folder, not a file');
    if (stats.size > MAX_FILE_BYTES) {
      throw new PhotoFailure(
        `file is ${Math.round(stats.size / 1024 / 1024)} MB, too large to be a photo`,
      );
    }
    const free = readBuffers.find((buffer) => !buffer.isLent) ?? readBuffers[0]!;
    const { bytes, release } = await free.read(handle, stats.size);
    return { bytes, stats, release };
  } catch (error) {
    if (error instanceof PhotoFailure) throw error;
    throw new PhotoFailure(openFailureReason(error));
  } finally {
    await handle.close();
  }
}

function openFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return NO_PERMISSION_REASON;
  if (code === 'ENOENT') return 'file disappeared before it could be read';
  if (code === 'EISDIR') return 'is a folder, not a file';
  if (code === 'EIO') return 'the disk reported a read error for this file';
  return `file cannot be read (${code ?? 'unknown error'})`;
}

/** The thumbnail cache could not be written: the machine's trouble (a full disk), not the file's. */
class CacheWriteFailure extends PhotoFailure {}

async function writeThumbnail(file: string, data: Uint8Array): Promise<void> {
  try {
    await writeAtomically(file, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? "the disk holding Shoebox's library is full"
        : code === 'EROFS'
          ? "the disk holding Shoebox's library is read-only"
          : code === 'EACCES' || code === 'EPERM'
            ? "Shoebox does not have permission to write to its library's thumbnail folder"
            : `Shoebox cannot write to its library's thumbnail folder (${code ?? 'unknown error'})`;
    throw new CacheWriteFailure(reason, { cause: error });
  }
}

async function writeAtomically(file: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, file);
  } catch (error) {
    // A half-written temporary (the disk filled up mid-write) must not stay behind.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

// The worker takes photos as soon as its modules are loaded. The face screening model loads during
// the first photo's decode (runTask), and that photo's screening waits for it; TensorFlow.js and
// the other face models wait for the first photo with a face. A worker that cannot load the
// screening still indexes; its photos are told apart by having no faces record.
send({ type: 'ready' });
