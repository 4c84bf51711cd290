// Entry point of the embedding process, started by EmbeddingService with child_process.fork.
// It owns the ONNX sessions, so a native crash in inference takes down only this process.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipOnnxModel } from './clip-onnx.ts';
import { CLIP_INPUT_BYTES } from './embedder.ts';
import type { FromWorker, ToWorker, WorkerOptions } from './embedding-protocol.ts';

function send(message: FromWorker): void {
  process.send?.(message);
}

/** Serves embedding requests over the IPC channel until told to shut down or orphaned. */
export function serveEmbeddings(options: WorkerOptions): void {
  const started = performance.now();
  const model = ClipOnnxModel.load({
    modelDir: options.modelDir,
    visionModel: options.visionModel,
    textModel: options.textModel,
    threads: options.threads,
  });
  model.then(
    (m) => send({ type: 'loaded', dim: m.dim, loadMs: performance.now() - started }),
    (err: Error) => send({ type: 'error', id: null, message: err.message, fatal: true }),
  );

  // Batches run one after another, in arrival order: the session is the bottleneck, and a
  // second concurrent run would only fight the first for the same cores.
  let chain: Promise<unknown> = Promise.resolve();

  const handle = async (msg: Extract<ToWorker, { type: 'embed' }>): Promise<void> => {
    let m: ClipOnnxModel;
    try {
      m = await model;
    } catch (err) {
      send({ type: 'error', id: msg.id, message: (err as Error).message, fatal: true });
      return;
    }
    try {
      // Loading is not inference: keep the text encoder's first load out of the timing.
      if (msg.kind === 'text') await m.prepareText();
      const t0 = performance.now();
      let rows: Float32Array[];
      if (msg.kind === 'image') {
        const inputs: Uint8Array[] = [];
        for (let i = 0; i < msg.count; i++) {
          inputs.push(msg.pixels.subarray(i * CLIP_INPUT_BYTES, (i + 1) * CLIP_INPUT_BYTES));
        }
        rows = await m.embedImages(inputs);
      } else {
        rows = await m.embedText(msg.texts);
      }
      const dim = rows[0]?.length ?? m.dim ?? 0;
      const vectors = new Float32Array(rows.length * dim);
      rows.forEach((row, i) => vectors.set(row, i * dim));
      send({ type: 'result', id: msg.id, vectors, dim, inferenceMs: performance.now() - t0 });
    } catch (err) {
      send({ type: 'error', id: msg.id, message: (err as Error).message, fatal: false });
    }
  };

  process.on('message', (raw: ToWorker) => {
    if (raw.type === 'shutdown') {
      void chain
        .then(() => model)
        .then((m) => m.release())
        .catch(() => undefined)
        .finally(() => process.exit(0));
      return;
    }
    chain = chain.then(() => handle(raw));
  });
  // The parent is gone (crashed or closed without shutting us down): nobody needs the results.
  process.on('disconnect', () => process.exit(0));
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isEntryPoint() && process.send) {
  const json = process.argv[2];
  if (!json) throw new Error('embedding worker started without options');
  serveEmbeddings(JSON.parse(json) as WorkerOptions);
}
