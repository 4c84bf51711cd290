// Entry of the engine's utility process. It opens the library (which starts its own decode
// workers and SQLite catalog here, off Electron's main thread) and answers the main process's
// messages with the same handlers `shoebox serve` uses.
import type { ParentPort } from 'electron';
import { serializeError } from '../../shared/api.ts';
import { defaultLibraryDir, openLibrary } from '../engine/library.ts';
import {
  createEngineHandlers,
  dispatchEngineCall,
  relayEngineEvents,
} from '../handlers/engine-handlers.ts';
import { resolveMedia } from '../handlers/media.ts';
import { electronTrashMover } from '../engine/trash/os-trash.ts';
import type { FromHost, ToHost } from './protocol.ts';

const port = (process as NodeJS.Process & { parentPort?: ParentPort }).parentPort;
if (!port) {
  throw new Error('The engine host runs only as an Electron utility process.');
}
const send = (message: FromHost) => port.postMessage(message);

const trashRequests = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextTrashRequest = 1;
function askMainToTrash(path: string): Promise<void> {
  const requestId = nextTrashRequest++;
  return new Promise((resolve, reject) => {
    trashRequests.set(requestId, { resolve, reject });
    send({ kind: 'trashItem', requestId, path });
  });
}

async function main(parentPort: ParentPort): Promise<void> {
  // Threads, not processes, for decoding: a packaged app's fuses forbid starting Electron as
  // Node, and this utility process is already the crash boundary (main restarts it). Bundled
  // models are found in the app's resources folder.
  const resourcesDir = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  const library = await openLibrary(defaultLibraryDir(), {
    watch: true,
    workerTransport: 'thread',
    models: { resourcesDir: resourcesDir ?? null },
    // Emptying the trash goes through main's shell.trashItem (Recycle Bin, macOS Trash, and the
    // freedesktop trash the desktop environment knows).
    osTrash: electronTrashMover(askMainToTrash),
  });
  const handlers = createEngineHandlers(library);
  relayEngineEvents(library, (name, payload) => send({ kind: 'event', name, payload }));

  parentPort.on('message', ({ data }: { data: ToHost }) => {
    if (data.kind === 'trashItemDone') {
      const waiter = trashRequests.get(data.requestId);
      trashRequests.delete(data.requestId);
      if (data.error === null) waiter?.resolve();
      else waiter?.reject(new Error(data.error));
      return;
    }
    if (data.kind === 'close') {
      void library.close().finally(() => {
        send({ kind: 'closed' });
        process.exit(0);
      });
      return;
    }
    void (async () => {
      try {
        const value =
          data.kind === 'call'
            ? await dispatchEngineCall(handlers, data.name, data.args)
            : resolveMedia(library, data.media, data.idText);
        send({ kind: 'result', id: data.id, ok: true, value: value ?? null });
      } catch (error) {
        send({ kind: 'result', id: data.id, ok: false, error: serializeError(error) });
      }
    })();
  });
  send({ kind: 'ready', dir: library.dir });
}

main(port).catch((error: unknown) => {
  // Opening the library failed (unreadable catalog, disk full): say why, then stop, so the
  // main process can tell the person instead of waiting forever.
  send({ kind: 'fatal', message: error instanceof Error ? error.message : String(error) });
  setTimeout(() => process.exit(1), 100);
});
