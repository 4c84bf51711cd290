// People: everyone whose face Shoebox found in more than one photo, each shown by their most
// typical face, with a name (or "Unnamed") and how many photos they are in. A person opens to
// their faces, most typical first; there they can be named, another person merged into them
// (the same person found twice), and a face that is not theirs moved out. The Library and the
// Map take the person along as a filter.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ContractError } from '../../shared/api.ts';
import type { PeopleView, PersonCard, PersonFacesPage } from '../../shared/domain.ts';
import { FaceCrop } from '../components/FaceCrop.tsx';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import { peopleChanged, personName, usePeople, type People } from '../hooks/people.ts';

const FACES_PAGE = 200;

export function PeopleScreen() {
  const people = usePeople({ watchPending: true });
  const [params, setParams] = useSearchParams();
  const personParam = params.get('person');
  const openId = personParam !== null && /^\d+$/.test(personParam) ? Number(personParam) : null;

  const openPerson = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id === null) next.delete('person');
    else next.set('person', String(id));
    setParams(next);
  };

  return (
    <div className="screen people" data-testid="people">
      {openId !== null ? (
        <PersonView
          key={openId}
          personId={openId}
          people={people}
          onBack={() => openPerson(null)}
          onOpenPerson={openPerson}
        />
      ) : (
        <Overview people={people} onOpen={openPerson} />
      )}
    </div>
  );
}

