// Indexing benchmark (issues 2 and 11): Shoebox's whole pipeline in this process (with and
// without looking for faces), and the whole `npx shoebox index` command as a person runs it
// (start-up included), against bare sharp thumbnailing of the same camera-sized JPEGs, side by
// side in alternating runs, plus the memory of a growing library. The command is also timed once
// as the first on a machine, before the face graph cache (graph-cache.ts) holds anything.
// Run: npx tsx bench/indexing.ts [--photos 200] [--runs 3] [--memory-photos 10000] [--no-memory]
//   [--no-pipeline] [--no-command] [--baseline <another checkout>]
//   --baseline also times `node <dir>/bin/shoebox.js index` of another checkout (e.g. a
//   `git archive` of an older commit with node_modules linked in): before and after in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildCli } from '../scripts/build-cli.mjs';
import { Library, type OpenLibraryOptions } from '../src/main/engine/library.ts';
import { makeDetailedPixels } from '../test/fixtures/images.ts';
import { machine, median } from './machine.ts';

const DATA_ROOT = join(tmpdir(), 'shoebox-bench');
const BASE_FRAMES = 8;

/**
 * Camera-like JPEGs, cached between runs: a few detailed base frames, each photo a shifted and
 * tinted copy of one of them, so every file has different bytes and real detail.
 */
export async function cameraJpegs(
  count: number,
  width: number,
  height: number,
  quality = 90,
): Promise<string> {
  const dir = join(DATA_ROOT, `camera-${width}x${height}-q${quality}-v1`);
  await mkdir(dir, { recursive: true });
  const have = new Set(await readdir(dir));
  const missing = Array.from(
    { length: count },
    (_, i) => `IMG_${String(i + 1).padStart(5, '0')}.jpg`,
  ).filter((name) => !have.has(name));
  if (missing.length === 0) return dir;
  process.stderr.write(
    `making ${missing.length} ${width}x${height} JPEGs in ${dir} (cached for later runs)\n`,
  );
  const bases = Array.from({ length: Math.min(BASE_FRAMES, count) }, (_, i) =>
    makeDetailedPixels({ width, height, seed: 1000 + i }),
  );
  for (const name of missing) {
    const index = Number(name.slice(4, 9)) - 1;
    const base = bases[index % bases.length]!;
    const shift = ((index * 7919) % (width * 3)) * 3;
    const pixels = Buffer.allocUnsafe(base.length);
    base.copy(pixels, 0, shift);
    base.copy(pixels, base.length - shift, 0, shift);
    const tint = (index % 13) - 6;
    for (let p = 0; p < pixels.length; p += 3)
      pixels[p] = Math.max(0, Math.min(255, pixels[p]! + tint));
    await writeFile(
      join(dir, name),
      await sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality })
        .toBuffer(),
    );
  }
  return dir;
}

/**
 * A folder of exactly `count` camera JPEGs: hard links to the first `count` of the cache, which
 * may hold more (an earlier run asked for more), so a library of this folder indexes `count`.
 */
export async function cameraFolder(
  count: number,
  width: number,
  height: number,
  quality = 90,
): Promise<string> {
  const cache = await cameraJpegs(count, width, height, quality);
  const folder = `${cache}-first-${count}`;
  const wanted = (await readdir(cache))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, count);
  const have = existsSync(folder) ? (await readdir(folder)).sort() : [];
  if (have.length === wanted.length && have.every((name, i) => name === wanted[i])) return folder;
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  for (const name of wanted) await link(join(cache, name), join(folder, name));
  return folder;
}

async function listJpegs(dir: string, count: number): Promise<string[]> {
  return (await readdir(dir))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, count)
    .map((n) => join(dir, n));
}

/** The floor: read each file and make a 384 px WebP thumbnail with sharp, one task per core. */
async function bareSharp(files: string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      await sharp(await readFile(file))
        .rotate()
        .resize(384, 384, { fit: 'inside' })
        .webp({ quality: 80 })
        .toBuffer();
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, lane));
  return files.length / ((performance.now() - started) / 1000);
}

