// Everyone whose face was found, for the People screen and the person pickers of the Library and
// the Map. Fetched again when the library changes, when a screen changed people itself (a
// rename, a merge, a face moved out: there is no people event), and every few seconds while
// photos are still waiting for face detection.
import { useCallback, useEffect, useState } from 'react';
import type { PeopleView, PersonCard } from '../../shared/domain.ts';
import { useApi, useLibrary } from './api.tsx';

/** How often to ask again while faces are still being looked for. */
const PENDING_POLL_MS = 4000;

export interface People {
  view: PeopleView | null;
  error: string | null;
  /** Asks again now, e.g. after a rename. */
  reload(): void;
}

// Every mounted user of the list hears about a change made through any of them, so a rename on
// the open person also updates the cards and the merge picker beside it.
const reloaders = new Set<() => void>();

/** Tells every mounted people view that people changed. */
export function peopleChanged(): void {
  for (const reload of reloaders) reload();
}

/**
 * `watchPending`: ask again every few seconds while faces are still being looked for (the People
 * screen); a person picker only needs the list as it stands.
 */
export function usePeople({ watchPending = false }: { watchPending?: boolean } = {}): People {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [view, setView] = useState<PeopleView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asked, setAsked] = useState(0);
  const reload = useCallback(() => setAsked((n) => n + 1), []);

  useEffect(() => {
    reloaders.add(reload);
    return () => {
      reloaders.delete(reload);
    };
  }, [reload]);

  useEffect(() => {
    let live = true;
    api.invoke('people.list', {}).then(
      (next) => {
        if (!live) return;
        setView(next);
        setError(null);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, photosVersion, asked]);

  const pending = view?.pending ?? 0;
  useEffect(() => {
    if (!watchPending || pending === 0) return;
    const timer = setTimeout(reload, PENDING_POLL_MS);
    return () => clearTimeout(timer);
  }, [watchPending, pending, view, reload]);

  return { view, error, reload };
}

/** A person as people read them: their name, or "Unnamed" until they are given one. */
export function personName(person: Pick<PersonCard, 'name'> | null | undefined): string {
  return person?.name ?? 'Unnamed';
}

/** A person inside a sentence ("photos with Ada", "photos with an unnamed person"). */
export function personInSentence(person: Pick<PersonCard, 'name'> | null | undefined): string {
  return person?.name ?? (person ? 'an unnamed person' : 'this person');
}
