// Finds a worker's entry file whether Shoebox runs from its TypeScript sources (tests, benches:
// the worker needs the tsx loader) or from a bundled build (the CLI's dist/cli, Electron's
// out/main: a .js file beside the chunk).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  file: string;
  execArgv: string[];
}

export function resolveWorkerEntry(fromUrl: string, name: string): WorkerEntry {
  const built = fileURLToPath(new URL(`./${name}.js`, fromUrl));
  if (existsSync(built)) return { file: built, execArgv: [] };
  const source = fileURLToPath(new URL(`./${name}.ts`, fromUrl));
  if (!existsSync(source))
    throw new Error(`Shoebox is incomplete: the worker ${name} was not found.`);
  const tsx = pathToFileURL(createRequire(fromUrl).resolve('tsx')).href;
  return { file: source, execArgv: ['--import', tsx] };
}