/**
 * The whole pipeline on a fresh library: open, scan, hash, decode once, every feature, catalog
 * writes. Returns the end-to-end rate (including starting the worker processes) and the steady
 * rate between the first and the last photo finished.
 */
export async function shoebox<Extra extends object = object>(
  folder: string,
  count: number,
  options: OpenLibraryOptions,
  /** Read off the library after the sync, before it closes (outside the timing). */
  extra?: (library: Library) => Extra,
): Promise<{ endToEnd: number; steady: number } & Extra> {
  const libraryDir = join(DATA_ROOT, `library-${process.pid}`);
  await rm(libraryDir, { recursive: true, force: true });
  const started = performance.now();
  const library = await Library.open(libraryDir, options);
  let firstDone = 0;
  library.on('progress', (p) => {
    if (p.done > 0 && firstDone === 0) firstDone = performance.now();
  });
  try {
    const report = await library.sync([await library.registerFolder(folder)]);
    if (report.indexed !== count) throw new Error(`indexed ${report.indexed} of ${count}`);
    const finished = performance.now();
    return {
      endToEnd: count / ((finished - started) / 1000),
      steady: (count - 1) / ((finished - firstDone) / 1000),
      ...(extra?.(library) ?? ({} as Extra)),
    };
  } finally {
    await library.close();
    await rm(libraryDir, { recursive: true, force: true });
  }
}

/** How to start a `shoebox` command: the program, its first arguments and where. */
interface Launcher {
  command: string;
  args: string[];
  cwd: string;
}

const ROOT = new URL('../', import.meta.url).pathname;
const NPX_SHOEBOX: Launcher = { command: 'npx', args: ['shoebox'], cwd: ROOT };

/**
 * The whole `shoebox index <folder>` command on a fresh library, spawned as a person runs it:
 * Node and the command line start, the library opens, the folder is scanned and indexed, the
 * library closes and the process exits. Returns photos per second over all of that.
 */
function shoeboxCommand(folder: string, count: number, launcher: Launcher): number {
  const libraryDir = join(DATA_ROOT, `library-command-${process.pid}`);
  execFileSync('rm', ['-rf', libraryDir]);
  const started = performance.now();
  const result = spawnSync(
    launcher.command,
    [...launcher.args, 'index', folder, '--library', libraryDir, '--json'],
    { cwd: launcher.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const seconds = (performance.now() - started) / 1000;
  execFileSync('rm', ['-rf', libraryDir]);
  if (result.status !== 0)
    throw new Error(`shoebox index failed (exit ${result.status}): ${result.stderr.trim()}`);
  const report = JSON.parse(result.stdout) as { indexed: number };
  if (report.indexed !== count) throw new Error(`indexed ${report.indexed} of ${count}`);
  return count / seconds;
}

/** Resident memory of this process and its worker processes, in MB (Linux /proc via ps). */
function treeRssMb(): { main: number; workers: number } {
  const main = process.memoryUsage().rss / 1024 / 1024;
  let workers = 0;
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(process.pid)], {
      encoding: 'utf8',
    });
    workers = out
      .split('\n')
      .filter(Boolean)
      .reduce((sum, kb) => sum + Number(kb) / 1024, 0);
  } catch {
    // no children right now
  }
  return { main: Math.round(main), workers: Math.round(workers) };
}

async function memoryAsTheLibraryGrows(total: number, workers: number) {
  const folder = await cameraFolder(total, 1024, 768, 85);
  const libraryDir = join(DATA_ROOT, `library-memory-${process.pid}`);
  await rm(libraryDir, { recursive: true, force: true });
  const library = await Library.open(libraryDir, { workers });
  const marks = [1000, Math.floor(total / 2), total].filter((m) => m <= total);
  const samples: { photos: number; mainRssMb: number; workersRssMb: number; heapUsedMb: number }[] =
    [];
  let done = 0;
  library.on('progress', (p) => (done = p.done));
  const sample = (photos: number): void => {
    const rss = treeRssMb();
    samples.push({
      photos,
      mainRssMb: rss.main,
      workersRssMb: rss.workers,
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    });
  };
  const sampler = setInterval(() => {
    if (marks.length > 0 && done >= marks[0]!) {
      marks.shift();
      sample(done);
    }
  }, 200);
  const started = performance.now();
  await library.sync([await library.registerFolder(folder)]);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (marks.length > 0) sample(total);
  await library.close();
  await rm(libraryDir, { recursive: true, force: true });
  return {
    data: `${total} JPEGs 1024x768 q85`,
    photosPerSecond: Math.round((total / seconds) * 10) / 10,
    samples,
  };
}

