// The analysis engine's heavy steps run off the engine's thread: while the neighbour graph is
// built and the library clustered in the worker thread, the engine's own event loop keeps
// turning (the same work run inline visibly stops it, which shows the probe can tell); the
// worker gives the same answers as the inline path; concurrent requests share one job; photos
// that change during a build are not lost; and closing ends the worker without leaving the
// process hanging.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpack } from './catalog/packing.ts';
import type { AnalysisService, AnalysisWork } from './analysis-service.ts';
import {
  SYNTHETIC_SPACE,
  SYNTHETIC_SPACE_KEY,
  syntheticLibrary,
  syntheticVectors,
  type SyntheticLibrary,
} from '../../../test/fixtures/synthetic-library.ts';
import { makeTempDir } from '../../../test/helpers/temp.ts';

const DIM = SYNTHETIC_SPACE.dim;
/** One usearch thread and a wide insertion beam: a build of 12,000 photos that takes seconds. */
const SLOW_GRAPH = { threads: 1, ann: { expansionAdd: 512, connectivity: 16 } };

let temps: { path: string; remove(): Promise<void> }[] = [];
let open: { library: SyntheticLibrary; service: AnalysisService }[] = [];

beforeEach(() => {
  temps = [];
  open = [];
});
afterEach(async () => {
  for (const { library, service } of open) {
    await service.close();
    library.close();
  }
  for (const t of temps) await t.remove();
});

async function libraryWith(
  vectors: Float32Array,
  options: Parameters<SyntheticLibrary['service']>[0] = {},
): Promise<{ library: SyntheticLibrary; service: AnalysisService; work: AnalysisWork[] }> {
  const dir = await makeTempDir();
  temps.push(dir);
  const library = syntheticLibrary(dir.path, vectors);
  const work: AnalysisWork[] = [];
  const service = library.service({ onWork: (w) => work.push(w), ...options });
  open.push({ library, service });
  return { library, service, work };
}

/**
 * Runs `job` while probing the engine's event loop: perf_hooks' delay histogram (10 ms
 * resolution), and a 10 ms timer that makes a trivial engine call (a catalog read) and records
 * the longest wait between its turns and the most CPU this thread used within one such wait.
 * A long wait with little CPU is the system giving the core to other processes (a loaded
 * machine); a long wait full of CPU is this thread held up by work, which is what is tested.
 */
