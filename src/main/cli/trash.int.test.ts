// `shoebox trash` end to end over real files, and a damaged catalog rebuilt with the trash and
// the folder list intact.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../test/fixtures/images.ts';
import { makeTempDir } from '../../../test/helpers/temp.ts';

const BIN = new URL('../../../bin/shoebox.js', import.meta.url).pathname;

let work: { path: string; remove(): Promise<void> };
let photos: string;
let library: string;
let xdg: string;

function shoebox(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--library', library], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, XDG_DATA_HOME: xdg },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeEach(async () => {
  work = await makeTempDir('shoebox-cli-trash-');
  photos = join(work.path, 'Photos');
  library = join(work.path, 'library');
  xdg = join(work.path, 'xdg');
  await mkdir(join(photos, 'trip'), { recursive: true });
  for (const [name, seed] of [
    ['a.jpg', 1],
    ['trip/b.jpg', 2],
    ['trip/c.jpg', 3],
  ] as const)
    await writeFile(join(photos, name), await makeDetailedImage({ width: 160, height: 120, seed }));
});
afterEach(() => work.remove());

describe('shoebox trash', () => {
  it('adds, lists, restores byte-identical and re-indexes, and empties to the system trash', async () => {
    expect((await shoebox('index', photos, '--json')).code).toBe(0);
    const a = join(photos, 'a.jpg');
    const b = join(photos, 'trip', 'b.jpg');
    const aBytes = await readFile(a);

    const added = await shoebox('trash', 'add', a, '--json');
    expect(added.code).toBe(0);
    const addResult = JSON.parse(added.stdout);
    expect(addResult.outcomes).toEqual([{ path: a, outcome: 'trashed', trashId: 1 }]);
    expect(addResult.items).toEqual([{ path: a, trashedAt: expect.any(Number) }]);
    expect(existsSync(a)).toBe(false);
    expect(JSON.parse((await shoebox('status', '--json')).stdout).photos).toBe(2);
    expect(JSON.parse((await shoebox('trash', 'list', '--json')).stdout)).toEqual({
      items: [{ path: a, trashedAt: addResult.items[0].trashedAt }],
    });

    const restored = await shoebox('trash', 'restore', a, '--json');
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toEqual({
      items: [],
      outcomes: [{ path: a, outcome: 'restored', restoredTo: a, identical: true }],
    });
    expect(await readFile(a)).toEqual(aBytes);
    expect(JSON.parse((await shoebox('status', '--json')).stdout).photos).toBe(3);

    expect((await shoebox('trash', 'add', b, '--json')).code).toBe(0);
    const emptied = await shoebox('trash', 'empty', '--json');
    expect(emptied.code).toBe(0);
    expect(JSON.parse(emptied.stdout).outcomes).toEqual([{ id: 2, path: b, outcome: 'emptied' }]);
    expect(existsSync(join(xdg, 'Trash', 'files', 'b.jpg'))).toBe(true);
    expect(existsSync(join(xdg, 'Trash', 'info', 'b.jpg.trashinfo'))).toBe(true);
  });

  it('skips what it cannot verify, with a reason and exit code 1', async () => {
    expect((await shoebox('index', photos, '--json')).code).toBe(0);
    const c = join(photos, 'trip', 'c.jpg');
    await writeFile(c, await makeDetailedImage({ width: 160, height: 120, seed: 99 }));
    const result = await shoebox('trash', 'add', c, join(photos, 'nope.jpg'), '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).outcomes).toEqual([
      { path: c, outcome: 'skipped', reason: 'changed since you reviewed it' },
      {
        path: join(photos, 'nope.jpg'),
        outcome: 'skipped',
        reason: 'it is not an indexed photo of this library',
      },
    ]);
    expect(result.stderr).toMatch(/2 of 2 photos were skipped/);
    expect(existsSync(c)).toBe(true);
    expect((await shoebox('trash', 'frob')).code).toBe(2);
    expect((await shoebox('trash', 'restore')).code).toBe(2);
  });

  it('rebuilds a damaged catalog from the folders, keeping the trash', async () => {
    expect((await shoebox('index', photos, '--json')).code).toBe(0);
    const a = join(photos, 'a.jpg');
    expect((await shoebox('trash', 'add', a, '--json')).code).toBe(0);
    await writeFile(join(library, 'catalog.sqlite'), Buffer.alloc(64 * 1024, 0x5a));

    const status = await shoebox('status', '--json');
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/catalog damaged .*set it aside as catalog\.damaged-/);
    expect(JSON.parse(status.stdout).folders).toEqual([photos]);

    const index = await shoebox('index', photos, '--json');
    expect(JSON.parse(index.stdout)).toMatchObject({ indexed: 2, failed: [] });
    expect(JSON.parse((await shoebox('trash', 'list', '--json')).stdout).items).toEqual([
      { path: a, trashedAt: expect.any(Number) },
    ]);
    expect((await shoebox('trash', 'restore', a, '--json')).code).toBe(0);
    expect(JSON.parse((await shoebox('status', '--json')).stdout).photos).toBe(3);
  });
});
