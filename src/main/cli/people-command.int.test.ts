// `shoebox people` as other tools use it: the documented JSON over a library of real faces (a
// sample photo face-api ships and a smaller copy), and exit codes for bad ids.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp.ts';

const BIN = new URL('../../../bin/shoebox.js', import.meta.url).pathname;
const SAMPLE = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
  'sample1.jpg',
);

function shoebox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let work: { path: string; remove(): Promise<void> };
let photos: string;
let library: string;

beforeAll(async () => {
  work = await makeTempDir();
  photos = join(work.path, 'Photos');
  library = join(work.path, 'library');
  await mkdir(photos);
  await copyFile(SAMPLE, join(photos, 'party.jpg'));
  await writeFile(
    join(photos, 'party-copy.jpg'),
    await sharp(SAMPLE).resize(1440).modulate({ brightness: 1.1 }).jpeg({ quality: 85 }).toBuffer(),
  );
  const index = await shoebox(['index', photos, '--library', library, '--json']);
  expect(index.code).toBe(0);
}, 300_000);
afterAll(() => work.remove());

describe('shoebox people', { timeout: 120_000 }, () => {
  it('lists the people with a representative face, and shows one', async () => {
    const list = await shoebox(['people', '--library', library, '--json']);
    expect(list.code).toBe(0);
    const result = JSON.parse(list.stdout);
    expect(Object.keys(result).sort()).toEqual(['people', 'unclustered']);
    expect(result.unclustered).toBe(0);
    expect(result.people).toHaveLength(3);
    for (const person of result.people) {
      expect(Object.keys(person).sort()).toEqual([
        'faces',
        'id',
        'name',
        'photos',
        'representative',
      ]);
      expect(person).toMatchObject({ faces: 2, photos: 2, name: null });
      expect(person.representative.path.startsWith(photos)).toBe(true);
      expect(Object.keys(person.representative.box).sort()).toEqual(['height', 'width', 'x', 'y']);
    }

    const id = result.people[0].id as number;
    const show = await shoebox(['people', 'show', String(id), '--library', library, '--json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({ id, name: null });
    expect(shown.faces.map((f: { path: string }) => f.path).sort()).toEqual([
      join(photos, 'party-copy.jpg'),
      join(photos, 'party.jpg'),
    ]);
    expect(shown.faces[0].score).toBeGreaterThan(0.5);

    const text = await shoebox(['people', '--library', library]);
    expect(text.stdout).toMatch(/^3 people; 0 faces belong to nobody yet\./);
  });

  it('exits 1 for an unknown person and 2 for an id that is not one', async () => {
    const unknown = await shoebox(['people', 'show', '99999', '--library', library]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('shoebox: There is no person with id 99999.');
    const bad = await shoebox(['people', 'show', 'ann', '--library', library]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const sub = await shoebox(['people', 'rename', '--library', library]);
    expect(sub.code).toBe(2);
  });
});
