// Watcher stress at full scale (issue 6, requirement 5): a burst of 10,000 new files, a folder
// renamed, the library folder taken away and brought back, a folder deleted, with the catalog
// checked against the disk after each step and the memory of this process (the engine: watcher,
// catalog, indexer) and of its decode workers measured. One JSON document on stdout.
//
//   npx tsx scripts/watch-stress.ts [--count 10000] [--rounds 1] [--workers 2] [--keep]
//
// With --rounds N the story repeats with new files; the memory after each round tells a leak
// (growing every round) from a high-water mark (the first round's figure, then flat).
//
// The CI-sized version of the same story is src/main/engine/watch/watcher-stress.int.test.ts.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeNoiseJpeg, writeBurst } from '../test/fixtures/burst.ts';
import { makeTempDir, waitFor } from '../test/helpers/temp.ts';
import { Library } from '../src/main/engine/library.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'first-seed': { type: 'string', default: '1' },
    // Internal: this script started as the writer of the burst (see writeBurstElsewhere).
    'write-burst-into': { type: 'string' },
  },
});
const count = Number(values.count);
const workers = Number(values.workers);
const rounds = Number(values.rounds);
const STABILITY_MS = 700; // the app's default

// A full collection before each reading, so "after" is what is still held, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Resident memory of this process's children (the decode workers), from /proc. */
function childrenRss(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      total += Number(fields[21]) * 4096; // rss in pages (field 24 of stat)
    } catch {
      // ended while we looked
    }
  }
  return total;
}

/** Samples memory every 250 ms and keeps the peaks. */
function sampler() {
  let peakRss = 0;
  let peakHeap = 0;
  let peakChildren = 0;
  const take = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    if (process.platform === 'linux') peakChildren = Math.max(peakChildren, childrenRss());
  };
  take();
  const timer = setInterval(take, 250);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return {
        peakRssMb: mb(peakRss),
        peakHeapMb: mb(peakHeap),
        peakWorkersRssMb: mb(peakChildren),
      };
    },
  };
}

/**
 * The burst is written by a separate process, as a camera import or a copy would be: encoding
 * thousands of JPEGs with sharp in this process would put libvips's memory into the figures.
 */
async function writeBurstElsewhere(dir: string, firstSeed: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--count',
        String(count),
        '--write-burst-into',
        dir,
        '--first-seed',
        String(firstSeed),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const work = await makeTempDir('shoebox-watch-stress-');
  const photos = join(work.path, 'Photos');
  await mkdir(photos, { recursive: true });
  const library = await Library.open(join(work.path, 'library'), {
    watch: true,
    workers,
    watcher: { stabilityMs: STABILITY_MS },
  });
  const catalogued = () =>
    library
      .listPhotos({ sort: 'name', offset: 0, limit: count + 10 })
      .photos.map((p) => p.path.slice(photos.length + 1));
  const ids = () =>
    library
      .listPhotos({ sort: 'name', offset: 0, limit: count + 10 })
      .photos.map((p) => p.id)
      .sort((a, b) => a - b);
  // Cheap counts while waiting; the full path check (10k rows) only once the counts agree, so
  // the harness's own garbage does not swamp the memory figures.
  const holds = async (expected: (name: string) => boolean, n: number) => {
    await library.whenIdle();
    const status = library.status();
    if (status.pending !== 0 || status.photos !== n) return false;
    return catalogued().every(expected);
  };
  try {
    await library.sync([await library.registerFolder(photos)]);
    gc();
    const before = process.memoryUsage();
    const beforeChildren = process.platform === 'linux' ? childrenRss() : 0;
    const memory = sampler();
    const results = [];
    let ok = true;

    // Each round is the whole story again with new files; the memory after each round shows
    // whether anything accumulates (a leak) or the first round's figure is a high-water mark.
    for (let round = 0; round < rounds; round++) {
      const seconds: Record<string, number> = {};
      const timed = async (name: string, step: () => Promise<unknown>) => {
        const started = Date.now();
        await step();
        seconds[name] = (Date.now() - started) / 1000;
      };
      await mkdir(join(photos, 'Burst'), { recursive: true });
      await timed('writeBurst', () =>
        writeBurstElsewhere(join(photos, 'Burst'), 1 + round * count),
      );
      await timed('burstCatalogued', () =>
        waitFor(() => holds((p) => p.startsWith('Burst/'), count), 'the burst', 3_600_000),
      );
      const failures = library.listFailures().length;
      const idsBefore = ids();

      await rename(join(photos, 'Burst'), join(photos, 'Renamed'));
      await timed('folderRename', () =>
        waitFor(() => holds((p) => p.startsWith('Renamed/'), count), 'the rename', 600_000),
      );
      const idsAfter = ids();

      const away = join(work.path, 'Photos (unplugged)');
      await rename(photos, away);
      await new Promise((resolve) => setTimeout(resolve, STABILITY_MS * 2 + 300 + 3000));
      await library.whenIdle();
      const keptWhileAway = library.status().photos;
      await rename(away, photos);
      await writeFile(join(photos, 'back.jpg'), await makeNoiseJpeg(1_000_001 + round));
      await timed('rootBack', () =>
        waitFor(
          () => holds((p) => p.startsWith('Renamed/') || p === 'back.jpg', count + 1),
          'return',
          600_000,
        ),
      );

      await rm(join(photos, 'Renamed'), { recursive: true });
      await rm(join(photos, 'back.jpg'));
      await timed('folderDelete', () =>
        waitFor(() => holds(() => false, 0), 'the delete', 600_000),
      );

      gc();
      const after = process.memoryUsage();
      const renameKeptIds =
        idsBefore.length === idsAfter.length && idsBefore.every((id, i) => id === idsAfter[i]);
      ok &&= failures === 0 && renameKeptIds && keptWhileAway === count;
      results.push({
        round: round + 1,
        seconds,
        burstFailures: failures,
        renameKeptIds,
        photosKeptWhileFolderAway: keptWhileAway,
        rssAfterMb: mb(after.rss),
        heapAfterMb: mb(after.heapUsed),
        heapTotalAfterMb: mb(after.heapTotal),
        externalAfterMb: mb(after.external),
      });
    }

    const peaks = memory.stop();
    const result = {
      benchmark: 'watch-stress',
      files: count,
      rounds,
      workers,
      cores: availableParallelism(),
      node: process.version,
      results,
      memory: {
        engine: {
          rssBeforeMb: mb(before.rss),
          heapBeforeMb: mb(before.heapUsed),
          rssPeakMb: peaks.peakRssMb,
          heapPeakMb: peaks.peakHeapMb,
        },
        workers: { rssBeforeMb: mb(beforeChildren), rssPeakMb: peaks.peakWorkersRssMb },
      },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    if (!ok) process.exitCode = 1;
  } finally {
    await library.close();
    if (!values.keep) await work.remove();
    else process.stderr.write(`kept ${work.path}\n`);
  }
}

if (values['write-burst-into'])
  await writeBurst(values['write-burst-into'], count, { firstSeed: Number(values['first-seed']) });
else await main();
