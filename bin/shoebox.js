#!/usr/bin/env node
// The `shoebox` command. It runs the engine from its TypeScript sources through tsx, so the CLI
// needs no build step. The engine needs Node 22.12 or newer (`npx shoebox` uses the project's
// pinned Node; a global install needs a Node 22 on PATH).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `shoebox: needs Node 22.12 or newer (this is ${process.versions.node}); run it as \`npx shoebox\` from the project folder.\n`,
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
