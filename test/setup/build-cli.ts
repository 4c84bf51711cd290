// Vitest global setup: builds the command line (dist/cli) once before any test runs, so the CLI
// tests exercise the JavaScript build users run, made from the sources being tested. A build
// that fails fails the run here, before any test.
import { buildCli } from '../../scripts/build-cli.mjs';

export default async function setup(): Promise<void> {
  await buildCli();
}
