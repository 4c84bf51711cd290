// The preload: the only file touching ipcRenderer. It exposes exactly one object,
// `window.shoebox`, whose calls and events are the contract's names and nothing more; the
// renderer never gets ipcRenderer, event objects or any Node API.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isCallName, isEventName, type CallOutcome, type PreloadBridge } from '../shared/api.ts';

const bridge: PreloadBridge = {
  invoke(name, args) {
    if (!isCallName(name)) {
      return Promise.resolve<CallOutcome>({
        ok: false,
        error: { code: 'unknown-call', message: `There is no call named ${String(name)}.` },
      });
    }
    return ipcRenderer.invoke(name, args) as Promise<CallOutcome>;
  },
  on(name, listener) {
    if (!isEventName(name)) throw new Error(`There is no event named ${String(name)}.`);
    // Only the payload crosses: the IPC event object would leak `sender` to the page.
    const relay = (_event: IpcRendererEvent, payload: unknown) =>
      listener(payload as Parameters<typeof listener>[0]);
    ipcRenderer.on(name, relay);
    return () => {
      ipcRenderer.removeListener(name, relay);
    };
  },
};

contextBridge.exposeInMainWorld('shoebox', bridge);
