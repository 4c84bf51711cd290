// The `app` fixture: a fresh library folder, a fresh folder of real images, and the Shoebox UI
// over them, either in Chromium against `shoebox serve` or in the desktop app. Specs only see
// the page and a way to add a folder, so one spec covers both shells. A failing spec leaves a
// screenshot of the page in its output folder, whichever shell ran it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  _electron,
  chromium,
  expect,
  test as base,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { openLibrary } from '../src/main/engine/library.ts';
import { rendererBuildDir, startServer } from '../src/main/serve/server.ts';
import { chromiumExecutable } from '../test/helpers/chromium.ts';
import { makePhotoFolder, type PhotoFolder, type PhotoFolderOptions } from './photo-folder.ts';

export interface ShoeboxOptions {
  shell: 'browser' | 'electron';
  /** What goes in the spec's photo folder (e.g. near-duplicate copies). */
  photoFolder: PhotoFolderOptions;
}

export interface ShoeboxApp {
  shell: 'browser' | 'electron';
  page: Page;
  photos: PhotoFolder;
  libraryDir: string;
  /** A scratch folder outside the library, removed after the spec. */
  scratch: string;
  /** Base URL of the server in browser mode (token already traded for its cookie). */
  serverUrl: string | null;
  /** Adds a folder the way a person would in this shell. */
  addFolder(path: string): Promise<void>;
  /** Opens a screen by its route. */
  goto(route: string): Promise<void>;
}

const root = join(import.meta.dirname, '..');

/**
 * The Electron binary, or why there is none. Read from the package's path.txt rather than by
 * requiring `electron`, whose index.js would try (and here fail) to download it first.
 */
function electronBinary(): { path: string } | { missing: string } {
  const dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = join(dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (relative) {
    const path = join(override ?? join(dir, 'dist'), relative);
    if (existsSync(path)) return { path };
  }
  return {
    missing:
      'no Electron binary in node_modules/electron/dist (it could not be downloaded here); `npm start` fetches it where the network allows',
  };
}

export const test = base.extend<{ app: ShoeboxApp } & ShoeboxOptions>({
  shell: ['browser', { option: true }],
  photoFolder: [{}, { option: true }],
  app: async ({ shell, photoFolder, viewport, colorScheme }, use, testInfo) => {
    const binary = shell === 'electron' ? electronBinary() : null;
    test.skip(
      binary !== null && 'missing' in binary,
      binary && 'missing' in binary ? binary.missing : '',
    );
    const scratch = await mkdtemp(join(tmpdir(), 'shoebox-e2e-'));
    const libraryDir = join(scratch, 'library');
    const photos = await makePhotoFolder(join(scratch, 'photos'), photoFolder);
    let page: Page | null = null;
    const cleanups: (() => Promise<void>)[] = [];
    try {
      if (binary && 'path' in binary) {
        const electronApp: ElectronApplication = await _electron.launch({
          executablePath: binary.path,
          args: [join(root, 'out/main/index.js')],
          env: { ...process.env, SHOEBOX_LIBRARY: libraryDir } as Record<string, string>,
        });
        cleanups.push(() => electronApp.close());
        page = await electronApp.firstWindow();
        const shown = page;
        await use({
          shell,
          page: shown,
          photos,
          libraryDir,
          scratch,
          serverUrl: null,
          addFolder: async (path) => {
            // The native dialog cannot be clicked by a test: answer it from the main process.
            await electronApp.evaluate(({ dialog }, picked) => {
              dialog.showOpenDialog = (async () => ({
                canceled: false,
                filePaths: [picked],
              })) as never;
            }, path);
            await shown
              .getByRole('button', { name: /add a folder/i })
              .first()
              .click();
          },
          goto: async (route) => {
            // The app's router listens to popstate; a pushState plus that event navigates it
            // without reloading the window (there is no address bar to type into).
            await shown.evaluate(
              `history.pushState(null, '', ${JSON.stringify(route)}); dispatchEvent(new PopStateEvent('popstate'));`,
            );
          },
        });
        return;
      }

      const library = await openLibrary(libraryDir, { watch: true, workers: 1 });
      cleanups.push(() => library.close());
      const server = await startServer({ library, rendererDir: rendererBuildDir(), port: 0 });
      cleanups.unshift(() => server.close());
      const browser = await chromium.launch({
        ...testInfo.project.use.launchOptions,
        executablePath: (await chromiumExecutable()).path,
      });
      cleanups.unshift(() => browser.close());
      const context = await browser.newContext({
        viewport: viewport ?? { width: 1360, height: 860 },
        colorScheme: colorScheme ?? 'dark',
      });
      page = await context.newPage();
      await page.goto(server.url);
      const origin = new URL(server.url).origin;
      const shown = page;
      await use({
        shell,
        page: shown,
        photos,
        libraryDir,
        scratch,
        serverUrl: origin,
        addFolder: async (path) => {
          const field = shown.getByLabel('Folder path').first();
          await field.fill(path);
          await shown.getByRole('button', { name: 'Add folder' }).first().click();
        },
        goto: async (route) => {
          await shown.goto(origin + route);
        },
      });
    } finally {
      if (page && testInfo.status !== testInfo.expectedStatus) {
        const file = testInfo.outputPath('failure.png');
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        await testInfo
          .attach('failure', { path: file, contentType: 'image/png' })
          .catch(() => undefined);
      }
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      await rm(scratch, { recursive: true, force: true });
    }
  },
});

export { expect };
