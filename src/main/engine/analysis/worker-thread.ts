// Where a worker thread's entry file is and how to start it. From TypeScript sources (tests, the
// CLI through tsx) the entry is `<name>.ts` and needs tsx's loader unless this process already
// runs under it; from the electron-vite build it is `<name>.js` beside the chunk that starts it
// (each worker entry is an input of its own in electron.vite.config.ts, and every chunk of the
// main build lands flat in out/main), which runs as is.
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
