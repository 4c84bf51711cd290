// "Nothing in Shoebox ever unlinks a photo": the code that moves photos (the trash, the journal,
// catalog recovery) calls no delete or copy at all, except withdrawing the OS trash's own
// `.trashinfo` metadata file when the rename it announced did not happen.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENGINE = new URL('..', import.meta.url).pathname;
const DESTRUCTIVE =
  /\b(unlink|unlinkSync|rm|rmSync|rmdir|rmdirSync|copyFile|copyFileSync|cp|cpSync|truncate|writeFile)\s*\(/g;

async function sources(): Promise<string[]> {
  const files = [join(ENGINE, 'catalog', 'recovery.ts')];
  for (const dir of ['trash', 'journal'])
    for (const name of await readdir(join(ENGINE, dir)))
      if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(join(ENGINE, dir, name));
  return files.sort();
}

describe('the code that moves photos', () => {
  it('never deletes, copies or overwrites a file, save the .trashinfo it writes itself', async () => {
    const calls: string[] = [];
    for (const file of await sources()) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      for (const line of lines) {
        const code = line.trim();
        if (code.startsWith('//') || code.startsWith('*')) continue;
        if (code.match(DESTRUCTIVE)) calls.push(`${file.slice(ENGINE.length)}: ${code}`);
      }
    }
    expect(calls).toEqual([
      // The .trashinfo, written through the handle that created it exclusively ('wx').
      'trash/os-trash.ts: await handle.writeFile(',
      'trash/os-trash.ts: await rm(infoFile, { force: true });',
      'trash/os-trash.ts: await rm(infoFile, { force: true });',
    ]);
  });
});
