// Where a worker thread's entry file is and how to start it. From TypeScript sources (tests,
// benches through tsx) the entry is `<name>.ts` and needs tsx's loader unless this process
// already runs under it; from a build it is `<name>.js` beside the chunk that starts it (each
// worker entry is an input of its own in electron.vite.config.ts and scripts/build-cli.mjs, and
// every chunk lands flat in out/main or dist/cli), which runs as is.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function workerThreadTarget(
  name: string,
  fromUrl: string,
): { url: URL; execArgv: string[] | undefined } {
  const fromSource = fromUrl.endsWith('.ts');
  const url = new URL(fromSource ? `./${name}.ts` : `./${name}.js`, fromUrl);
  if (!fromSource) return { url, execArgv: undefined };
  const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
  if (hasTsx) return { url, execArgv: undefined };
  const loader = pathToFileURL(createRequire(fromUrl).resolve('tsx')).href;
  return { url, execArgv: [...process.execArgv, '--import', loader] };
}
