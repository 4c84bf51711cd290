import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium, unpackNpmChromium } from './chromium.ts';
import { makeTempDir } from './temp.ts';

const npmChromiumRuns = process.platform === 'linux' && process.arch === 'x64';

describe('findChromium', () => {
  it('refuses a SHOEBOX_CHROMIUM that does not exist, naming it', async () => {
    await expect(
      findChromium({ ...process.env, SHOEBOX_CHROMIUM: '/nowhere/chromium' }),
    ).rejects.toThrow('SHOEBOX_CHROMIUM is set to /nowhere/chromium, which does not exist.');
  });

  it('refuses a SHOEBOX_CHROMIUM that does not start, with its reason', async () => {
    const dir = await makeTempDir();
    try {
      const fake = join(dir.path, 'chromium');
      await writeFile(
        fake,
        '#!/bin/sh\necho "libnss3.so: cannot open shared object file" >&2\nexit 127\n',
        {
          mode: 0o755,
        },
      );
      await expect(findChromium({ ...process.env, SHOEBOX_CHROMIUM: fake })).rejects.toThrow(
        /^The Chromium from SHOEBOX_CHROMIUM \(.*\) does not start: libnss3\.so: cannot open shared object file;/,
      );
    } finally {
      await dir.remove();
    }
  });

  it.runIf(npmChromiumRuns)(
    'on Linux x64 uses the npm Chromium even when a system one is on PATH',
    async () => {
      const dir = await makeTempDir();
      try {
        // A "chromium" first on PATH, as Debian's package would be: it must not be chosen.
        await writeFile(join(dir.path, 'chromium'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          PATH: `${dir.path}:${process.env.PATH ?? ''}`,
        };
        delete env.SHOEBOX_CHROMIUM;
        const found = await findChromium(env);
        expect(found.source).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+$/);
        expect(found.path).toMatch(/node_modules\/\.cache\/shoebox-chromium\/[\d.]+\/chromium$/);
      } finally {
        await dir.remove();
      }
    },
  );
});

describe.runIf(npmChromiumRuns)('the npm Chromium', () => {
  let cache: { path: string; remove(): Promise<void> } | null = null;
  afterEach(async () => {
    await cache?.remove();
    cache = null;
  });

  it('unpacks once when two callers race, leaving one complete copy and no partial folders', async () => {
    cache = await makeTempDir('shoebox-chromium-cache-');
    // Leftovers: an unpack interrupted by a process that is gone, and an older version.
    await mkdir(join(cache.path, '1.0.0.partial-999999999-deadbeef'));
    await mkdir(join(cache.path, '1.0.0'));
    const [first, second] = await Promise.all([
      unpackNpmChromium(cache.path),
      unpackNpmChromium(cache.path),
    ]);
    expect(first.path).toBe(second.path);
    const version = first.source.split(' ')[1]!;
    expect(await readdir(cache.path)).toEqual([version]);
    // The browser and SwiftShader's libraries side by side: WebGL needs them there.
    const files = await readdir(join(cache.path, version));
    expect(files).toEqual(expect.arrayContaining(['chromium', 'libGLESv2.so', 'libEGL.so']));
  }, 180_000); // two 200 MB unpacks on a loaded machine

  it('launches with our flags and draws WebGL2 in software, as the map needs', async () => {
    const { path } = await findChromium({ ...process.env, SHOEBOX_CHROMIUM: '' });
    expect(existsSync(path)).toBe(true);
    const browser = await chromium.launch({ executablePath: path, args: [...chromiumArgs] });
    try {
      const page = await browser.newPage();
      await page.setContent('<canvas></canvas>');
      // A string, as this file is compiled without the DOM's types.
      const renderer = await page.evaluate(`(() => {
        const gl = document.querySelector('canvas').getContext('webgl2');
        if (!gl) return null;
        const info = gl.getExtension('WEBGL_debug_renderer_info');
        return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      })()`);
      expect(renderer).toMatch(/SwiftShader/);
    } finally {
      await browser.close();
    }
  });
});
