// The renderer's one door to Shoebox. In the desktop app the preload has put `window.shoebox`
// (Electron IPC) on the page; in a browser tab served by `shoebox serve` there is none, so calls
// go over a WebSocket to the server that served the page. Screens see the same interface either
// way, plus the URLs of thumbnails and full images, which differ by transport.
import {
  ContractError,
  deserializeError,
  type CallArgs,
  type CallName,
  type CallResult,
  type EventName,
  type Events,
  type PreloadBridge,
  type ServerMessage,
  type ShoeboxBridge,
} from '../../shared/api.ts';
import type { Photo } from '../../shared/domain.ts';

declare global {
  interface Window {
    shoebox?: PreloadBridge;
  }
}

export interface ApiClient extends ShoeboxBridge {
  readonly mode: 'desktop' | 'browser';
  thumbUrl(photo: Photo): string;
  fullUrl(photo: Photo): string;
}

/** Changes when the photo's bytes may have changed, so a cached image is never stale. */
function versionOf(photo: Photo): string {
  return encodeURIComponent(photo.contentHash ?? `${photo.size}-${Math.round(photo.mtimeMs)}`);
}

export function createApiClient(): ApiClient {
  const bridge = window.shoebox;
  if (bridge) {
    return {
      mode: 'desktop',
      invoke: async <N extends CallName>(name: N, args: CallArgs<N>) => {
        const outcome = await bridge.invoke(name, args);
        if (!outcome.ok) throw deserializeError(outcome.error);
        return outcome.value as CallResult<N>;
      },
      on: (name, listener) => bridge.on(name, listener),
      thumbUrl: (photo) => `shoebox-media://media/thumb/${photo.id}?v=${versionOf(photo)}`,
      fullUrl: (photo) => `shoebox-media://media/full/${photo.id}?v=${versionOf(photo)}`,
    };
  }
  return createSocketClient();
}

type Listener = (payload: unknown) => void;

function createSocketClient(): ApiClient {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<EventName, Set<Listener>>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | null = null;
  let retryMs = 250;

  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // The token cookie set when the page was first opened authorises the socket too.
    const ws = new WebSocket(`${scheme}://${location.host}/api`);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.kind === 'event') {
        for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
        return;
      }
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(deserializeError(message.error));
    };
    ws.onclose = () => {
      socket = null;
      for (const waiter of pending.values()) {
        waiter.reject(new ContractError('unavailable', 'Lost the connection to Shoebox.'));
      }
      pending.clear();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  return {
    mode: 'browser',
    invoke<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      const id = nextId++;
      const text = JSON.stringify({ kind: 'call', id, name, args });
      return new Promise<CallResult<N>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
      const set = listeners.get(name) ?? new Set<Listener>();
      listeners.set(name, set);
      set.add(listener as Listener);
      return () => set.delete(listener as Listener);
    },
    thumbUrl: (photo) => `/media/thumb/${photo.id}?v=${versionOf(photo)}`,
    fullUrl: (photo) => `/media/full/${photo.id}?v=${versionOf(photo)}`,
  };
}
