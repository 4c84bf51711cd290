// The engine as seen from Electron's main process: a utility process running host.ts, restarted
// when it dies, with calls waiting for it to be ready. Main stays a thin relay.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { utilityProcess, type UtilityProcess } from 'electron';
import {
  ContractError,
  deserializeError,
  type EngineRestarted,
  type EventName,
} from '../../shared/api.ts';
import type { MediaKind, ResolvedMedia } from '../handlers/media.ts';
import type { FromHost, ToHost } from './protocol.ts';

interface EngineProcessEvents {
  event: [name: EventName, payload: unknown];
  restarted: [EngineRestarted];
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Outgoing = Exclude<ToHost, { kind: 'close' }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Restarts back off from 0.5 s to 30 s, and reset once the engine has stayed up a minute. */
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const STABLE_MS = 60_000;

export class EngineProcess extends EventEmitter<EngineProcessEvents> {
  private child: UtilityProcess | null = null;
  private ready: Promise<void> = Promise.resolve();
  private markReady: (() => void) | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  private backoffMs = MIN_BACKOFF_MS;
  private startedAt = 0;
  private lastFatal: string | null = null;

  constructor(
    private readonly hostPath: string = join(import.meta.dirname, 'engine-host.js'),
    /** Moves a file to the OS trash (shell.trashItem); asked for by the engine. */
    private readonly trashItem: (path: string) => Promise<void> = () =>
      Promise.reject(new Error('the system trash is not available')),
  ) {
    super();
  }

  start(): void {
    this.waitForReady();
    this.startedAt = Date.now();
    this.lastFatal = null;
    const child = utilityProcess.fork(this.hostPath, [], {
      serviceName: 'Shoebox engine',
      stdio: 'inherit',
    });
    this.child = child;
    child.on('message', (message: FromHost) => this.onMessage(message));
    child.once('exit', (code) => this.onExit(child, code));
  }

  call(name: string, args: unknown): Promise<unknown> {
    return this.request({ kind: 'call', name, args });
  }

  media(media: MediaKind, idText: string): Promise<ResolvedMedia | null> {
    return this.request({ kind: 'media', media, idText }) as Promise<ResolvedMedia | null>;
  }

  /** Asks the engine to close the catalog cleanly; kills it if it takes longer than `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.postMessage({ kind: 'close' } satisfies ToHost);
    });
  }

  private waitForReady(): void {
    if (this.markReady) return;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  private async request(message: WithoutId<Outgoing>): Promise<unknown> {
    await this.ready;
    const child = this.child;
    if (!child) throw new ContractError('unavailable', 'The photo engine is not running.');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.postMessage({ ...message, id } as ToHost);
    });
  }

  private onMessage(message: FromHost): void {
    switch (message.kind) {
      case 'ready':
        this.markReady?.();
        this.markReady = null;
        return;
      case 'result': {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(deserializeError(message.error));
        return;
      }
      case 'event':
        this.emit('event', message.name, message.payload);
        return;
      case 'fatal':
        this.lastFatal = message.message;
        return;
      case 'trashItem': {
        const child = this.child;
        void this.trashItem(message.path).then(
          () =>
            child?.postMessage({
              kind: 'trashItemDone',
              requestId: message.requestId,
              error: null,
            } satisfies ToHost),
          (error: unknown) =>
            child?.postMessage({
              kind: 'trashItemDone',
              requestId: message.requestId,
              error: error instanceof Error ? error.message : String(error),
            } satisfies ToHost),
        );
        return;
      }
      case 'closed':
        return;
    }
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = null;
    for (const waiter of this.pending.values()) {
      waiter.reject(
        new ContractError('unavailable', 'The photo engine stopped before answering; try again.'),
      );
    }
    this.pending.clear();
    if (this.stopping) return;
    const reason = this.lastFatal ?? `it exited with code ${code}`;
    if (Date.now() - this.startedAt > STABLE_MS) this.backoffMs = MIN_BACKOFF_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    // Calls made while the engine is down wait for the new one instead of failing.
    this.waitForReady();
    setTimeout(() => {
      if (this.stopping) return;
      this.start();
      void this.ready.then(() => this.emit('restarted', { reason, at: Date.now() }));
    }, delay);
  }
}
