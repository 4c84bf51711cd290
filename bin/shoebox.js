#!/usr/bin/env node
// The `shoebox` command. It runs the JavaScript build of the command line in dist/cli (made by
// `npm install`, `npm run build` or `node scripts/build-cli.mjs`), so nothing is compiled at
// start-up. When a source file that went into that build has changed since (or there is no
// build yet), it rebuilds first, saying so on stderr: an edited source never runs as its old
// build. The engine needs Node 22.12 or newer (`npx shoebox` uses the project's pinned Node; a
// global install needs a Node 22 on PATH).
import { readFileSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `shoebox: needs Node 22.12 or newer (this is ${process.versions.node}); run it as \`npx shoebox\` from the project folder.\n`,
  );
  process.exit(1);
}

// Node keeps the compiled form of the command line's JavaScript between runs (in the system's
// temporary folder, keyed by Node's version and each file's content), so a command does not
// parse and compile the whole engine again: about a quarter of `shoebox status`. The variable
// passes the same cache to the decode workers the command starts.
const cache = enableCompileCache();
if (cache.directory) process.env.NODE_COMPILE_CACHE ??= cache.directory;

const root = new URL('../', import.meta.url);

/** Why the build cannot be used as it is, or null when it is current. */
function staleBecause() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist/cli/build.json', root), 'utf8'));
  } catch {
    return 'it has not been built yet';
  }
  for (const input of manifest.inputs) {
    let modified;
    try {
      modified = statSync(new URL(input, root)).mtimeMs;
    } catch {
      return `${input} is gone`;
    }
    if (modified > manifest.builtAt) return `${input} changed since it was built`;
  }
  return null;
}

const stale = staleBecause();
if (stale) {
  process.stderr.write(`shoebox: building the command line first (${stale})…\n`);
  const { buildCli } = await import('../scripts/build-cli.mjs');
  try {
    await buildCli();
  } catch (error) {
    process.stderr.write(`shoebox: building the command line failed: ${error.message}\n`);
    process.exit(1);
  }
}
if (process.env.SHOEBOX_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
