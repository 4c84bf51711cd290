// Vitest global setup: builds the command line (dist/cli) once before any test runs, so the CLI
// tests exercise the JavaScript build users run, made from the sources being tested. A build
// that fails fails the run here, before any test.
//
// It also gives the run its own cache folder (the face graphs ONNX Runtime optimised, see
// graph-cache.ts), inherited by the test workers and every process they start, so tests neither
// read nor fill the cache of the person running them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../scripts/build-cli.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  const cache = await mkdtemp(join(tmpdir(), 'shoebox-test-cache-'));
  process.env.SHOEBOX_CACHE_DIR = cache;
  await buildCli();
  return async () => {
    await rm(cache, { recursive: true, force: true });
  };
}