function Overview({ people, onOpen }: { people: People; onOpen(id: number): void }) {
  const { view, error } = people;
  return (
    <section className="people-main" aria-label="People">
      <header className="toolbar">
        <h1 className="toolbar-title">
          People
          <span className="count" data-testid="people-count">
            {view && view.persons.length > 0
              ? countOf(view.persons.length, 'person', 'people')
              : ''}
          </span>
        </h1>
        <span className="spacer" />
        {view && <PeopleStatus view={view} />}
      </header>
      {error && (
        <p className="error-text people-message" role="alert">
          {error}
        </p>
      )}
      {!view && !error && <p className="muted people-message">Looking for people…</p>}
      {view && view.persons.length === 0 && <EmptyPeople view={view} />}
      {view && view.persons.length > 0 && (
        <ol className="people-cards" aria-label="Everyone found">
          {view.persons.map((person) => (
            <li key={person.id}>
              <button
                type="button"
                className="person-card"
                data-testid="person-card"
                aria-label={`${personName(person)}, ${countOf(person.photoCount, 'photo', 'photos')}`}
                onClick={() => onOpen(person.id)}
              >
                <FaceCrop
                  photo={person.representativePhoto}
                  box={person.representative.box}
                  className="round"
                />
                <span className="person-card-text">
                  <strong className={person.name === null ? 'unnamed' : undefined}>
                    {personName(person)}
                  </strong>
                  <span className="muted">{countOf(person.photoCount, 'photo', 'photos')}</span>
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Faces still being looked for, and faces that belong to nobody, in one quiet line. */
function PeopleStatus({ view }: { view: PeopleView }) {
  const parts: string[] = [];
  if (view.pending > 0) {
    parts.push(`Still looking for faces in ${countOf(view.pending, 'photo', 'photos')}…`);
  }
  if (view.unclustered > 0 && view.persons.length > 0) {
    parts.push(
      `${countOf(view.unclustered, 'face', 'faces')} seen only once or unlike anyone else ${view.unclustered === 1 ? 'is' : 'are'} not shown.`,
    );
  }
  if (parts.length === 0) return null;
  return (
    <span className="muted people-status" role="status" data-testid="people-status">
      {parts.join(' ')}
    </span>
  );
}

function EmptyPeople({ view }: { view: PeopleView }) {
  const { folders } = useLibrary();
  let text: string;
  if (folders !== null && folders.length === 0) {
    text = 'Add a folder of photos in the Library; people appear here as their faces are found.';
  } else if (view.pending > 0) {
    text = `Looking for faces: ${countOf(view.pending, 'photo', 'photos')} still to look at. People appear here as they are found.`;
  } else if (view.unclustered > 0) {
    text = `${countOf(view.unclustered, 'face', 'faces')} found, but nobody is in more than one photo yet. A person appears here once their face is found in several photos.`;
  } else {
    text =
      'No faces found in your photos yet. Shoebox looks for faces in every photo it indexes, on this computer.';
  }
  return (
    <div className="people-empty" data-testid="people-empty">
      <p>{text}</p>
      {folders !== null && folders.length === 0 && (
        <Link to="/library" className="button-link">
          Go to the Library
        </Link>
      )}
    </div>
  );
}

function PersonView({
  personId,
  people,
  onBack,
  onOpenPerson,
}: {
  personId: number;
  people: People;
  onBack(): void;
  onOpenPerson(id: number): void;
}) {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [page, setPage] = useState<PersonFacesPage | null>(null);
  const [faces, setFaces] = useState<PersonFacesPage['faces']>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [changes, setChanges] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const [merging, setMerging] = useState(false);
  // How many faces are shown, so a refresh after a change brings back as many.
  const shown = useRef(FACES_PAGE);

  useEffect(() => {
    let live = true;
    api.invoke('people.show', { personId, offset: 0, limit: shown.current }).then(
      (next) => {
        if (!live) return;
        setPage(next);
        setFaces(next.faces);
        setError(null);
      },
      (e: Error) => {
        if (!live) return;
        if (e instanceof ContractError && e.code === 'not-found') {
          // Merged into someone else, or their last face moved out (here or elsewhere).
          setPage(null);
          setFaces([]);
          setOpen(null);
          setError('This person is no longer listed: their faces joined someone else or left.');
        } else setError(e.message);
      },
    );
    return () => {
      live = false;
    };
  }, [api, personId, photosVersion, changes]);

  const more = (offset: number) => {
    shown.current = offset + FACES_PAGE;
    api.invoke('people.show', { personId, offset, limit: FACES_PAGE }).then(
      (next) => setFaces((list) => [...list.slice(0, offset), ...next.faces]),
      (e: Error) => setError(e.message),
    );
  };

  /** After a change: this person's faces and everyone's cards are fetched again. */
  const changed = (message: string | null) => {
    setNotice(message);
    setChanges((n) => n + 1);
    peopleChanged();
  };

  const person = page?.person ?? null;
  const current = open === null ? undefined : faces[open];
  const others = (people.view?.persons ?? []).filter((p) => p.id !== personId);

  return (
    <section className="people-main" aria-label="Person">
      <header className="toolbar person-toolbar">
        <button type="button" onClick={onBack}>
          ← All people
        </button>
        {person ? (
          <PersonName
            person={person}
            onRenamed={(renamed) => {
              setPage((p) => (p ? { ...p, person: renamed } : p));
              changed(null);
            }}
          />
        ) : (
          <h1 className="toolbar-title">{error ? 'Person' : 'Loading…'}</h1>
        )}
        {person && (
          <span className="count" data-testid="person-counts">
            {countOf(person.photoCount, 'photo', 'photos')} ·{' '}
            {countOf(person.faceCount, 'face', 'faces')}
          </span>
        )}
        <span className="spacer" />
        {person && (
          <>
            <Link className="button-link" to={`/library?person=${person.id}`}>
              Show in Library
            </Link>
            <Link className="button-link" to={`/map?person=${person.id}`}>
              Show on Map
            </Link>
            <button
              type="button"
              aria-expanded={merging}
              aria-controls="merge-person"
              disabled={others.length === 0}
              title={others.length === 0 ? 'There is nobody else to merge with.' : undefined}
              onClick={() => setMerging((on) => !on)}
            >
              Merge…
            </button>
          </>
        )}
      </header>
      {merging && person && (
        <MergePanel
          person={person}
          others={others}
          onClose={() => setMerging(false)}
          onMerged={(merged, from) => {
            setMerging(false);
            changed(`${personName(from)} is now part of ${personName(merged)}.`);
          }}
        />
      )}
      {error && (
        <p className="error-text people-message" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="people-notice" role="status">
          {notice}
        </p>
      )}
      {page && (
        <ol className="person-faces" aria-label="Faces" data-testid="person-faces">
          {faces.map(({ face, photo }, i) => (
            <li key={face.id} className="person-face">
              <button
                type="button"
                className="person-face-open"
                aria-label={`Open ${fileName(photo.path)}`}
                onClick={() => setOpen(i)}
              >
                <FaceCrop photo={photo} box={face.box} />
              </button>
              <span className="person-face-name" title={photo.path}>
                {face.id === page.person.representative.id ? (
                  <span className="tag">most typical</span>
                ) : null}
                {fileName(photo.path)}
              </span>
              <MoveOut
                faceId={face.id}
                name={personName(page.person)}
                last={page.total === 1}
                onMoved={(to, newPersonId) => {
                  if (to === 'new-person' && newPersonId !== null) {
                    changed(`The face in ${fileName(photo.path)} is now a new person.`);
                  } else {
                    changed(`The face in ${fileName(photo.path)} no longer belongs to anyone.`);
                  }
                }}
              />
            </li>
          ))}
        </ol>
      )}
      {page && faces.length < page.total && (
        <button type="button" className="show-more" onClick={() => more(faces.length)}>
          Show more ({formatCount(page.total - faces.length)} left)
        </button>
      )}
      {page && page.total === 0 && (
        <p className="muted people-message">Nobody’s face is left here.</p>
      )}
      {current && open !== null && (
        <Viewer
          photo={current.photo}
          hasPrevious={open > 0}
          hasNext={open < faces.length - 1}
          onPrevious={() => setOpen((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => setOpen((i) => (i === null ? i : Math.min(faces.length - 1, i + 1)))}
          onClose={() => setOpen(null)}
          onOpenPerson={(id) => {
            setOpen(null);
            if (id !== personId) onOpenPerson(id);
          }}
        />
      )}
    </section>
  );
}

/** The person's name as the heading, turned into a field to rename them. */
function PersonName({
  person,
  onRenamed,
}: {
  person: PersonCard;
  onRenamed(person: PersonCard): void;
}) {
  const api = useApi();
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (draft === null) return;
    const name = draft.trim();
    setBusy(true);
    setError(null);
    try {
      // An emptied field takes the name away: the person is "Unnamed" again.
      onRenamed(await api.invoke('people.rename', { personId: person.id, name: name || null }));
      setDraft(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (draft === null) {
    return (
      <h1 className="toolbar-title person-name">
        <span className={person.name === null ? 'unnamed' : undefined} data-testid="person-name">
          {personName(person)}
        </span>
        <button
          type="button"
          className="link-button"
          aria-label={person.name === null ? 'Name this person' : `Rename ${person.name}`}
          onClick={() => setDraft(person.name ?? '')}
        >
          {person.name === null ? 'Add a name' : 'Rename'}
        </button>
      </h1>
    );
  }
  return (
    <form className="rename-form" aria-label="Rename" onSubmit={(e) => void save(e)}>
      <input
        type="text"
        aria-label="Name"
        placeholder="Unnamed"
        value={draft}
        maxLength={100}
        autoFocus
        disabled={busy}
        aria-invalid={error !== null}
        aria-describedby={error ? 'rename-error' : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            // Esc leaves the field, not the screen (nor a dialog behind it).
            e.preventDefault();
            setDraft(null);
            setError(null);
          }
        }}
      />
      <button type="submit" className="primary" disabled={busy}>
        Save
      </button>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setDraft(null);
          setError(null);
        }}
      >
        Cancel
      </button>
      {error && (
        <span id="rename-error" className="error-text" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/**
 * Merging says what will happen before it happens: the other person's faces join this one, who
 * keeps their name. It is undone face by face (Move out), so it asks first.
 */
function MergePanel({
  person,
  others,
  onClose,
  onMerged,
}: {
  person: PersonCard;
  others: PersonCard[];
  onClose(): void;
  onMerged(merged: PersonCard, from: PersonCard): void;
}) {
  const api = useApi();
  const [fromId, setFromId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const from = others.find((p) => p.id === fromId) ?? null;

  const merge = async (event: FormEvent) => {
    event.preventDefault();
    if (!from) {
      setError('Pick the person who is also this one.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onMerged(
        await api.invoke('people.merge', { personId: from.id, intoPersonId: person.id }),
        from,
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      id="merge-person"
      className="merge-panel"
      aria-label="Merge people"
      onSubmit={(e) => void merge(e)}
    >
      <label>
        <span>The same person as {personName(person)}:</span>
        <select
          value={fromId === null ? '' : String(fromId)}
          disabled={busy}
          onChange={(e) => setFromId(e.target.value === '' ? null : Number(e.target.value))}
        >
          <option value="">Pick someone…</option>
          {others.map((p) => (
            <option key={p.id} value={String(p.id)}>
              {personName(p)} · {countOf(p.photoCount, 'photo', 'photos')}
            </option>
          ))}
        </select>
      </label>
      {from && (
        <span className="merge-preview">
          <FaceCrop
            photo={from.representativePhoto}
            box={from.representative.box}
            className="round"
          />
          <span>
            {personName(from)}’s {countOf(from.faceCount, 'face', 'faces')} will join{' '}
            {personName(person)}
            {person.name === null && from.name !== null ? `, who takes the name ${from.name}` : ''}.
            A face can be moved out again afterwards.
          </span>
        </span>
      )}
      <span className="confirm-buttons">
        <button type="submit" className="primary" disabled={busy || !from}>
          Merge
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </span>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/** Takes one face out of the person: to nobody, or to a new person of its own. */
function MoveOut({
  faceId,
  name,
  last,
  onMoved,
}: {
  faceId: number;
  name: string;
  /** The person's only face: moving it out ends the person, so it says so. */
  last: boolean;
  onMoved(to: 'unclustered' | 'new-person', personId: number | null): void;
}) {
  const api = useApi();
  const [choosing, setChoosing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const move = async (to: 'unclustered' | 'new-person') => {
    setBusy(true);
    setError(null);
    try {
      const moved = await api.invoke('faces.moveOut', { faceId, to });
      setChoosing(false);
      onMoved(to, moved.personId);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!choosing) {
    return (
      <button
        type="button"
        className="link-button move-out"
        aria-label={`Not ${name}? Move this face out`}
        onClick={() => setChoosing(true)}
      >
        Not {name}?
      </button>
    );
  }
  return (
    <div className="confirm compact move-out-choice" role="group" aria-label="Move this face out">
      {last && <span className="muted">It is {name}’s only face: the person goes with it.</span>}
      <button type="button" disabled={busy} onClick={() => void move('unclustered')}>
        Nobody I know
      </button>
      <button type="button" disabled={busy} onClick={() => void move('new-person')}>
        Someone else: a new person
      </button>
      <button type="button" disabled={busy} onClick={() => setChoosing(false)}>
        Cancel
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function countOf(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
