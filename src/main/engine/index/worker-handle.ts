// One worker, as a child process or as a thread, behind the same small face. Processes are the
// default: a native crash or an out-of-memory costs one file. Threads are for hosts that cannot
// start Node processes (a packaged desktop app with the RunAsNode fuse off); there the engine's
// own utility process is the boundary, and the app restarts it.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { WorkerEntry } from './worker-entry.ts';

export type WorkerTransport = 'process' | 'thread';

export interface WorkerHandle {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the worker ends; `crash` describes an end nobody asked for. */
  onExit(listener: (crash: string | null) => void): void;
  /** Ends the worker at once. */
  kill(): void;
  /** Asks the worker to end, and resolves when it has. */
  stop(): Promise<void>;
}

export function startWorker(
  entry: WorkerEntry,
  transport: WorkerTransport,
  options: { maxOldSpaceMb: number },
): WorkerHandle {
  return transport === 'thread' ? startThread(entry, options) : startProcess(entry, options);
}

function startProcess(entry: WorkerEntry, options: { maxOldSpaceMb: number }): WorkerHandle {
  const child = fork(entry.file, [], {
    execArgv: [...entry.execArgv, `--max-old-space-size=${options.maxOldSpaceMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('error', () => {
    // 'exit' follows and reports it.
  });
  return {
    send: (message) => {
      if (child.connected) child.send(message as never);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) =>
      child.once('exit', (code, signal) => {
        if (stopping) listener(null);
        else if (signal) listener(`the decoder crashed on this file (${signal})`);
        else listener(`the decoder stopped unexpectedly (exit code ${code})`);
      }),
    kill: () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

function startThread(entry: WorkerEntry, options: { maxOldSpaceMb: number }): WorkerHandle {
  const worker = new Worker(entry.file, {
    execArgv: entry.execArgv,
    resourceLimits: { maxOldGenerationSizeMb: options.maxOldSpaceMb },
    stdout: true,
  });
  let stopping = false;
  let failure: string | null = null;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (error: Error & { code?: string }) => {
    failure =
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? 'the decoder ran out of memory on this file'
        : 'the decoder stopped unexpectedly';
  });
  return {
    send: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) =>
      worker.once('exit', (code) => {
        if (stopping) listener(null);
        else listener(failure ?? `the decoder stopped unexpectedly (exit code ${code})`);
      }),
    kill: () => {
      stopping = true;
      void worker.terminate();
    },
    stop: () => {
      stopping = true;
      void worker.terminate();
      return exited;
    },
  };
}
