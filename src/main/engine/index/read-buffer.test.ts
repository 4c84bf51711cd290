import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadBuffer } from './read-buffer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoebox-read-buffer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function readWith(reader: ReadBuffer, path: string, size?: number) {
  const handle = await open(path, 'r');
  try {
    return await reader.read(handle, size ?? (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 31 + seed) & 255;
  return bytes;
}

describe('ReadBuffer', () => {
  it('reads each file whole, into the same memory once the previous one is released', async () => {
    const reader = new ReadBuffer();
    const first = await readWith(reader, await fileOf('a', pattern(3_000_000, 1)));
    expect(first.bytes.equals(pattern(3_000_000, 1))).toBe(true);
    const memory = first.bytes.buffer;
    first.release();
    const second = await readWith(reader, await fileOf('b', pattern(1_000, 2)));
    expect(second.bytes.equals(pattern(1_000, 2))).toBe(true);
    expect(second.bytes.buffer === memory).toBe(true);
    second.release();
  });

  it('gives a second file its own memory while the first is still out', async () => {
    const reader = new ReadBuffer();
    const first = await readWith(reader, await fileOf('c', pattern(5_000, 3)));
    const second = await readWith(reader, await fileOf('d', pattern(5_000, 4)));
    expect(second.bytes.buffer === first.bytes.buffer).toBe(false);
    expect(first.bytes.equals(pattern(5_000, 3))).toBe(true);
    expect(second.bytes.equals(pattern(5_000, 4))).toBe(true);
    first.release();
    second.release();
  });

  it('grows for a larger file, and returns what is there when the file is shorter than its size said', async () => {
    const reader = new ReadBuffer();
    const large = await readWith(reader, await fileOf('e', pattern(20_000_000, 5)));
    expect(large.bytes.equals(pattern(20_000_000, 5))).toBe(true);
    large.release();
    const shrunk = await readWith(reader, await fileOf('f', pattern(100, 6)), 4_000);
    expect(shrunk.bytes.equals(pattern(100, 6))).toBe(true);
    shrunk.release();
  });

  it('reads to the end of a file that is longer than its size said (still being written)', async () => {
    const reader = new ReadBuffer();
    const grown = await readWith(reader, await fileOf('f2', pattern(30_000_000, 7)), 10);
    expect(grown.bytes.equals(pattern(30_000_000, 7))).toBe(true);
    grown.release();
  });

  it('is free again after a read that failed', async () => {
    const reader = new ReadBuffer();
    const first = await readWith(reader, await fileOf('g', pattern(10, 7)));
    const memory = first.bytes.buffer;
    first.release();
    const handle = await open(await fileOf('h', pattern(10, 8)), 'r');
    await handle.close();
    await expect(reader.read(handle, 10)).rejects.toThrow();
    const next = await readWith(reader, await fileOf('i', pattern(10, 9)));
    expect(next.bytes.buffer === memory).toBe(true);
    next.release();
  });
});
