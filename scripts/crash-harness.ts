// Crash harness: kills the engine with SIGKILL at random points, many times, while it indexes
// (`shoebox index`) and while it moves photos into, out of and through the trash (the trash entry
// script, until `shoebox trash` is wired), and after every kill checks, as a restarted engine:
//   - PRAGMA integrity_check is ok for the catalog and the journal;
//   - the journal reconciles: no move is left half-done ('moving', 'restoring', 'emptying');
//   - no photo is lost, changed or duplicated: every original's bytes exist exactly once, at its
//     path, in Shoebox's trash (recorded, hash matching) or in the (test's own) OS trash;
//   - no `.tmp` file is left outside the thumbnail cache.
// At the end an uninterrupted index must finish every interrupted job, and restoring the whole
// trash must put every photo back byte-identical.
//
//   npx tsx scripts/crash-harness.ts [--rounds N] [--photos N] [--seed N] [--keep]
//
// A short run is part of `npm test` (src/main/engine/trash/crash.int.test.ts).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { makeDetailedImage, seededRandom } from '../test/fixtures/images.ts';
import { Journal, journalPath, type TrashRecord } from '../src/main/engine/journal/journal.ts';
import { freedesktopTrashMover } from '../src/main/engine/trash/os-trash.ts';
import { AppTrash } from '../src/main/engine/trash/trash.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO, 'bin', 'shoebox.js');
const TRASH_ENTRY = join(REPO, 'src', 'main', 'engine', 'trash', 'trash-cli-entry.ts');

export type CrashOp = 'index' | 'add' | 'restore' | 'empty';

export interface CrashHarnessOptions {
  rounds: number;
  photos?: number;
  seed?: number;
  /** Photo size; bigger photos make indexing slower and the kill windows wider. */
  width?: number;
  height?: number;
  /** Keep going past `rounds` (up to three times as many) until this many kills have landed. */
  minKills?: number;
  /** Keep the work folder for inspection. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface CrashRound {
  op: CrashOp;
  paths: number;
  killedAfterMs: number | null;
  /** True when the child finished before the kill came. */
  finished: boolean;
  reconciled: { completed: number; rolledBack: number; missing: number };
}

export interface CrashHarnessReport {
  workDir: string;
  rounds: CrashRound[];
  killed: number;
  violations: string[];
  final: { indexed: number; restored: number; emptied: number };
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function listFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else found.push(path);
    }
  };
  await visit(root);
  return found;
}

interface Child {
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  ready: Promise<void>;
  kill(): void;
}

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('ready\n')) markReady();
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      markReady();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { done, ready, kill: () => child.kill('SIGKILL') };
}

