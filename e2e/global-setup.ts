// Runs once before the specs: resolves the browser (unpacking the npm Chromium on a fresh clone,
// a few seconds) so no spec's time limit pays for it, fails the run at once with one sentence
// when there is no usable browser, and says which browser the run uses. It also gives the run
// its own cache folder (graph-cache.ts), inherited by the servers the specs start, so the specs
// neither read nor fill the cache of the person running them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumExecutable } from '../test/helpers/chromium.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const cache = await mkdtemp(join(tmpdir(), 'shoebox-e2e-cache-'));
  process.env.SHOEBOX_CACHE_DIR = cache;
  const { path, source } = await chromiumExecutable();
  process.stdout.write(`e2e browser: ${source} (${path})\n`);
  return async () => {
    await rm(cache, { recursive: true, force: true });
  };
}
