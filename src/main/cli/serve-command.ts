// `shoebox serve [--port P] [--host H]`: the full app in a browser. Loopback only unless told
// otherwise; the printed URL carries the access token. The page is the same build the desktop
// app loads; on the first run from a fresh checkout it is built once.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rendererBuildDir, startServer } from '../serve/server.ts';
import type { CommandContext } from './commands.ts';
import { UsageError, WorkError } from './errors.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function runServe({ options, output, openLibrary }: CommandContext): Promise<void> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--port takes a port number from 0 to 65535, not "${String(options.port)}".`,
    );
  }
  const host = typeof options.host === 'string' ? options.host : '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    output.log(
      `Serving on ${host}: anyone who can reach this address and has the link can see your photos.`,
    );
  }
  const rendererDir = rendererBuildDir();
  if (!existsSync(join(rendererDir, 'index.html')))
    await buildApp(join(rendererDir, '..', '..'), output.log);

  const library = await openLibrary({ watch: true });
  let server;
  try {
    server = await startServer({ library, host, port, rendererDir });
  } catch (error) {
    await library.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new WorkError(`port ${port} is already in use; choose another with --port.`);
    throw error;
  }
  library.on('notice', (notice) => output.log(notice.message));
  output.result(
    { url: server.url },
    () => `Shoebox is open at ${server.url}\nPress Ctrl+C to stop.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await library.close();
}

/** Builds the app's pages with electron-vite (the same build `npm start` makes). */
async function buildApp(projectRoot: string, log: (message: string) => void): Promise<void> {
  log('Building the app once (first run from this checkout)…');
  const require = createRequire(import.meta.url);
  const bin = join(require.resolve('electron-vite/package.json'), '..', 'bin', 'electron-vite.js');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [bin, 'build'], {
      cwd: projectRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('close', resolve);
    child.on('error', () => resolve(null));
  });
  if (code !== 0) throw new WorkError('building the app failed; run `npm run build` to see why.');
}