export async function runCrashHarness(options: CrashHarnessOptions): Promise<CrashHarnessReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const workDir = await mkdtemp(join(tmpdir(), 'shoebox-crash-'));
  const photos = join(workDir, 'Photos');
  const library = join(workDir, 'library');
  const xdg = join(workDir, 'xdg');
  // The children's OS trash is the test's own folder, never the real user's.
  const env = { ...process.env, XDG_DATA_HOME: xdg };
  const violations: string[] = [];
  const rounds: CrashRound[] = [];

  // Originals: distinct images in nested folders; their hashes are what must never be lost.
  const originals = new Map<string, string>();
  const addPhoto = async (): Promise<void> => {
    const i = originals.size;
    const dir = join(photos, `album-${i % 3}`, i % 2 ? 'sub' : '');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `photo-${String(i).padStart(3, '0')}.jpg`);
    const bytes = await makeDetailedImage({
      width: options.width ?? 900,
      height: options.height ?? 675,
      seed: (options.seed ?? 1) * 1000 + i,
    });
    await writeFile(path, bytes);
    originals.set(path, sha(bytes));
  };
  for (let i = 0; i < (options.photos ?? 12); i++) await addPhoto();
  await mkdir(library, { recursive: true });
  // How long an index run takes here, so its kill lands somewhere inside it; learned as we go.
  let indexMs = 3000;

  const withTrash = async <T>(
    work: (trash: AppTrash, journal: Journal) => Promise<T>,
  ): Promise<T> => {
    const journal = new Journal(journalPath(library));
    try {
      const trash = new AppTrash(journal, {
        roots: () => [photos],
        osTrash: freedesktopTrashMover({ dataHome: xdg }),
      });
      return await work(trash, journal);
    } finally {
      journal.close();
    }
  };

  /** Everything a restarted engine must find true. */
  const check = async (when: string): Promise<CrashRound['reconciled']> => {
    const fail = (message: string): void => {
      violations.push(`${when}: ${message}`);
    };
    const reconciled = await withTrash(async (trash, journal) => {
      const report = await trash.reconcile();
      const ok = journal.db.pragma('integrity_check', { simple: true });
      if (ok !== 'ok') fail(`journal integrity_check: ${String(ok)}`);
      const inFlight = journal.trashRecords(['moving', 'restoring', 'emptying']);
      if (inFlight.length > 0) fail(`${inFlight.length} trash records still half-done`);
      if (report.strays.length > 0)
        fail(`unrecorded files in the trash: ${report.strays.join(', ')}`);
      if (report.missing.length > 0)
        fail(`reconcile found photos missing: ${JSON.stringify(report.missing)}`);
      // Where every original is, by bytes: exactly once, somewhere Shoebox can account for.
      const seen = new Map<string, string[]>();
      for (const file of [
        ...(await listFiles(photos)),
        ...(await listFiles(join(xdg, 'Trash', 'files'))),
      ]) {
        const hash = sha(await readFile(file));
        seen.set(hash, [...(seen.get(hash) ?? []), file]);
      }
      const originalHashes = new Set(originals.values());
      for (const [hash, files] of seen) {
        if (!originalHashes.has(hash))
          fail(`a file that is no original photo appeared: ${files.join(', ')}`);
        else if (files.length > 1) fail(`a photo exists twice: ${files.join(', ')}`);
      }
      const latest = new Map<string, TrashRecord>();
      for (const record of journal.trashRecords()) latest.set(record.originalPath, record);
      for (const record of journal.trashRecords(['trashed'])) {
        const bytes = await readFile(record.trashPath).catch(() => null);
        if (!bytes || sha(bytes) !== record.contentHash)
          fail(`trash record ${record.id} does not match its file ${record.trashPath}`);
      }
      for (const [path, hash] of originals) {
        const where = seen.get(hash);
        if (!where) {
          fail(`photo LOST: ${relative(photos, path)}`);
          continue;
        }
        if (where[0] === path) continue;
        const record = latest.get(path);
        const accounted =
          record &&
          ((record.state === 'trashed' && where[0] === record.trashPath) ||
            (record.state === 'emptied' && where[0]!.startsWith(join(xdg, 'Trash', 'files'))) ||
            (record.state === 'restored' && where[0] === record.restoredPath));
        if (!accounted)
          fail(
            `photo ${relative(photos, path)} is at ${where[0]} with no journal record saying so`,
          );
      }
      return {
        completed: report.completed.length,
        rolledBack: report.rolledBack.length,
        missing: report.missing.length,
      };
    });
    if (existsSync(join(library, 'catalog.sqlite'))) {
      const db = new Database(join(library, 'catalog.sqlite'));
      try {
        const ok = db.pragma('integrity_check', { simple: true });
        if (ok !== 'ok') fail(`catalog integrity_check: ${String(ok)}`);
      } finally {
        db.close();
      }
    }
    const tmpFiles = [
      ...(await listFiles(photos)),
      ...(await listFiles(library)).filter((f) => !f.startsWith(join(library, 'thumbnails'))),
      ...(await listFiles(xdg)),
    ].filter((f) => f.endsWith('.tmp'));
    if (tmpFiles.length > 0) fail(`.tmp files left: ${tmpFiles.join(', ')}`);
    return reconciled;
  };

  const trashed = (): Promise<TrashRecord[]> => withTrash(async (trash) => trash.list());
  const atHome = (): string[] => [...originals.keys()].filter((path) => existsSync(path));

  const kills = (): number => rounds.filter((r) => !r.finished).length;
  for (
    let round = 0;
    round < options.rounds || (kills() < (options.minKills ?? 0) && round < options.rounds * 3);
    round++
  ) {
    // Every third round indexes; the others work the trash, whatever it holds.
    let op: CrashOp = round % 3 === 0 ? 'index' : pick(['add', 'add', 'restore', 'empty'] as const);
    const inTrash = await trashed();
    if ((op === 'restore' || op === 'empty') && inTrash.length === 0) op = 'add';
    let paths: string[] = [];
    let args: string[];
    if (op === 'index') {
      // Give every index run real work: new photos, and touched ones (same bytes, new mtime).
      if (round > 0) {
        await addPhoto();
        await addPhoto();
        for (const path of atHome())
          if (random() < 0.3) await utimes(path, new Date(), new Date(Date.now() + round * 1000));
      }
      args = [BIN, 'index', photos, '--library', library, '--json'];
    } else {
      const pool = op === 'add' ? atHome() : inTrash.map((r) => r.originalPath);
      const take = op === 'empty' ? 1 : 1 + Math.floor(random() * Math.min(4, pool.length));
      paths = [...pool].sort(() => random() - 0.5).slice(0, take);
      args = [
        '--import',
        'tsx',
        TRASH_ENTRY,
        '--library',
        library,
        '--root',
        photos,
        '--slow',
        op,
        ...paths,
      ];
    }
    const child = start(args, env);
    let killedAfterMs: number | null = null;
    const startedAt = Date.now();
    const delay = op === 'index' ? 200 + random() * indexMs : random() * (25 + 35 * paths.length);
    if (op !== 'index') await child.ready;
    const timer = setTimeout(() => {
      killedAfterMs = Math.round(delay);
      child.kill();
    }, delay);
    const result = await child.done;
    clearTimeout(timer);
    const finished = result.signal !== 'SIGKILL';
    if (op === 'index' && finished) indexMs = Date.now() - startedAt;
    if (finished && result.code !== 0)
      violations.push(
        `round ${round} (${op}) failed on its own: ${result.stderr.trim().split('\n').at(-1)}`,
      );
    const reconciled = await check(`after round ${round} (${op}${finished ? '' : ', killed'})`);
    rounds.push({
      op,
      paths: paths.length,
      killedAfterMs: finished ? null : killedAfterMs,
      finished,
      reconciled,
    });
    log(
      `round ${round}: ${op}${paths.length ? ` ${paths.length} photo(s)` : ''} ` +
        `${finished ? 'finished before the kill' : `killed after ${killedAfterMs} ms`}; ` +
        `reconciled ${JSON.stringify(reconciled)}; violations so far ${violations.length}`,
    );
  }

  // The interrupted jobs resume: one uninterrupted index brings the catalog fully up to date.
  const final = await start([BIN, 'index', photos, '--library', library, '--json'], env).done;
  let indexed = 0;
  if (final.code !== 0) violations.push(`final index failed: ${final.stderr.trim()}`);
  else {
    const result = JSON.parse(final.stdout) as { failed: unknown[] };
    if (result.failed.length > 0)
      violations.push(`final index had failures: ${JSON.stringify(result.failed)}`);
    const db = new Database(join(library, 'catalog.sqlite'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT path, status, content_hash FROM photos`).all() as {
        path: string;
        status: string;
        content_hash: string | null;
      }[];
      const jobs = (db.prepare(`SELECT count(*) AS n FROM jobs`).get() as { n: number }).n;
      if (jobs > 0) violations.push(`final index left ${jobs} jobs queued`);
      const home = new Set(atHome());
      indexed = rows.filter((r) => r.status === 'indexed').length;
      for (const row of rows) {
        if (!home.has(row.path)) violations.push(`catalog lists ${row.path}, which is not at home`);
        else if (row.status !== 'indexed' || row.content_hash !== originals.get(row.path))
          violations.push(`catalog row for ${row.path} is ${row.status} with a wrong hash`);
      }
      if (rows.length !== home.size)
        violations.push(`catalog has ${rows.length} photos, the folders ${home.size}`);
    } finally {
      db.close();
    }
  }

  // Everything still in Shoebox's trash comes back byte-identical.
  const restoredCount = await withTrash(async (trash) => {
    let n = 0;
    for (const record of trash.list()) {
      const restored = await trash.restore(record.id);
      if (!restored.ok)
        violations.push(`final restore of ${record.originalPath}: ${restored.reason}`);
      else if (!restored.identical)
        violations.push(`restored ${record.originalPath} is not identical`);
      else n += 1;
    }
    return n;
  });
  const emptied = await withTrash(async (_trash, journal) => journal.trashRecords(['emptied']));
  const emptiedPaths = new Set(emptied.map((r) => r.originalPath));
  for (const [path, hash] of originals) {
    if (emptiedPaths.has(path) && !existsSync(path)) continue;
    const bytes = await readFile(path).catch(() => null);
    if (!bytes || sha(bytes) !== hash)
      violations.push(`after restoring all, ${path} is not back as it was`);
  }

  const report: CrashHarnessReport = {
    workDir,
    rounds,
    killed: rounds.filter((r) => !r.finished).length,
    violations,
    final: { indexed, restored: restoredCount, emptied: emptied.length },
  };
  if (!options.keep) await rm(workDir, { recursive: true, force: true });
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '60' },
      photos: { type: 'string', default: '24' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
      keep: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  const report = await runCrashHarness({
    rounds: Number(values.rounds),
    photos: Number(values.photos),
    seed: Number(values.seed),
    keep: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const summary = {
    seed: Number(values.seed),
    rounds: report.rounds.length,
    killed: report.killed,
    byOp: Object.fromEntries(
      (['index', 'add', 'restore', 'empty'] as const).map((op) => [
        op,
        {
          rounds: report.rounds.filter((r) => r.op === op).length,
          killed: report.rounds.filter((r) => r.op === op && !r.finished).length,
        },
      ]),
    ),
    reconciled: report.rounds.reduce(
      (sum, r) => ({
        completed: sum.completed + r.reconciled.completed,
        rolledBack: sum.rolledBack + r.reconciled.rolledBack,
      }),
      { completed: 0, rolledBack: 0 },
    ),
    final: report.final,
    violations: report.violations,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    ...(values.keep ? { workDir: report.workDir } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = report.violations.length > 0 ? 1 : 0;
}
