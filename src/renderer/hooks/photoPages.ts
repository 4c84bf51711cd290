// Photos for a virtualised view, fetched a page at a time as rows come into sight. Pages stay
// cached until the query or the library changes; on a change the old pages keep showing until
// their replacements arrive, so the grid does not flash empty while indexing.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PhotoSort } from '../../shared/api.ts';
import type { Photo } from '../../shared/domain.ts';
import { useApi } from './api.tsx';

export const PAGE_SIZE = 300;

export interface PhotoQuery {
  sort: PhotoSort;
  descending: boolean;
  folderId?: number;
  /** Only the photos this person's face was found in. */
  personId?: number;
}

export interface PhotoPages {
  total: number | null;
  photoAt(index: number): Photo | undefined;
  /** Asks for the rows in [start, end) to be loaded; cheap to call on every frame. */
  ensureRange(start: number, end: number): void;
  /** Fetches one photo's page if needed, for the viewer's previous/next. */
  loadAt(index: number): Promise<Photo | undefined>;
}

export function usePhotoPages(query: PhotoQuery, version: number): PhotoPages {
  const api = useApi();
  const [total, setTotal] = useState<number | null>(null);
  const [, setTick] = useState(0);
  const pages = useRef(new Map<number, Photo[]>());
  const fresh = useRef(new Set<number>());
  const inflight = useRef(new Map<number, Promise<void>>());
  const generation = useRef(0);
  const { sort, descending, folderId, personId } = query;
  const lastRange = useRef<[number, number]>([0, PAGE_SIZE]);

  const fetchPage = useCallback(
    (page: number): Promise<void> => {
      const running = inflight.current.get(page);
      if (running) return running;
      const gen = generation.current;
      const promise = api
        .invoke('photos.list', {
          sort,
          descending,
          offset: page * PAGE_SIZE,
          limit: PAGE_SIZE,
          ...(folderId !== undefined ? { folderId } : {}),
          ...(personId !== undefined ? { personId } : {}),
        })
        .then((result) => {
          if (gen !== generation.current) return;
          pages.current.set(page, result.photos);
          fresh.current.add(page);
          setTotal(result.total);
          setTick((t) => t + 1);
        })
        .catch(() => undefined)
        .finally(() => {
          if (inflight.current.get(page) === promise) inflight.current.delete(page);
        });
      inflight.current.set(page, promise);
      return promise;
    },
    [api, sort, descending, folderId, personId],
  );

  const ensureRange = useCallback(
    (start: number, end: number) => {
      lastRange.current = [start, end];
      const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
      const last = Math.floor(Math.max(0, end - 1) / PAGE_SIZE);
      for (let page = first; page <= last; page++) {
        if (!fresh.current.has(page)) void fetchPage(page);
      }
    },
    [fetchPage],
  );

  // A new query starts from nothing; a new library version only marks pages stale.
  useEffect(() => {
    generation.current += 1;
    pages.current = new Map();
    fresh.current = new Set();
    inflight.current = new Map();
    setTotal(null);
    void fetchPage(0);
  }, [fetchPage]);

  useEffect(() => {
    if (version === 0) return;
    generation.current += 1;
    fresh.current = new Set();
    inflight.current = new Map();
    const [start, end] = lastRange.current;
    void fetchPage(0);
    ensureRange(start, end);
  }, [version, fetchPage, ensureRange]);

  const photoAt = useCallback((index: number) => {
    const page = pages.current.get(Math.floor(index / PAGE_SIZE));
    return page?.[index % PAGE_SIZE];
  }, []);

  const loadAt = useCallback(
    async (index: number) => {
      const page = Math.floor(index / PAGE_SIZE);
      if (!pages.current.has(page)) await fetchPage(page);
      return photoAt(index);
    },
    [fetchPage, photoAt],
  );

  return { total, photoAt, ensureRange, loadAt };
}
