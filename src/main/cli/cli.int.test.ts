// The `shoebox` command as other tools use it: exit codes, one JSON document on stdout, and an
// indexing run that resumes after being killed without redoing finished photos.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../test/fixtures/images.ts';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';

const BIN = new URL('../../../bin/shoebox.js', import.meta.url).pathname;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function shoebox(args: string[], onStart?: (kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(() => child.kill('SIGKILL'));
  });
}

let work: { path: string; remove(): Promise<void> };
let photos: string;
let library: string;

beforeEach(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  library = join(work.path, 'library');
  await mkdir(photos);
});
afterEach(() => work.remove());

describe('shoebox CLI', () => {
  it('index and status print the documented JSON, with failures as sentences', async () => {
    await writeFile(
      join(photos, 'a.jpg'),
      await makeDetailedImage({ width: 200, height: 150, seed: 1 }),
    );
    await writeFile(
      join(photos, 'b.png'),
      await makeDetailedImage({ width: 120, height: 90, seed: 2 }),
    );
    await writeFile(join(photos, 'broken.jpg'), 'this is not a photo');

    const index = await shoebox(['index', photos, '--library', library, '--json']);
    expect(index.code).toBe(0);
    const result = JSON.parse(index.stdout);
    expect(Object.keys(result).sort()).toEqual([
      'failed',
      'indexed',
      'removed',
      'seconds',
      'unchanged',
    ]);
    expect(result).toMatchObject({ indexed: 2, unchanged: 0, removed: 0 });
    expect(result.failed).toEqual([{ path: join(photos, 'broken.jpg'), reason: 'not an image' }]);
    expect(typeof result.seconds).toBe('number');

    const status = await shoebox(['status', '--library', library, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      folders: [photos],
      photos: 2,
      failed: 1,
      model: { id: 'fingerprint', dim: expect.any(Number) },
    });
    expect(JSON.parse(status.stdout).model.dim).toBeGreaterThan(0);

    const models = await shoebox(['models', 'list', '--library', library, '--json']);
    expect(JSON.parse(models.stdout)).toEqual({
      models: [
        { id: 'fingerprint', installed: true, active: true },
        { id: 'clip-vit-b32', installed: false, active: false },
      ],
    });
    const noSuchImport = await shoebox([
      'models',
      'import',
      join(work.path, 'nope'),
      '--library',
      library,
    ]);
    expect(noSuchImport.code).toBe(1);
    expect(noSuchImport.stderr.trim().split('\n')).toHaveLength(1);

    const human = await shoebox(['status', '--library', library]);
    expect(human.stdout).toContain('Photos: 2 indexed, 1 failed');
  });

  it('duplicates, similar, clusters, colours and map print the documented JSON', async () => {
    const photo = await makeDetailedImage({ width: 320, height: 240, seed: 7 });
    await writeFile(join(photos, 'a.jpg'), photo);
    await writeFile(join(photos, 'a copy.jpg'), photo);
    for (let i = 0; i < 4; i++) {
      await writeFile(
        join(photos, `other-${i}.jpg`),
        await makeDetailedImage({ width: 200, height: 150, seed: 20 + i }),
      );
    }
    expect((await shoebox(['index', photos, '--library', library])).code).toBe(0);
    const run = async (...args: string[]) => {
      const result = await shoebox([...args, '--library', library, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    const duplicates = await run('duplicates');
    expect(duplicates).toMatchObject({ threshold: expect.any(Number), model: 'fingerprint' });
    expect(duplicates.groups).toEqual([
      {
        id: expect.any(String),
        tier: 'identical',
        minSimilarity: 1,
        members: [
          { path: join(photos, 'a copy.jpg'), keep: true, why: expect.any(String) },
          { path: join(photos, 'a.jpg'), keep: false, why: expect.any(String) },
        ],
      },
    ]);
    expect((await run('duplicates', '--threshold', '0.5')).threshold).toBe(0.5);
    const similar = await run('similar', join(photos, 'a.jpg'), '--k', '2');
    expect(similar).toEqual({
      query: join(photos, 'a.jpg'),
      results: [
        { path: join(photos, 'a copy.jpg'), score: 1 },
        { path: expect.any(String), score: expect.any(Number) },
      ],
    });
    const clusters = await run('clusters', '--k', '2');
    expect(clusters).toMatchObject({
      k: 2,
      method: expect.any(String),
      reason: expect.stringMatching(
        /^k = 2, as chosen; the largest group holds \d+ % of the photos\.$/,
      ),
      scores: expect.any(Object),
    });
    expect(clusters.clusters.flatMap((c: { members: string[] }) => c.members).sort()).toHaveLength(
      6,
    );
    // Auto k says why, and the two copies (a near-duplicate group) share a cluster.
    const auto = await run('clusters');
    expect(auto.reason).toMatch(/^(k = \d+: |One group)/);
    const clusterOf = (path: string) =>
      auto.clusters.findIndex((c: { members: string[] }) => c.members.includes(path));
    expect(clusterOf(join(photos, 'a.jpg'))).toBe(clusterOf(join(photos, 'a copy.jpg')));
    const humanClusters = await shoebox(['clusters', '--library', library]);
    expect(humanClusters.stdout.split('\n')[1]).toBe(auto.reason);
    const colours = await run('colours', '#808080,#ffffff', '--k', '3');
    expect(colours.results).toHaveLength(3);
    expect(colours.results[0]).toEqual({
      path: expect.any(String),
      score: expect.any(Number),
      palette: expect.any(Array),
    });
    const map = await run('map');
    expect(map.points).toHaveLength(6);
    expect(map.points[0]).toEqual({
      path: expect.any(String),
      x: expect.any(Number),
      y: expect.any(Number),
      cluster: expect.any(Number),
    });
  });

  it('exits 2 on bad usage and 1 on failed work, with one line on stderr', async () => {
    const unknown = await shoebox(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const noFolder = await shoebox(['index', '--library', library]);
    expect(noFolder.code).toBe(2);
    const badOption = await shoebox(['status', '--library', library, '--frob']);
    expect(badOption.code).toBe(2);
    const missing = await shoebox([
      'index',
      join(work.path, 'nope'),
      '--library',
      library,
      '--json',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/does not exist/);
    const search = await shoebox(['search', 'a dog on a beach', '--library', library, '--json']);
    expect(search.code).toBe(1);
    expect(search.stdout).toBe('');
    expect(search.stderr.trim().split('\n')).toHaveLength(1);
    expect(search.stderr).toMatch(/needs a CLIP model.*shoebox models import/);
    const badK = await shoebox(['search', 'x', '--k', 'many', '--library', library]);
    expect(badK.code).toBe(2);
    const badThreshold = await shoebox(['duplicates', '--threshold', 'high', '--library', library]);
    expect(badThreshold.code).toBe(2);
    const badColour = await shoebox(['colours', 'red', '--library', library]);
    expect(badColour.code).toBe(2);
    const noImage = await shoebox(['similar', join(work.path, 'nope.jpg'), '--library', library]);
    expect(noImage.code).toBe(1);
    expect(noImage.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('resumes a killed indexing run without redoing finished photos', async () => {
    const total = 36;
    for (let i = 0; i < total; i++) {
      await writeFile(
        join(photos, `p${String(i).padStart(2, '0')}.jpg`),
        await makeDetailedImage({ width: 1600, height: 1200, seed: 100 + i }),
      );
    }
    const indexedCount = (): number => {
      try {
        const db = new Database(join(library, 'catalog.sqlite'), {
          readonly: true,
          fileMustExist: true,
        });
        try {
          return (
            db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as {
              n: number;
            }
          ).n;
        } finally {
          db.close();
        }
      } catch {
        return 0; // not created yet
      }
    };
    let killed = false;
    const first = await shoebox(['index', photos, '--library', library, '--json'], (kill) => {
      void waitFor(() => indexedCount() >= 6, 'some photos indexed', 60_000).then(() => {
        killed = true;
        kill();
      });
    });
    expect(killed).toBe(true);
    expect(first.signal).toBe('SIGKILL');
    const before = indexedCount();
    expect(before).toBeGreaterThanOrEqual(6);
    expect(before).toBeLessThan(total);

    const db = new Database(join(library, 'catalog.sqlite'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const second = await shoebox(['index', photos, '--library', library, '--json']);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result.indexed).toBe(total - before);
    expect(result.failed).toEqual([]);
    expect(indexedCount()).toBe(total);
    // Every run starts the decode workers and their face detector afresh: longer than the
    // default limit on a loaded machine.
  }, 120_000);
});
