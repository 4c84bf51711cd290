// A fingerprint of every file under a folder (path, size, mtime, SHA-256), to prove that Shoebox
// wrote, changed or removed none of the user's files.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export async function snapshotFiles(root: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const facts = await lstat(path);
      if (entry.isSymbolicLink()) result.set(path, `link -> ${await readlink(path)}`);
      else if (entry.isDirectory()) await visit(path);
      else {
        const bytes = await readFile(path).catch(() => null);
        const hash = bytes ? createHash('sha256').update(bytes).digest('hex') : 'unreadable';
        result.set(path, `${facts.size}:${facts.mtimeMs}:${facts.mode}:${hash}`);
      }
    }
  };
  await visit(root);
  return result;
}