export interface IndexingBenchOptions {
  photos?: number;
  runs?: number;
  memoryPhotos?: number;
  memory?: boolean;
  workers?: number;
  /** Time the pipeline inside this process (Library.open + sync). Default true. */
  pipeline?: boolean;
  /** Time the whole `npx shoebox index` command. Default true. */
  command?: boolean;
  /** Another checkout whose `bin/shoebox.js index` is timed too. */
  baseline?: string;
}

export async function runIndexingBench(options: IndexingBenchOptions = {}) {
  const count = options.photos ?? 200;
  const runs = options.runs ?? 3;
  const workers = options.workers ?? availableParallelism();
  const folder = await cameraFolder(count, 4000, 3000);
  const files = await listJpegs(folder, count);
  const totalBytes = (
    await Promise.all(files.map((f) => readFile(f).then((b) => b.length)))
  ).reduce((a, b) => a + b, 0);
  await bareSharp(files.slice(0, 4)); // warm the file cache and sharp
  const timePipeline = options.pipeline !== false;
  const timeCommand = options.command !== false;
  const baseline: Launcher | null = options.baseline
    ? {
        command: process.execPath,
        args: [join(options.baseline, 'bin', 'shoebox.js')],
        cwd: options.baseline,
      }
    : null;
  if (timeCommand) await buildCli(); // so no timed run pays for rebuilding a stale build
  // The face graphs ONNX Runtime optimised are kept per machine (graph-cache.ts). The bench
  // starts from an empty cache of its own, times one command as the first on a new machine,
  // and then the runs as every later command meets the cache.
  const graphCache = join(DATA_ROOT, `graph-cache-${process.pid}`);
  await rm(graphCache, { recursive: true, force: true });
  const cacheBefore = process.env.SHOEBOX_CACHE_DIR;
  process.env.SHOEBOX_CACHE_DIR = graphCache;
  const firstCommand = timeCommand ? shoeboxCommand(folder, count, NPX_SHOEBOX) : null;
  if (firstCommand !== null)
    process.stderr.write(`first command, empty cache: ${firstCommand.toFixed(1)}/s\n`);
  const bare: number[] = [];
  const full: number[] = [];
  const steady: number[] = [];
  // The same pipeline without looking for faces (issue 12's feature): what the faces cost.
  const fullNoFaces: number[] = [];
  const steadyNoFaces: number[] = [];
  const command: number[] = [];
  const baselineCommand: number[] = [];
  // With a baseline, this checkout is also timed through `node bin/shoebox.js` like the
  // baseline, so before and after differ only in the code, not in npx's own cost.
  const commandViaNode: number[] = [];
  const viaNode: Launcher = {
    command: process.execPath,
    args: [join(ROOT, 'bin', 'shoebox.js')],
    cwd: ROOT,
  };
  // Alternating runs, so a noisy neighbour slows every side alike.
  for (let run = 0; run < runs; run++) {
    bare.push(await bareSharp(files));
    const line = [`run ${run + 1}/${runs}: bare sharp ${bare.at(-1)!.toFixed(1)}/s`];
    if (timePipeline) {
      const shoeboxRun = await shoebox(folder, count, { workers });
      full.push(shoeboxRun.endToEnd);
      steady.push(shoeboxRun.steady);
      line.push(
        `shoebox in-process ${full.at(-1)!.toFixed(1)}/s (steady ${steady.at(-1)!.toFixed(1)}/s)`,
      );
      const withoutFaces = await shoebox(folder, count, { workers, faces: false });
      fullNoFaces.push(withoutFaces.endToEnd);
      steadyNoFaces.push(withoutFaces.steady);
      line.push(
        `without faces ${fullNoFaces.at(-1)!.toFixed(1)}/s (steady ${steadyNoFaces.at(-1)!.toFixed(1)}/s)`,
      );
    }
    if (timeCommand) {
      command.push(shoeboxCommand(folder, count, NPX_SHOEBOX));
      line.push(`npx shoebox index ${command.at(-1)!.toFixed(1)}/s`);
    }
    if (baseline) {
      commandViaNode.push(shoeboxCommand(folder, count, viaNode));
      line.push(`node bin/shoebox.js index ${commandViaNode.at(-1)!.toFixed(1)}/s`);
      baselineCommand.push(shoeboxCommand(folder, count, baseline));
      line.push(`baseline index ${baselineCommand.at(-1)!.toFixed(1)}/s`);
    }
    process.stderr.write(`${line.join(', ')} (load ${loadavg()[0]!.toFixed(1)})\n`);
  }
  const rates = (values: number[]) =>
    values.length === 0
      ? null
      : { median: round(median(values)), all: values.map((v) => round(v)) };
  const ratioTo = (values: number[]) =>
    values.length === 0 ? null : round(median(values) / median(bare), 3);
  const ratio = full.length > 0 ? median(full) / median(bare) : NaN;
  const result = {
    benchmark: 'indexing',
    machine: machine(),
    data: {
      photos: count,
      size: '4000x3000',
      quality: 90,
      averageMegabytes: Math.round((totalBytes / count / 1024 / 1024) * 100) / 100,
    },
    workers,
    runs,
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    bareSharpPhotosPerSecond: rates(bare),
    shoeboxPhotosPerSecond: rates(full),
    shoeboxSteadyPhotosPerSecond: rates(steady),
    ratio: ratioTo(full),
    steadyRatio: ratioTo(steady),
    target: { ratio: 0.8, met: ratio >= 0.8 },
    withoutFaces: {
      photosPerSecond: rates(fullNoFaces),
      steadyPhotosPerSecond: rates(steadyNoFaces),
      ratio: ratioTo(fullNoFaces),
      steadyRatio: ratioTo(steadyNoFaces),
    },
    // The whole command, start-up included, as `npx shoebox index <folder>` (issue 11).
    commandPhotosPerSecond: rates(command),
    commandRatio: ratioTo(command),
    commandTarget: { ratio: 0.8, met: command.length > 0 && median(command) / median(bare) >= 0.8 },
    // The one command before them, with the face graph cache still empty.
    firstCommandOnMachine:
      firstCommand === null
        ? null
        : { photosPerSecond: round(firstCommand), ratio: round(firstCommand / median(bare), 3) },
    baseline: options.baseline
      ? {
          checkout: options.baseline,
          commandPhotosPerSecond: rates(baselineCommand),
          commandRatio: ratioTo(baselineCommand),
          thisCheckoutViaNodePhotosPerSecond: rates(commandViaNode),
          thisCheckoutViaNodeRatio: ratioTo(commandViaNode),
        }
      : null,
    memory:
      options.memory === false
        ? null
        : await memoryAsTheLibraryGrows(options.memoryPhotos ?? 10_000, workers),
  };
  await rm(graphCache, { recursive: true, force: true });
  // Other benches run in this process after this one (bench/run.ts).
  if (cacheBefore === undefined) delete process.env.SHOEBOX_CACHE_DIR;
  else process.env.SHOEBOX_CACHE_DIR = cacheBefore;
  return result;
}

const round = (value: number, digits = 1): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('bench/indexing.ts')
) {
  const { values } = parseArgs({
    options: {
      photos: { type: 'string' },
      runs: { type: 'string' },
      'memory-photos': { type: 'string' },
      'no-memory': { type: 'boolean' },
      'no-pipeline': { type: 'boolean' },
      'no-command': { type: 'boolean' },
      baseline: { type: 'string' },
    },
  });
  const result = await runIndexingBench({
    photos: values.photos ? Number(values.photos) : undefined,
    runs: values.runs ? Number(values.runs) : undefined,
    memoryPhotos: values['memory-photos'] ? Number(values['memory-photos']) : undefined,
    memory: !values['no-memory'],
    pipeline: !values['no-pipeline'],
    command: !values['no-command'],
    baseline: values.baseline,
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!existsSync(DATA_ROOT)) process.exitCode = 1;
}
