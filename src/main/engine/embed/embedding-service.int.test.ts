// EmbeddingService end to end: a real child process running the real onnxruntime on the tiny
// CLIP-shaped model, with batching, idle unload, and recovery from a process that dies mid-batch.
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_ON_LOAD_DIR, POISON_PIXEL } from '../../../../test/fixtures/tiny-clip/poison.ts';
import {
  generateTinyClip,
  solidImage,
  type TinyClip,
} from '../../../../test/fixtures/tiny-clip/generate.ts';
import {
  EmbeddingError,
  EmbeddingService,
  type EmbeddingServiceOptions,
} from './embedding-service.ts';

const crashingWorker = fileURLToPath(
  new URL('../../../../test/fixtures/tiny-clip/crashing-worker.ts', import.meta.url),
);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

let tiny: TinyClip;
const services: EmbeddingService[] = [];

function service(options: Partial<EmbeddingServiceOptions> = {}): EmbeddingService {
  const s = new EmbeddingService({
    id: 'tiny-clip',
    dim: 512,
    modelDir: tiny.dir,
    threads: 1,
    ...options,
  });
  services.push(s);
  return s;
}

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  tiny = await generateTinyClip();
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

describe('EmbeddingService', () => {
  it('starts lazily, batches concurrent callers, returns unit vectors and closes', async () => {
    const s = service({ batchSize: 8, batchWindowMs: 20 });
    expect(s.stats().running).toBe(false);
    const colours = Array.from({ length: 20 }, (_, i) => solidImage(i * 12, 255 - i * 12, 100));
    // 20 separate callers, as the indexer's per-photo jobs would call.
    const results = await Promise.all(colours.map((c) => s.embedImages([c])));
    const stats = s.stats();
    expect(stats.running).toBe(true);
    expect(stats.pid).toBeGreaterThan(0);
    expect(stats.pid).not.toBe(process.pid);
    expect(stats.items).toBe(20);
    expect(stats.batches).toBe(3); // 8 + 8 + 4
    for (const [v] of results) expect(Math.sqrt(dot(v!, v!))).toBeCloseTo(1, 5);
    // Each caller got its own photo's vector back, not a neighbour's.
    const direct = await s.embedImages([colours[13]!]);
    expect(Array.from(results[13]![0]!)).toEqual(Array.from(direct[0]!));

    // close() stops the process and fails later work clearly.
    const pid = stats.pid!;
    await s.close();
    expect(s.stats().running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(s.embedImages([colours[0]!])).rejects.toThrow(/closed/);
  });

  it('runs a text query ahead of images already queued', async () => {
    const s = service({ batchSize: 4, batchWindowMs: 20, prefetch: 0 });
    const order: string[] = [];
    const images = Array.from({ length: 12 }, (_, i) =>
      s.embedImages([solidImage(i, 0, 0)]).then(() => order.push(`image ${i}`)),
    );
    const text = s.embedText(['red']).then(([v]) => {
      order.push('text');
      return v!;
    });
    await Promise.all([...images, text]);
    // The first batch was already running; the text went next, before the other 8 images.
    expect(order.indexOf('text')).toBe(4);
    expect((await text).length).toBe(512);
  });

  it('fails a malformed input on its own call without touching the process', async () => {
    const s = service();
    await expect(s.embedImages([new Uint8Array(10)])).rejects.toThrow(/224x224 RGB/);
    expect(s.stats().starts).toBe(0);
  });

  it('unloads the model when idle and loads it again on demand', async () => {
    const s = service({ idleMs: 100 });
    await s.embedImages([solidImage(1, 2, 3)]);
    const first = s.stats().pid;
    await waitFor(() => !s.stats().running);
    await s.embedImages([solidImage(1, 2, 3)]);
    expect(s.stats().starts).toBe(2);
    expect(s.stats().pid).not.toBe(first);
    expect(s.stats().crashes).toBe(0);
  });

  it('restarts after a crash: the photo that crashed it fails, its batch-mates succeed', async () => {
    const s = service({ workerEntry: crashingWorker, batchSize: 8, batchWindowMs: 20 });
    const good = [solidImage(200, 0, 0), solidImage(0, 200, 0), solidImage(0, 0, 200)];
    const poison = solidImage(POISON_PIXEL, POISON_PIXEL, POISON_PIXEL);
    const calls = [...good.slice(0, 2), poison, good[2]!].map((img) => s.embedImages([img]));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const failure = (settled[2] as PromiseRejectedResult).reason as EmbeddingError;
    expect(failure).toBeInstanceOf(EmbeddingError);
    expect(failure.crashed).toBe(true);
    expect(failure.message).toMatch(
      /embedding process crashed while embedding this image \(it was killed by SIGKILL\)/,
    );
    // The batch crashed once, then the poison alone crashed once more.
    expect(s.stats().crashes).toBe(2);
    // And the queue goes on.
    const after = await s.embedImages([good[0]!]);
    expect(after[0]!.length).toBe(512);
  });

  it('retries a process that dies while loading, then gives up with the reason', async () => {
    const s = service({
      workerEntry: crashingWorker,
      modelDir: `/tmp/${CRASH_ON_LOAD_DIR}`,
      maxLoadCrashes: 2,
    });
    await expect(s.embedImages([solidImage(0, 0, 0)])).rejects.toThrow(
      /crashed 2 times in a row while loading model tiny-clip \(last: it was killed by SIGKILL\)/,
    );
    expect(s.stats().starts).toBe(2);
  });

  it('fails every request clearly when the model cannot load', async () => {
    const s = service({ modelDir: '/nonexistent/model' });
    await expect(s.embedImages([solidImage(0, 0, 0)])).rejects.toThrow(
      /could not load model tiny-clip: .*\/nonexistent\/model/,
    );
  });

  it('rejects a model whose vectors have another dimension', async () => {
    const s = service({ dim: 768 });
    await expect(s.embedImages([solidImage(0, 0, 0)])).rejects.toThrow(
      /512-dimensional vectors, not 768/,
    );
  });
});
