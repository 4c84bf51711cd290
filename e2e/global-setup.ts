// Runs once before the specs: resolves the browser (unpacking the npm Chromium on a fresh clone,
// a few seconds) so no spec's time limit pays for it, fails the run at once with one sentence
// when there is no usable browser, and says which browser the run uses.
import { chromiumExecutable } from '../test/helpers/chromium.ts';

export default async function globalSetup(): Promise<void> {
  const { path, source } = await chromiumExecutable();
  process.stdout.write(`e2e browser: ${source} (${path})\n`);
}
