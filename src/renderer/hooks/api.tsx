// React access to the API client and the library-wide state every screen shares: folders,
// status, indexing progress, notices. Kept fresh by the contract's events, not by polling.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { AppInfo, EventName, Events, LibraryStatus, Notice } from '../../shared/api.ts';
import type { Folder, IndexProgress } from '../../shared/domain.ts';
import type { ApiClient } from '../api/client.ts';

const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs <LibraryProvider>.');
  return api;
}

export function useEvent<E extends EventName>(name: E, listener: (payload: Events[E]) => void) {
  const api = useApi();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => api.on(name, (payload) => latest.current(payload)), [api, name]);
}

export interface ShownNotice extends Notice {
  id: number;
}

export interface LibraryState {
  info: AppInfo | null;
  folders: Folder[] | null;
  status: LibraryStatus | null;
  progress: IndexProgress | null;
  /** Bumped whenever photos were added, changed or removed, so views can refetch. */
  photosVersion: number;
  notices: ShownNotice[];
  dismissNotice(id: number): void;
  refresh(): Promise<void>;
}

const LibraryContext = createContext<LibraryState | null>(null);

export function useLibrary(): LibraryState {
  const state = useContext(LibraryContext);
  if (!state) throw new Error('useLibrary needs <LibraryProvider>.');
  return state;
}

let noticeIds = 1;

export function LibraryProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const [status, setStatus] = useState<LibraryStatus | null>(null);
  const [progress, setProgress] = useState<IndexProgress | null>(null);
  const [photosVersion, setPhotosVersion] = useState(0);
  const [notices, setNotices] = useState<ShownNotice[]>([]);

  const pushNotice = useCallback((notice: Notice) => {
    const id = noticeIds++;
    setNotices((list) => [...list.slice(-3), { ...notice, id }]);
    if (notice.level === 'info') setTimeout(() => dismiss(id), 6000);
  }, []);
  const dismiss = (id: number) => setNotices((list) => list.filter((n) => n.id !== id));

  const refresh = useCallback(async () => {
    try {
      const [nextFolders, nextStatus, nextProgress] = await Promise.all([
        api.invoke('folders.list', {}),
        api.invoke('library.status', {}),
        api.invoke('index.progress', {}),
      ]);
      setFolders(nextFolders);
      setStatus(nextStatus);
      setProgress(nextProgress);
    } catch (error) {
      pushNotice({ level: 'error', message: (error as Error).message });
    }
  }, [api, pushNotice]);

  useEffect(() => {
    void api.invoke('app.info', {}).then(setInfo, () => undefined);
    void refresh();
  }, [api, refresh]);

  // Photos arrive in bursts while indexing; coalesce the refetches they cause.
  const pendingRefresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleRefresh = useCallback(() => {
    if (pendingRefresh.current) return;
    pendingRefresh.current = setTimeout(() => {
      pendingRefresh.current = null;
      setPhotosVersion((v) => v + 1);
      void refresh();
    }, 800);
  }, [refresh]);

  useEffect(() => {
    const offs = [
      api.on('index.progress', (p) => {
        setProgress(p);
        if (!p.running) scheduleRefresh();
      }),
      api.on('photos.changed', scheduleRefresh),
      api.on('app.notice', pushNotice),
      api.on('engine.restarted', (e) => {
        pushNotice({
          level: 'warning',
          message: `The photo engine stopped (${e.reason}) and has been restarted. Indexing picks up where it left off.`,
        });
        scheduleRefresh();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [api, pushNotice, scheduleRefresh]);

  const value = useMemo<LibraryState>(
    () => ({
      info,
      folders,
      status,
      progress,
      photosVersion,
      notices,
      dismissNotice: dismiss,
      refresh,
    }),
    [info, folders, status, progress, photosVersion, notices, refresh],
  );

  return (
    <ApiContext.Provider value={api}>
      <LibraryContext.Provider value={value}>{children}</LibraryContext.Provider>
    </ApiContext.Provider>
  );
}
