// The command line's JavaScript build (scripts/build-cli.mjs -> dist/cli) and its launcher
// (bin/shoebox.js): every worker the engine starts is built, packages load through require(), a
// quick command loads none of the heavy packages, and an edited source is rebuilt before it runs,
// never run as its old build.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBuildDir, workerEntries } from '../../../scripts/build-cli.mjs';
import { makeTempDir } from '../../../test/helpers/temp.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'shoebox.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, from the repository root. */
function runProgram(program: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function run(args: string[], nodeArgs: string[] = []): Promise<Run> {
  return runProgram(process.execPath, [...nodeArgs, ...args]);
}

/** Every `.ts` file under a folder. */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.test.')) found.push(path);
  }
  return found;
}

describe('the command line build', () => {
  it('builds every worker the engine starts, under the name the engine looks for', async () => {
    const started = new Set<string>();
    for (const file of await sources(join(ROOT, 'src', 'main'))) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/resolveWorkerEntry\([^,]+,\s*'([\w-]+)'\)/g))
        started.add(match[1]!);
      for (const match of text.matchAll(/workerThreadTarget\(\s*'([\w-]+)'/g))
        started.add(match[1]!);
      for (const match of text.matchAll(/new URL\(`\.\/([\w-]+)\.\$\{ext\}`/g))
        started.add(match[1]!);
    }
    expect(started.size).toBeGreaterThanOrEqual(4);
    const electronConfig = await readFile(join(ROOT, 'electron.vite.config.ts'), 'utf8');
    for (const name of started) {
      expect(Object.keys(workerEntries)).toContain(name);
      expect(existsSync(join(cliBuildDir, `${name}.js`)), `dist/cli/${name}.js`).toBe(true);
      expect(electronConfig).toContain(`'${name}':`);
    }
  });

  it('loads packages with require(), never through an import, which starts each process later', async () => {
    const imported: string[] = [];
    for (const name of await readdir(cliBuildDir)) {
      if (!name.endsWith('.js')) continue;
      const text = await readFile(join(cliBuildDir, name), 'utf8');
      for (const match of text.matchAll(/^import\s[^;]*?\sfrom\s+["']([^"']+)["']/gm)) {
        const specifier = match[1]!;
        if (!specifier.startsWith('node:') && !specifier.startsWith('./'))
          imported.push(`${name}: ${specifier}`);
      }
    }
    expect(imported).toEqual([]);
  });

  it('runs `status` on an empty library without loading a heavy package', async () => {
    const work = await makeTempDir();
    try {
      // Logs every package the process resolves, through Node's module hooks.
      const hook = `data:text/javascript,${encodeURIComponent(`
        import { registerHooks } from 'node:module';
        import { writeSync } from 'node:fs';
        registerHooks({ resolve(specifier, context, next) {
          if (!specifier.startsWith('node:') && !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('file:'))
            writeSync(2, 'package: ' + specifier + '\\n');
          return next(specifier, context);
        } });`)}`;
      const result = await run(
        [BIN, 'status', '--json', '--library', join(work.path, 'library')],
        ['--import', hook],
      );
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ folders: [], photos: 0 });
      const packages = new Set(
        result.stderr
          .split('\n')
          .filter((line) => line.startsWith('package: '))
          .map((line) => line.slice('package: '.length)),
      );
      expect(packages.has('better-sqlite3')).toBe(true); // the hook saw the catalog open
      for (const heavy of [
        'sharp',
        'onnxruntime-node',
        '@huggingface/transformers',
        'usearch',
        'umap-js',
        'chokidar',
        'ws',
        'zod',
        'tsx',
        'esbuild',
      ])
        expect(packages.has(heavy), heavy).toBe(false);
    } finally {
      await work.remove();
    }
  });
});

describe('bin/shoebox.js', () => {
  /**
   * A copy of the launcher in a folder of its own, with a stand-in build script that writes a
   * main.js printing which build it is: the launcher's choice is what is tested here.
   */
  async function launcherCopy() {
    const work = await makeTempDir();
    const root = work.path;
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'scripts'));
    await mkdir(join(root, 'src'));
    await mkdir(join(root, 'dist', 'cli'), { recursive: true });
    await copyFile(BIN, join(root, 'bin', 'shoebox.js'));
    await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
    await writeFile(join(root, 'src', 'main.ts'), 'export {};\n');
    await writeFile(
      join(root, 'scripts', 'build-cli.mjs'),
      `import { writeFile, readFile } from 'node:fs/promises';
      export async function buildCli() {
        const started = Date.now();
        const source = await readFile(new URL('../src/main.ts', import.meta.url), 'utf8');
        await writeFile(new URL('../dist/cli/main.js', import.meta.url),
          'export async function main() { process.stdout.write(' + JSON.stringify('build of ' + source.length + ' bytes') + '); return 0; }');
        await writeFile(new URL('../dist/cli/build.json', import.meta.url),
          JSON.stringify({ builtAt: started, inputs: ['src/main.ts'] }));
        return 1;
      }`,
    );
    return { work, root, bin: join(root, 'bin', 'shoebox.js') };
  }

  it('builds first when there is no build, then runs the build as it is', async () => {
    const { work, bin } = await launcherCopy();
    try {
      const first = await run([bin, 'status']);
      expect(first.code).toBe(0);
      expect(first.stderr).toBe(
        'shoebox: building the command line first (it has not been built yet)…\n',
      );
      expect(first.stdout).toBe('build of 11 bytes');
      const second = await run([bin, 'status']);
      expect(second).toEqual({ code: 0, stdout: 'build of 11 bytes', stderr: '' });
    } finally {
      await work.remove();
    }
  });

  it('rebuilds when a source that went into the build changed since', async () => {
    const { work, root, bin } = await launcherCopy();
    try {
      await run([bin, 'status']);
      const source = join(root, 'src', 'main.ts');
      await writeFile(source, 'export const edited = true;\n');
      const later = new Date(Date.now() + 5000);
      await utimes(source, later, later);
      const edited = await run([bin, 'status']);
      expect(edited.code).toBe(0);
      expect(edited.stderr).toBe(
        `shoebox: building the command line first (${relative(root, source)} changed since it was built)…\n`,
      );
      expect(edited.stdout).toBe('build of 28 bytes');
    } finally {
      await work.remove();
    }
  });
});

describe('npx shoebox', () => {
  // npx looks first for a `bin` of the package it runs in. Finding one, npm 11 reads the whole
  // dependency tree and keeps a link to the project in its npx cache on every call, about a second
  // before Shoebox starts. The command is therefore linked into node_modules/.bin by the
  // `shoebox-cli` file: dependency (bin/package.json), where npx finds and runs it at once.
  it('is linked into node_modules/.bin, and the root package declares no bin of its own', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      bin?: unknown;
      devDependencies: Record<string, string>;
    };
    expect(manifest.bin).toBeUndefined();
    expect(manifest.devDependencies['shoebox-cli']).toBe('file:bin');
    expect(realpathSync(join(ROOT, 'node_modules', '.bin', 'shoebox'))).toBe(BIN);
  });

  it("runs this checkout's command", async () => {
    const library = await makeTempDir();
    try {
      const result = await runProgram('npx', ['shoebox', 'status', '--library', library.path]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Library: ${library.path}`);
    } finally {
      await library.remove();
    }
  });
});
