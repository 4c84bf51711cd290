// Command-line start-up (issue 11, requirement 4): how long `shoebox status` takes on an empty
// library, side by side with starting Node itself and with npx's own cost, in alternating warm
// runs. Wall time is what a person waits; CPU time (the children's user + system, from
// /proc/self/stat) is what the command itself costs and moves far less with a noisy neighbour.
// Run: npx tsx bench/cli-startup.ts [--runs 15] [--baseline <another checkout>]
//   --baseline times `node <dir>/bin/shoebox.js status` too (e.g. a `git archive` of an older
//   commit with node_modules linked in), so before and after come from one run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCli } from '../scripts/build-cli.mjs';
import { machine, median } from './machine.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds used so far by this process's waited-for children (Linux; 0 elsewhere). */
function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat (cutime, cstime), counted from after the command name.
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

interface Variant {
  name: string;
  command: string;
  args: string[];
  cwd: string;
}

interface Timing {
  wallSeconds: number;
  cpuSeconds: number;
}

function timeOnce(variant: Variant): Timing {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const result = spawnSync(variant.command, variant.args, {
    cwd: variant.cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0)
    throw new Error(`${variant.name} failed (exit ${result.status}): ${result.stderr.trim()}`);
  return { wallSeconds, cpuSeconds: childrenCpuSeconds() - cpuBefore };
}

const round = (value: number, digits = 3): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

export interface CliStartupBenchOptions {
  runs?: number;
  /** Another checkout whose bin/shoebox.js is timed alongside (before / after). */
  baseline?: string;
  log?: (line: string) => void;
}

export async function runCliStartupBench(options: CliStartupBenchOptions = {}) {
  const runs = options.runs ?? 15;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // The launcher rebuilds a stale build before running; build now so no run pays for that.
  await buildCli();
  const work = await mkdtemp(join(tmpdir(), 'shoebox-startup-'));
  const library = join(work, 'library');
  const node = process.execPath;
  const status = ['status', '--json', '--library', library];
  const variants: Variant[] = [
    { name: 'node -e 0', command: node, args: ['-e', '0'], cwd: ROOT },
    { name: 'npx node -e 0 (npx alone)', command: 'npx', args: ['node', '-e', '0'], cwd: ROOT },
    { name: 'npx shoebox status', command: 'npx', args: ['shoebox', ...status], cwd: ROOT },
    {
      name: 'node bin/shoebox.js status',
      command: node,
      args: [join(ROOT, 'bin', 'shoebox.js'), ...status],
      cwd: ROOT,
    },
    {
      name: 'built CLI directly (dist/cli/main.js, no freshness check)',
      command: node,
      args: [
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(join(ROOT, 'dist', 'cli', 'main.js'))});` +
          ` process.exitCode = await main(${JSON.stringify(status)});`,
      ],
      cwd: ROOT,
    },
  ];
  if (options.baseline)
    variants.push({
      name: `baseline: node ${options.baseline}/bin/shoebox.js status`,
      command: node,
      // A library of its own: a newer Shoebox may have migrated the other one beyond it.
      args: [
        join(options.baseline, 'bin', 'shoebox.js'),
        'status',
        '--json',
        '--library',
        join(work, 'baseline-library'),
      ],
      cwd: options.baseline,
    });
  const loadBefore = loadavg().map((v) => round(v, 2));
  try {
    // The first status creates the library; every variant runs once untimed (warm caches).
    for (const variant of variants) timeOnce(variant);
    const timings = new Map<string, Timing[]>(variants.map((v) => [v.name, []]));
    // Alternating, so a noisy neighbour slows every variant alike.
    for (let run = 0; run < runs; run++) {
      for (const variant of variants) timings.get(variant.name)!.push(timeOnce(variant));
      log(
        `run ${run + 1}/${runs}: ` +
          variants
            .map((v) => `${v.name} ${timings.get(v.name)!.at(-1)!.wallSeconds.toFixed(2)} s`)
            .join(', '),
      );
    }
    const results = variants.map((variant) => {
      const all = timings.get(variant.name)!;
      return {
        name: variant.name,
        wallSeconds: {
          median: round(median(all.map((t) => t.wallSeconds))),
          min: round(Math.min(...all.map((t) => t.wallSeconds))),
        },
        cpuSeconds: { median: round(median(all.map((t) => t.cpuSeconds)), 2) },
      };
    });
    const npxStatus = results.find((r) => r.name === 'npx shoebox status')!;
    return {
      benchmark: 'cli-startup',
      machine: machine(),
      data: 'an empty library (created by the first, untimed run)',
      runs,
      loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v, 2)) },
      results,
      target: {
        npxStatusWallSeconds: 0.8,
        met: npxStatus.wallSeconds.median < 0.8,
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('bench/cli-startup.ts')) {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, baseline: { type: 'string' } },
  });
  const result = await runCliStartupBench({
    runs: values.runs ? Number(values.runs) : undefined,
    baseline: values.baseline,
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
