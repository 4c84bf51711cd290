// The one place that decides which Chromium the tests and benchmarks drive (the end-to-end specs,
// the CSP test, bench/map-frames.ts). `npm ci && npm test` must need nothing else, so the default
// is the headless Chromium shipped inside the @sparticuz/chromium devDependency; the reasons, and
// why a system Chromium is not preferred, are in docs/decisions.md.
//
// Order: SHOEBOX_CHROMIUM when set; else the npm Chromium on Linux x64 (the only platform it is
// built for); elsewhere a Chromium or Chrome installed on the system.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The flags every headless run here uses: no sandbox (CI runs as root), nothing phoning home. */
export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ChromiumExecutable {
  path: string;
  /** Where it came from, for logs: "SHOEBOX_CHROMIUM", "@sparticuz/chromium 153.0.0", "system". */
  source: string;
}

let resolved: Promise<ChromiumExecutable> | null = null;

/**
 * The Chromium to launch, unpacked and checked to start (its `--version` runs), or an Error
 * whose message says in one sentence what is missing and how to provide it. The answer is
 * cached for the process.
 */
export function chromiumExecutable(): Promise<ChromiumExecutable> {
  resolved ??= findChromium().catch((error: unknown) => {
    resolved = null;
    throw error;
  });
  return resolved;
}

/** chromiumExecutable() without the cache; `env` is where SHOEBOX_CHROMIUM is read. */
export async function findChromium(env = process.env): Promise<ChromiumExecutable> {
  const override = env.SHOEBOX_CHROMIUM;
  if (override) {
    if (!existsSync(override))
      throw new Error(`SHOEBOX_CHROMIUM is set to ${override}, which does not exist.`);
    return checked({ path: override, source: 'SHOEBOX_CHROMIUM' });
  }
  if (process.platform === 'linux' && process.arch === 'x64')
    return checked(await unpackNpmChromium());
  const system = systemChromium(env.PATH ?? '');
  if (system) return checked({ path: system, source: 'system' });
  throw new Error(
    `No Chromium for the browser tests: the npm one (@sparticuz/chromium) runs only on Linux x64 and none was found on this ${process.platform}-${process.arch} system; install Chromium or Chrome, or set SHOEBOX_CHROMIUM to its executable.`,
  );
}

/** Runs `--version` so a browser that cannot start fails here with its own reason. */
async function checked(chromium: ChromiumExecutable): Promise<ChromiumExecutable> {
  try {
    await run(chromium.path, ['--version'], { timeout: 60_000 });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const reason = (stderr?.trim() || message).split('\n')[0];
    throw new Error(
      `The Chromium from ${chromium.source} (${chromium.path}) does not start: ${reason}; install what it names, or set SHOEBOX_CHROMIUM to another Chromium.`,
      { cause: error },
    );
  }
  return chromium;
}

/**
 * The package ships Chromium brotli-compressed; its executablePath() unpacks it (the browser and
 * SwiftShader's libraries side by side, which WebGL needs) into os.tmpdir(), and reuses whatever
 * is at `<tmpdir>/chromium` without checking it. A shared /tmp would therefore mix versions and
 * users, and two processes unpacking at once could launch a half-written file. So the package's
 * own code runs in a child process whose TMPDIR is a fresh folder, which is then renamed into a
 * per-version cache in this checkout's node_modules: the rename is atomic, so a folder there is
 * always complete, and `npm ci` clears it with the rest of node_modules. `cacheDir` replaces
 * that folder (for tests).
 */
export async function unpackNpmChromium(cacheDir?: string): Promise<ChromiumExecutable> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    throw new Error(
      'The browser tests need the devDependency @sparticuz/chromium, which is not installed; run `npm ci`.',
    );
  }
  const packageDir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const source = `@sparticuz/chromium ${version}`;
  const cache = cacheDir ?? join(packageDir, '..', '..', '.cache', 'shoebox-chromium');
  const unpacked = join(cache, version);
  const executable = join(unpacked, 'chromium');
  if (existsSync(executable)) return { path: executable, source };

  await mkdir(cache, { recursive: true });
  await removeLeftovers(cache, version);
  const partial = join(cache, `${version}.partial-${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(partial);
  try {
    const script = `const { default: Chromium } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(await Chromium.executablePath());`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: partial },
      timeout: 5 * 60_000,
    });
    if (stdout !== join(partial, 'chromium'))
      throw new Error(`it unpacked to ${stdout || 'nowhere'} instead of ${partial}`);
    await rename(partial, unpacked).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished first; its copy is complete, so ours is not needed.
      if ((error.code === 'ENOTEMPTY' || error.code === 'EEXIST') && existsSync(executable)) return;
      throw error;
    });
  } catch (error) {
    throw new Error(
      `Could not unpack the Chromium in ${source} into ${cache}: ${(error as Error).message.split('\n')[0]}.`,
      { cause: error },
    );
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return { path: executable, source };
}

/** Removes other versions' unpacked browsers and unpacks interrupted by a process now gone. */
async function removeLeftovers(cache: string, version: string): Promise<void> {
  for (const name of await readdir(cache)) {
    const partialOf = /\.partial-(\d+)-/.exec(name);
    const stale = partialOf ? !processAlive(Number(partialOf[1])) : name !== version;
    if (stale) await rm(join(cache, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const systemNames = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const macApplications = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

function systemChromium(searchPath: string): string | null {
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    for (const name of systemNames) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return macApplications.find((path) => existsSync(path)) ?? null;
}
