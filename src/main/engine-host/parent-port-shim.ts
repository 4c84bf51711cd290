// Test support: gives a plain Node child the `process.parentPort` that Electron gives a utility
// process, carried over Node's IPC channel, so the engine host can be tested without Electron.
import { EventEmitter } from 'node:events';

const port = Object.assign(new EventEmitter(), {
  postMessage(message: unknown) {
    process.send?.(message);
  },
});
process.on('message', (data) => port.emit('message', { data, ports: [] }));
(process as unknown as { parentPort: typeof port }).parentPort = port;
