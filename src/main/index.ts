// Electron's main process: lifecycle and wiring only. The engine runs in a utility process
// (engine-host), the renderer in a sandboxed window; main relays the contract between them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, BrowserWindow, shell } from 'electron';
import { EngineProcess } from './engine-host/engine-process.ts';
import { registerIpc } from './ipc.ts';
import {
  APP_ORIGIN,
  handleAppScheme,
  handleMediaScheme,
  registerSchemePrivileges,
} from './protocol/schemes.ts';
import { createMainWindow } from './window/main-window.ts';
import { appUrlMatcher } from './window/policy.ts';
import { guardWebContents, hardenSession } from './window/security.ts';

const here = import.meta.dirname;
const rendererDir = join(here, '../renderer');
const preload = join(here, '../preload/index.cjs');
const icon = join(here, '../../resources/icon.png');
// electron-vite dev serves the renderer with hot reload; a built app never sets this.
const devUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;

const isAppUrl = appUrlMatcher(devUrl);

app.enableSandbox();
registerSchemePrivileges();

if (!app.requestSingleInstanceLock()) {
  // A second copy would open the same catalog: hand over to the first one instead.
  app.quit();
} else {
  let window: BrowserWindow | null = null;
  const engine = new EngineProcess(join(here, 'engine-host.js'), (path) => shell.trashItem(path));

  const openWindow = () => {
    window = createMainWindow({
      preload,
      url: devUrl ?? `${APP_ORIGIN}/library`,
      ...(existsSync(icon) ? { icon } : {}),
    });
    window.on('closed', () => (window = null));
  };

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  guardWebContents(isAppUrl);

  void app.whenReady().then(() => {
    hardenSession();
    handleAppScheme(rendererDir);
    handleMediaScheme(engine);
    engine.start();
    registerIpc({ engine, window: () => window, isAppUrl });
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    // Let the engine finish its current write and close the catalog before we exit.
    event.preventDefault();
    stopped = true;
    void engine.stop().finally(() => app.quit());
  });
}
