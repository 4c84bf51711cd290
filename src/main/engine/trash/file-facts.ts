// What a photo file is right now: size, modification time and content hash, the three things
// checked against what the user saw before anything is moved. The hash is the same SHA-256 of the
// whole file that the indexer stores as the photo's content hash.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';

export interface FileExpectation {
  size: number;
  mtimeMs: number;
  contentHash: string;
}

export interface FileFactsNow extends FileExpectation {
  dev: number;
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The facts of a regular file, or null when there is no regular file at `path` (gone, a folder,
 * a link: Shoebox moves only real files, never what a link points to).
 */
export async function factsOf(path: string): Promise<FileFactsNow | null> {
  const before = await lstat(path).catch(() => null);
  if (!before?.isFile()) return null;
  let contentHash: string;
  try {
    contentHash = await hashFile(path);
  } catch {
    return null;
  }
  return {
    size: before.size,
    // The catalog stores whole milliseconds; so do comparisons.
    mtimeMs: Math.floor(before.mtimeMs),
    contentHash,
    dev: before.dev,
  };
}

/** True when the cheap facts (size and mtime) still match: checked again right before a rename. */
export async function sameStat(
  path: string,
  expected: { size: number; mtimeMs: number },
): Promise<boolean> {
  const now = await lstat(path).catch(() => null);
  return (
    now !== null &&
    now.isFile() &&
    now.size === expected.size &&
    Math.floor(now.mtimeMs) === Math.floor(expected.mtimeMs)
  );
}

export function matches(actual: FileExpectation, expected: FileExpectation): boolean {
  return (
    actual.size === expected.size &&
    Math.floor(actual.mtimeMs) === Math.floor(expected.mtimeMs) &&
    actual.contentHash === expected.contentHash
  );
}
