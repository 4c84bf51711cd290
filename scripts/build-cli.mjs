// Builds the `shoebox` command and the engine's worker entries from TypeScript to plain
// JavaScript in dist/cli, so a command starts without compiling anything (tsx took seconds).
//   node scripts/build-cli.mjs        (run by `npm install` / `npm ci` as `prepare`, and by
//                                      `npm run build`, the tests' global setup and the benches)
// Our own code is bundled (one file per entry plus shared chunks, all flat in dist/cli so a
// worker is found as `<name>.js` beside the chunk that starts it, as in the electron-vite
// build); packages stay in node_modules and are imported from there, which keeps native modules
// working and lets a command load only the packages it uses (dynamic imports become chunks).
//
// dist/cli/build.json lists every source file that went in and when the build started;
// bin/shoebox.js compares their modification times with it and rebuilds when one is newer, so
// an edited source never runs as its old build. Several builds may run at once (parallel test
// runs, two commands after an edit): every file is written to a temporary name and renamed, the
// worker entries and main.js after the chunks they import, build.json last.
import { readdir, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cliBuildDir = join(root, 'dist', 'cli');
export const cliManifest = join(cliBuildDir, 'build.json');

/**
 * Files that run as their own process or thread, by the name the engine looks for
 * (`resolveWorkerEntry(import.meta.url, name)`, `workerThreadTarget(name, …)`); the same names
 * are inputs of the electron-vite main build.
 */
export const workerEntries = {
  'decode-worker': 'src/main/engine/index/decode-worker.ts',
  'embedding-worker': 'src/main/engine/embed/embedding-worker.ts',
  'layout-worker': 'src/main/engine/analysis/layout-worker.ts',
  'analysis-worker': 'src/main/engine/analysis/analysis-worker.ts',
};

/**
 * Packages are loaded with require(), not import. Node's loader for an `import` of a package
 * that is (or also ships as) CommonJS cost a decode worker 55 ms more processor time and made it
 * ready 25 ms later (sharp, exifr, onnxruntime-node), in each process of every command. Each
 * static import of a package becomes a small CommonJS module that requires it, so esbuild's
 * interop gives the importer what Node's would (the default import is `module.exports`).
 * Dynamic `import()`s stay imports: they load only when needed, and some of those packages are
 * ES modules only (chokidar, @huggingface/transformers).
 */
const REQUIRE = '__shoeboxRequire';
const REQUIRED = 'required-package';
const requirePackages = {
  name: 'require-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'import-statement' && !args.path.startsWith('node:')
        ? { path: args.path, namespace: REQUIRED }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({
      contents: `module.exports = ${REQUIRE}(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** A chunk no build references any more is removed once it is this old (a command started
 * before the rebuild may still import it). */
const STALE_CHUNK_MS = 10 * 60 * 1000;

/** Builds dist/cli and returns how long it took, in milliseconds. */
export async function buildCli() {
  const started = Date.now();
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/main/cli/main.ts', ...workerEntries },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.12',
    packages: 'external',
    outdir: cliBuildDir,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    plugins: [requirePackages],
    banner: {
      js: `import { createRequire as __createRequire } from 'node:module';\nconst ${REQUIRE} = __createRequire(import.meta.url);`,
    },
    write: false,
    logLevel: 'silent',
  });
  await mkdir(cliBuildDir, { recursive: true });
  const entryFiles = new Set(Object.keys({ main: 1, ...workerEntries }).map((n) => `${n}.js`));
  const isEntry = (path) => entryFiles.has(relative(cliBuildDir, path));
  const ordered = [
    ...result.outputFiles.filter((file) => !isEntry(file.path)),
    ...result.outputFiles.filter((file) => isEntry(file.path) && !file.path.endsWith('main.js')),
    ...result.outputFiles.filter((file) => file.path.endsWith('main.js')),
  ];
  for (const file of ordered) await writeAtomically(file.path, file.contents);
  const inputs = [
    // Files only: the modules requirePackages makes have no file to watch.
    ...Object.keys(result.metafile.inputs).filter((input) => !input.startsWith(`${REQUIRED}:`)),
    relative(root, fileURLToPath(import.meta.url)),
  ].sort();
  await writeAtomically(cliManifest, JSON.stringify({ builtAt: started, inputs }, null, 1) + '\n');
  await removeOldChunks(new Set(result.outputFiles.map((file) => file.path)));
  return Date.now() - started;
}

async function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

async function removeOldChunks(current) {
  const now = Date.now();
  for (const name of await readdir(cliBuildDir)) {
    const path = join(cliBuildDir, name);
    if (current.has(path) || name === 'build.json') continue;
    try {
      if (now - (await stat(path)).mtimeMs > STALE_CHUNK_MS) await rm(path, { force: true });
    } catch {
      // Another build removed it first.
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const ms = await buildCli();
    process.stderr.write(`shoebox: command line built in dist/cli (${ms} ms)\n`);
  } catch (error) {
    process.stderr.write(`shoebox: building the command line failed: ${error.message}\n`);
    process.exitCode = 1;
  }
}