async function probed<T>(
  library: SyntheticLibrary,
  job: () => Promise<T>,
): Promise<{
  value: T;
  ms: number;
  maxDelayMs: number;
  maxGapMs: number;
  maxBusyMs: number | null;
  turns: number;
}> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let lastCpu = threadCpuMs();
  let maxGapMs = 0;
  let maxBusyMs = 0;
  let turns = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuMs();
    maxGapMs = Math.max(maxGapMs, now - last);
    if (cpu !== null && lastCpu !== null) maxBusyMs = Math.max(maxBusyMs, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
    turns++;
    library.catalog.photosByIds([1]);
  }, 10);
  histogram.enable();
  // The histogram's first sample is its baseline: take it before the job can stall the loop.
  await sleep(30);
  const started = performance.now();
  try {
    const value = await job();
    const ms = performance.now() - started;
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    const cpu = threadCpuMs();
    if (cpu !== null && lastCpu !== null) maxBusyMs = Math.max(maxBusyMs, cpu - lastCpu);
    // One more turn of the loop, so that a stall that lasted until the job's end is recorded.
    await sleep(25);
    return {
      value,
      ms,
      maxDelayMs: histogram.max / 1e6,
      maxGapMs,
      maxBusyMs: lastCpu === null ? null : maxBusyMs,
      turns,
    };
  } finally {
    histogram.disable();
    clearInterval(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * CPU time (user + system) of the calling thread, in ms at the kernel's 10 ms tick, from
 * Linux's /proc/thread-self (a synchronous read runs on the calling thread); null elsewhere.
 */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name, which is in parentheses: utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
/** USER_HZ, 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The stored analysis result `key`, unpacked, for comparing two libraries byte for byte. */
function stored(library: SyntheticLibrary, key: string) {
  const data = library.catalog.analysisResult(key, SYNTHETIC_SPACE_KEY);
  if (!data) return null;
  const { meta, arrays } = unpack(data);
  return {
    meta,
    arrays: Object.fromEntries(Object.entries(arrays).map(([name, a]) => [name, Array.from(a)])),
  };
}

/** What a graph job did, without the time it took to read the embeddings. */
const howOf = (work: AnalysisWork) => work.how?.replace(/, embeddings read in .*$/, '');

const groupsOf = (view: Awaited<ReturnType<AnalysisService['duplicates']>>) =>
  view.groups.map((g) => ({
    id: g.id,
    tier: g.tier,
    minSimilarity: g.minSimilarity,
    members: g.members.map((m) => [m.photo.id, m.keep]),
  }));

const clustersOf = (view: Awaited<ReturnType<AnalysisService['clusters']>>) => ({
  k: view.k,
  method: view.method,
  scores: view.scores,
  clusters: view.clusters.map((c) => [c.id, c.medoid.id, c.size]),
});

describe('analysis off the engine thread', () => {
  it('builds the graph and clusters in the worker while the engine stays responsive, with the inline results', async () => {
    // HNSW above the exact limit, one usearch thread: its insertions are then deterministic, so
    // the two sides can be compared exactly. CLARA clustering (n > 2500), auto k.
    const vectors = syntheticVectors(10000, DIM, 11);
    const graphOptions = { threads: 1 };
    const worker = await libraryWith(vectors, { compute: 'worker', graphOptions });
    const inline = await libraryWith(vectors, { compute: 'inline', graphOptions });

    // Let the process settle after writing 20,000 catalog rows (the first turns of the loop after
    // that are slow whatever runs), and measure the probe on an idle loop for comparison.
    const idle = await probed(worker.library, () => sleep(500));

    const runs = [];
    for (const side of [worker, inline]) {
      // A threshold no pair reaches: the probe times the graph job, not the assembly of a view
      // of hundreds of groups (which reads each member's row on the engine's thread).
      const duplicates = await probed(side.library, () =>
        side.service.duplicates({ threshold: 0.9999 }),
      );
      const clusters = await probed(side.library, () => side.service.clusters());
      runs.push({ duplicates, clusters });
    }
    const [w, i] = runs as [(typeof runs)[0], (typeof runs)[0]];
    const report = (r: Awaited<ReturnType<typeof probed>>) =>
      `${Math.round(r.ms)} ms of work, longest event-loop delay ${Math.round(r.maxDelayMs)} ms, ` +
      `longest gap between engine calls ${Math.round(r.maxGapMs)} ms ` +
      `(most CPU in one gap ${r.maxBusyMs === null ? 'unknown' : `${Math.round(r.maxBusyMs)} ms`}), ` +
      `${r.turns} calls`;
    const detail = [
      `idle: ${report(idle)}`,
      `worker graph: ${report(w.duplicates)}`,
      `worker clusters: ${report(w.clusters)}`,
      `inline graph: ${report(i.duplicates)}`,
      `inline clusters: ${report(i.clusters)}`,
    ].join('\n');
    console.log(detail);

    expect(worker.work.map((x) => `${x.step}:${x.where}`)).toEqual([
      'graph:worker',
      'clusters:worker',
    ]);
    expect(inline.work.map((x) => `${x.step}:${x.where}`)).toEqual([
      'graph:inline',
      'clusters:inline',
    ]);
    for (const r of [w.duplicates, w.clusters, i.duplicates, i.clusters]) {
      // The work is long enough to matter...
      expect(r.ms, detail).toBeGreaterThan(300);
    }
    for (const r of [w.duplicates, w.clusters]) {
      // ...and in the worker the engine's thread is never held up by it for long. Where the
      // thread's CPU time can be read, the bound is on the CPU it spent within one wait between
      // turns: on a 2-core machine shared with other work, the worker and other processes also
      // take the core away from the engine's thread (waits of 475 ms at a load average of 20),
      // which no code of ours can prevent. Elsewhere, the wait itself (typically 20-60 ms).
      const held = r.maxBusyMs ?? Math.max(r.maxDelayMs, r.maxGapMs);
      expect(held, detail).toBeLessThan(Math.min(250, r.ms / 4));
      // A trivial engine call ran on most 10 ms ticks.
      expect(r.turns, detail).toBeGreaterThan(r.ms / 40);
    }
    for (const r of [i.duplicates, i.clusters]) {
      // Inline, the same probe sees the loop stopped for most of the work.
      // (The gap between engine calls, not the event-loop delay histogram: on a loaded machine
      // the histogram once read 10 ms through a 10 s inline stall that the gap saw whole.)
      expect(r.maxGapMs, detail).toBeGreaterThan(r.ms / 2);
      // ...and the CPU reading sees the thread busy through it (seconds of CPU inline).
      if (r.maxBusyMs !== null) expect(r.maxBusyMs, detail).toBeGreaterThan(250);
    }

    // The same answers: duplicate groups, clusters, and what is stored for the next start.
    const [wd, id] = [await worker.service.duplicates(), await inline.service.duplicates()];
    expect(worker.work).toHaveLength(2); // regrouped from the cached edges, nothing recomputed
    expect(groupsOf(wd)).toEqual(groupsOf(id));
    expect(wd.groups.length).toBeGreaterThan(50);
    expect(wd.histogram).toEqual(id.histogram);
    expect(clustersOf(w.clusters.value)).toEqual(clustersOf(i.clusters.value));
    expect(stored(worker.library, 'neighbours')).toEqual(stored(inline.library, 'neighbours'));
    expect(stored(worker.library, 'clusters')).toEqual(stored(inline.library, 'clusters'));
    const medoid = w.clusters.value.clusters[0]!.medoid.id;
    expect(await worker.service.similarToPhoto(medoid, { k: 5 })).toEqual(
      await inline.service.similarToPhoto(medoid, { k: 5 }),
    );
  }, 180_000);

  it('gives the exact graph (small libraries) and fixed-k clusters identical in the worker', async () => {
    const vectors = syntheticVectors(1500, DIM, 12);
    const worker = await libraryWith(vectors, { compute: 'worker' });
    const inline = await libraryWith(vectors, { compute: 'inline' });
    const w = await worker.service.duplicates({ threshold: 0.9 });
    const i = await inline.service.duplicates({ threshold: 0.9 });
    expect(groupsOf(w)).toEqual(groupsOf(i));
    expect(stored(worker.library, 'neighbours')).toEqual(stored(inline.library, 'neighbours'));
    expect(clustersOf(await worker.service.clusters({ k: 7 }))).toEqual(
      clustersOf(await inline.service.clusters({ k: 7 })),
    );
    // An update of a few photos continues the graph the worker holds, with the same result as
    // the inline keeper's continuation.
    const more = syntheticVectors(30, DIM, 13);
    for (const side of [worker, inline]) {
      side.library.add(more, 'late');
      side.library.catalog.deletePhotos([3, 4, 5]);
      side.service.invalidate();
    }
    expect(groupsOf(await worker.service.duplicates())).toEqual(
      groupsOf(await inline.service.duplicates()),
    );
    expect(stored(worker.library, 'neighbours')).toEqual(stored(inline.library, 'neighbours'));
    expect(worker.work.filter((x) => x.step === 'graph').map(howOf)).toEqual([
      'built from scratch (+1500 -0)',
      'updated from memory (+30 -3)',
    ]);
  }, 120_000);

  it('keeps tiny jobs on the engine thread in auto mode and sends large ones to the worker', async () => {
    const small = await libraryWith(syntheticVectors(100, DIM, 14));
    await small.service.duplicates();
    await small.service.clusters();
    expect(small.work.map((x) => `${x.step}:${x.where}`)).toEqual([
      'graph:inline',
      'clusters:inline',
    ]);
    expect(small.service.workerAlive).toBe(false);

    const large = await libraryWith(syntheticVectors(3000, DIM, 15));
    await large.service.duplicates();
    expect(large.work.map((x) => `${x.step}:${x.where}`)).toEqual(['graph:worker']);
    // One photo more: past the inline limit even a small update is the worker's, and the
    // worker continues the graph it holds rather than the lists it is sent.
    large.library.add(syntheticVectors(1, DIM, 16), 'one');
    large.service.invalidate();
    await large.service.duplicates();
    expect(large.work[1]).toMatchObject({ step: 'graph', where: 'worker' });
    expect(howOf(large.work[1]!)).toBe('updated from memory (+1 -0)');
  }, 120_000);

  it('reads the embeddings on the engine thread after all when the worker cannot open the catalog', async () => {
    const vectors = syntheticVectors(400, DIM, 17);
    const reference = await libraryWith(vectors, { compute: 'inline' });
    const { library } = await libraryWith(vectors); // its own service is never used
    // The catalog as the service sees it, with a file the worker cannot open.
    const real = library.catalog;
    const elsewhere = { memory: false, name: '/nonexistent/shoebox/catalog.sqlite' };
    const catalog = new Proxy(real, {
      get: (target, key) => {
        if (key === 'db') return elsewhere;
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const work: AnalysisWork[] = [];
    const service = library.service({ catalog, compute: 'worker', onWork: (w) => work.push(w) });
    try {
      expect(groupsOf(await service.duplicates())).toEqual(
        groupsOf(await reference.service.duplicates()),
      );
      expect(work.map((w) => `${w.step}:${w.where}:${w.photos}`)).toEqual(['graph:worker:400']);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('shares a running job with identical requests and follows it with one update after photos change', async () => {
    const { library, service, work } = await libraryWith(syntheticVectors(4000, DIM, 21), {
      compute: 'worker',
    });
    // Four requests while nothing is computed: one graph job, one clustering.
    const [a, b] = await Promise.all([
      service.duplicates(),
      service.duplicates(),
      service.clusters({ k: 6 }),
      service.clusters({ k: 6 }),
    ]);
    expect(groupsOf(a)).toEqual(groupsOf(b));
    expect(work.map((x) => x.step)).toEqual(['graph', 'clusters']);

    // Photos change while a build runs. The running job answers with the photos it read (the
    // worker reads them as it starts, so it may or may not see the change); the requests made
    // after the change share one follow-up job that brings its result up to date.
    work.length = 0;
    library.add(syntheticVectors(10, DIM, 22), 'x'); // makes the next graph job an update
    service.invalidate();
    const first = service.duplicates();
    const added = library.add(syntheticVectors(50, DIM, 23), 'during');
    library.catalog.deletePhotos([10, 11, 12, 13]);
    service.invalidate();
    const second = service.duplicates();
    const third = service.similarToPhoto(added[0]!, { k: 3 });
    await first;
    await second;
    expect((await third).length).toBe(3); // the new photo is in the follow-up's snapshot
    // The worker reads the catalog as it starts, at any point among the changes above: between
    // them, the two jobs bring in every added photo and drop every deleted one exactly once.
    const hows = work.map(howOf);
    expect(hows).toHaveLength(2);
    const counts = hows.map((how) => {
      const match = /^(updated|unchanged) from memory \(\+(\d+) -(\d+)\)$/.exec(how ?? '');
      expect(match, how).not.toBeNull();
      return { added: Number(match![2]), removed: Number(match![3]) };
    });
    expect(counts[0]!.added + counts[1]!.added).toBe(60);
    expect(counts[0]!.removed + counts[1]!.removed).toBe(4);
    expect(counts[0]!.added).toBeGreaterThanOrEqual(10);
    // What is stored is the graph of the photos as they are now, not as the first job saw them.
    const ids = Array.from(library.catalog.indexedPhotoHashes().ids).sort((x, y) => x - y);
    const saved = stored(library, 'neighbours')!;
    expect([...(saved.arrays.ids as number[])].sort((x, y) => x - y)).toEqual(ids);
    // And nothing more is computed until photos change again.
    await service.duplicates();
    expect(work).toHaveLength(2);
  }, 120_000);

  it('ends the worker on close: jobs in flight are cancelled, nothing half-done is saved', async () => {
    const { library, service } = await libraryWith(syntheticVectors(12000, DIM, 31), {
      compute: 'worker',
      graphOptions: SLOW_GRAPH,
    });
    const job = service.duplicates();
    const outcome = job.then(
      () => 'finished',
      (error: unknown) => (error instanceof Error ? error.name : String(error)),
    );
    await sleep(1500);
    expect(service.workerAlive).toBe(true);
    const started = performance.now();
    await service.close();
    const closeMs = performance.now() - started;
    // The job ending in AbortError, not 'finished', shows close did not wait for it. The bound only
    // catches a close that hangs: it took about 1.2 s quiet and 3.1 s at load 10, so 3 s (as
    // it was) failed on a busy machine for no fault of the code.
    expect(await outcome).toBe('AbortError');
    expect(closeMs).toBeLessThan(10_000);
    expect(service.workerAlive).toBe(false);
    expect(library.catalog.analysisResult('neighbours', SYNTHETIC_SPACE_KEY)).toBeNull();
    await expect(service.duplicates()).rejects.toThrow(/closed/);
  }, 120_000);

  it.each(['idle', 'close'])(
    'lets the process end by itself (%s worker)',
    async (mode) => {
      const dir = await makeTempDir();
      temps.push(dir);
      const fixture = new URL('../../../test/fixtures/analysis-exit.ts', import.meta.url).pathname;
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const result = await new Promise<{
        code: number | null;
        signal: string | null;
        lines: string[];
        tailMs: number;
      }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', tsx, fixture, mode, dir.path], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        let printedAt = 0;
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          printedAt = performance.now();
        });
        const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(killer);
          resolve({
            code,
            signal,
            lines: out.trim().split('\n'),
            tailMs: performance.now() - printedAt,
          });
        });
      });
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
      const report = JSON.parse(result.lines.at(-1)!) as Record<string, unknown>;
      if (mode === 'close') {
        expect(report).toMatchObject({ job: 'AbortError', saved: false });
        expect(report.closeMs as number).toBeLessThan(3000);
      } else {
        expect(report.groups as number).toBeGreaterThan(0);
      }
      // Nothing keeps the process alive after its last line: no idle worker, no stuck build.
      expect(result.tailMs).toBeLessThan(3000);
    },
    120_000,
  );
});
