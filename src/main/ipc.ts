// The only file in main that touches ipcMain. Every contract call gets a handler under its own
// name; each checks that the sender is the app's own top frame, validates the arguments at the
// door, and routes the call to the engine, the desktop shell or this transport.
import { app, dialog, ipcMain, shell, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import {
  ContractError,
  callNames,
  calls,
  serializeError,
  validateCall,
  type CallName,
  type CallOutcome,
  type EventName,
  type ParsedCallArgs,
} from '../shared/api.ts';
import type { EngineProcess } from './engine-host/engine-process.ts';
import { isTrustedSender } from './window/policy.ts';
import { openExternally } from './window/security.ts';

export interface IpcOptions {
  engine: EngineProcess;
  /** The window whose top frame may call; null while there is none. */
  window: () => BrowserWindow | null;
  /** True for URLs of the app itself (the custom scheme, or the dev server). */
  isAppUrl: (url: string) => boolean;
}

export function registerIpc({ engine, window, isAppUrl }: IpcOptions): () => void {
  const isTrusted = (event: IpcMainInvokeEvent): boolean => {
    const win = window();
    const frame = event.senderFrame;
    return isTrustedSender(
      {
        windowAlive: win !== null && !win.isDestroyed(),
        fromAppWindow: win !== null && event.sender === win.webContents,
        fromMainFrame: frame !== null && frame === event.sender.mainFrame,
        frameUrl: frame?.url ?? null,
      },
      isAppUrl,
    );
  };

  const desktop = {
    'folders.pick': async () => {
      const win = window();
      const options = { title: 'Add a folder of photos', properties: ['openDirectory' as const] };
      const result = win
        ? await dialog.showOpenDialog(win, options)
        : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
    'photos.showInFolder': async ({ photoId }: ParsedCallArgs<'photos.showInFolder'>) => {
      const found = await engine.media('full', String(photoId));
      if (!found) throw new ContractError('not-found', 'That photo is no longer in the library.');
      shell.showItemInFolder(found.path);
      return null;
    },
    'links.openExternal': ({ url }: ParsedCallArgs<'links.openExternal'>) => {
      if (!openExternally(url))
        throw new ContractError('invalid-arguments', 'Only https links open.');
      return null;
    },
  } as const;

  const answer = async (name: CallName, args: unknown): Promise<unknown> => {
    const parsed = validateCall(name, args);
    switch (calls[name].site) {
      case 'engine':
        return await engine.call(name, parsed);
      case 'transport':
        return { mode: 'desktop', version: app.getVersion() };
      case 'desktop': {
        const handler = desktop[name as keyof typeof desktop] as
          ((a: unknown) => unknown) | undefined;
        if (!handler) throw new ContractError('unavailable', `${name} has no desktop handler.`);
        return await handler(parsed);
      }
    }
  };

  for (const name of callNames) {
    ipcMain.handle(name, async (event, args: unknown): Promise<CallOutcome> => {
      if (!isTrusted(event)) {
        return { ok: false, error: { code: 'unavailable', message: 'Refused: unknown sender.' } };
      }
      try {
        return { ok: true, value: (await answer(name, args)) ?? null };
      } catch (error) {
        return { ok: false, error: serializeError(error) };
      }
    });
  }

  const forward = (name: EventName, payload: unknown) => {
    const win = window();
    if (win && !win.isDestroyed()) win.webContents.send(name, payload);
  };
  const onRestarted = (payload: unknown) => forward('engine.restarted', payload);
  engine.on('event', forward);
  engine.on('restarted', onRestarted);

  return () => {
    for (const name of callNames) ipcMain.removeHandler(name);
    engine.off('event', forward);
    engine.off('restarted', onRestarted);
  };
}
