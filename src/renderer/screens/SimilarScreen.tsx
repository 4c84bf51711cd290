// Similar: start from a photo (the viewer's "Similar by content / colour"), a dropped file ("do I
// already have this?") or a description (with a CLIP model), and see the closest photos with
// their scores. A dropped file is only looked at, never added to the library. Opened with no
// query, it starts from a photo of the library (the last one opened in the viewer, else the
// newest) and says which, so the screen shows photos at once and how it got them.
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useSearchParams } from 'react-router';
import { MAX_UPLOAD_BYTES, type PhotoDetails } from '../../shared/api.ts';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { ResultsSection, formatScore } from '../components/ResultGrid.tsx';
import { fileName, formatBytes } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import { lastViewed } from '../last-viewed.ts';

const RESULTS = 120;

type By = 'content' | 'colour';

type Query =
  | { kind: 'photo'; photoId: number }
  | { kind: 'file'; name: string; preview: string | null }
  | { kind: 'text'; text: string };

export function SimilarScreen() {
  const api = useApi();
  const { status } = useLibrary();
  const [params, setParams] = useSearchParams();
  const by: By = params.get('by') === 'colour' ? 'colour' : 'content';
  const photoParam = Number(params.get('photo'));
  const photoId = Number.isInteger(photoParam) && photoParam > 0 ? photoParam : null;
  const [query, setQuery] = useState<Query | null>(null);
  const [source, setSource] = useState<PhotoDetails | null>(null);
  const [results, setResults] = useState<ScoredPhoto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState(params.get('q') ?? '');
  const [path, setPath] = useState('');
  const [textUnavailable, setTextUnavailable] = useState<string | null>(null);
  const lastFile = useRef<{ name: string; base64: string } | null>(null);
  const sequence = useRef(0);
  /** The photo the screen chose to start from when opened with no query, and why. */
  const [starter, setStarter] = useState<{ photoId: number; why: string } | null>(null);
  const startChosen = useRef(false);

  const run = async (next: Query, work: () => Promise<ScoredPhoto[]>) => {
    const mine = ++sequence.current;
    setQuery(next);
    setBusy(true);
    setError(null);
    try {
      const found = await work();
      if (mine === sequence.current) setResults(found);
    } catch (e) {
      if (mine !== sequence.current) return;
      setResults(null);
      const err = e as Error & { code?: string };
      if (next.kind === 'text' && err.code === 'unavailable') setTextUnavailable(err.message);
      else setError(err.message);
    } finally {
      if (mine === sequence.current) setBusy(false);
    }
  };

  // Starting from a photo in the library (the URL says which, and by what).
  useEffect(() => {
    if (photoId === null) return;
    api.invoke('photos.get', { photoId }).then(setSource, () => setSource(null));
    void run({ kind: 'photo', photoId }, () =>
      api.invoke('similar.photo', { photoId, by, k: RESULTS + 1 }),
    );
  }, [api, photoId, by]);

  // Opened with no query: start from the last photo opened in the viewer, else the newest one.
  // Chosen once per visit, and dropped if the person asked something meanwhile.
  const libraryDir = status?.dir;
  useEffect(() => {
    if (startChosen.current || !libraryDir) return;
    startChosen.current = true;
    if (photoId !== null || params.get('q')) return;
    const asked = sequence.current;
    void chooseStarter(api, libraryDir).then(
      (chosen) => {
        if (!chosen || sequence.current !== asked) return;
        setStarter(chosen);
        setParams(
          (current) => {
            const next = new URLSearchParams(current);
            next.set('photo', String(chosen.photoId));
            return next;
          },
          { replace: true },
        );
      },
      (e: Error) => sequence.current === asked && setError(e.message),
    );
  }, [api, libraryDir]);

  // A text search from the URL runs once on arrival.
  useEffect(() => {
    const q = params.get('q');
    if (q && photoId === null) void searchText(q);
  }, []);

  const searchText = async (value: string) => {
    const trimmed = value.trim();
    if (!trimmed) return;
    setTextUnavailable(null);
    const next = new URLSearchParams();
    next.set('q', trimmed);
    setParams(next, { replace: true });
    await run({ kind: 'text', text: trimmed }, () =>
      api.invoke('search.text', { text: trimmed, k: RESULTS }),
    );
  };

  const askAboutFile = async (file: File) => {
    if (file.size > MAX_UPLOAD_BYTES) {
      setError(
        `${file.name} is ${formatBytes(file.size)}; files up to ${formatBytes(MAX_UPLOAD_BYTES)} can be compared.`,
      );
      return;
    }
    const base64 = await readBase64(file);
    lastFile.current = { name: file.name, base64 };
    setParams(new URLSearchParams(by === 'colour' ? { by } : {}), { replace: true });
    setSource(null);
    const preview = URL.createObjectURL(file);
    await uploadQuery(file.name, base64, preview, by);
  };

  const uploadQuery = (name: string, base64: string, preview: string | null, how: By) =>
    run({ kind: 'file', name, preview }, () =>
      api.invoke('similar.upload', { name, bytesBase64: base64, by: how, k: RESULTS }),
    );

  // The dropped file's preview lives until another file replaces it.
  const preview = query?.kind === 'file' ? query.preview : null;
  useEffect(() => {
    return () => {
      if (preview) URL.revokeObjectURL(preview);
    };
  }, [preview]);

  const setBy = (next: By) => {
    const p = new URLSearchParams(params);
    if (next === 'content') p.delete('by');
    else p.set('by', next);
    setParams(p, { replace: true });
    // A dropped file is asked about again the new way; a photo's query follows the URL.
    const file = lastFile.current;
    if (query?.kind === 'file' && file) {
      void uploadQuery(file.name, file.base64, query.preview, next);
    }
  };

  const [dragging, setDragging] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void askAboutFile(file);
  };

  const best = results?.[0];
  const hasClip = status ? !/fingerprint/i.test(status.model.id) : true;

  return (
    <div className="screen query-screen similar" data-testid="similar">
      <aside className="query-panel" aria-label="Query">
        <h1>Similar photos</h1>
        <section aria-labelledby="q-text">
          <h2 id="q-text">Describe it</h2>
          <form
            className="query-row"
            onSubmit={(e) => {
              e.preventDefault();
              void searchText(text);
            }}
          >
            <input
              type="text"
              value={text}
              placeholder="a dog on a beach"
              aria-label="Describe the photo"
              onChange={(e) => setText(e.target.value)}
            />
            <button type="submit">Search</button>
          </form>
          {textUnavailable && (
            <p className="muted" data-testid="text-unavailable">
              {textUnavailable}
            </p>
          )}
          {!hasClip && !textUnavailable && (
            <p className="muted hint">Searching by words needs a CLIP model (Settings).</p>
          )}
        </section>
        <section aria-labelledby="q-file">
          <h2 id="q-file">Do I already have this?</h2>
          <label
            className={`drop-zone${dragging ? ' dragging' : ''}`}
            data-testid="drop-zone"
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            {query?.kind === 'file' && query.preview ? (
              <img src={query.preview} alt={query.name} />
            ) : (
              <span>Drop a photo here, or click to choose one. It is compared, never added.</span>
            )}
            <input
              type="file"
              accept="image/*"
              className="visually-hidden"
              aria-label="Choose a photo to compare"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void askAboutFile(file);
                e.target.value = '';
              }}
            />
          </label>
          <form
            className="query-row"
            onSubmit={(e) => {
              e.preventDefault();
              const p = path.trim();
              if (!p) return;
              lastFile.current = null;
              void run({ kind: 'file', name: fileName(p), preview: null }, () =>
                api.invoke('similar.file', { path: p, by, k: RESULTS }),
              );
            }}
          >
            <input
              type="text"
              value={path}
              placeholder="or type a file’s path"
              aria-label="Path of a photo to compare"
              onChange={(e) => setPath(e.target.value)}
            />
            <button type="submit">Compare</button>
          </form>
          {query?.kind === 'file' && best && !busy && (
            <p className="answer" data-testid="answer">
              Closest: <strong>{fileName(best.photo.path)}</strong>, similarity{' '}
              {formatScore(best.score)}
              {best.score >= 0.99 ? ' — you very likely have this one already.' : '.'}
            </p>
          )}
        </section>
        {query?.kind !== 'text' && (
          <section aria-labelledby="q-by">
            <h2 id="q-by">Compare by</h2>
            <div className="segmented" role="radiogroup" aria-labelledby="q-by">
              {(['content', 'colour'] as const).map((value) => (
                <button
                  key={value}
                  type="button"
                  role="radio"
                  aria-checked={by === value}
                  className={by === value ? 'active' : undefined}
                  onClick={() => setBy(value)}
                >
                  {value === 'content' ? 'Content' : 'Colour'}
                </button>
              ))}
            </div>
          </section>
        )}
        {query?.kind === 'photo' && source && (
          <section className="query-photo">
            <h2>From this photo</h2>
            {starter?.photoId === source.id && (
              <p className="muted hint" data-testid="starter-why">
                {starter.why}. Drop a file, describe a photo, or open one in the library to start
                from another.
              </p>
            )}
            <img src={api.thumbUrl(source)} alt={fileName(source.path)} />
            <span className="muted">{fileName(source.path)}</span>
          </section>
        )}
      </aside>
      <ResultsSection
        title={describe(query)}
        busy={busy}
        error={error}
        results={results}
        scoreLabel={
          query?.kind === 'text'
            ? 'text match'
            : by === 'colour'
              ? 'palette match'
              : 'cosine similarity'
        }
        exclude={query?.kind === 'photo' ? query.photoId : undefined}
        empty={
          // Beside an error, nothing more to say.
          !error &&
          (results
            ? 'Nothing similar found.'
            : 'Pick a photo in the library, drop a file, or describe what you are looking for.')
        }
      />
    </div>
  );
}

/**
 * The photo to start from when the screen opens with no query: the last one opened in the viewer
 * (if it is still in the library), else the newest by date taken, else the first by name.
 */
async function chooseStarter(
  api: ReturnType<typeof useApi>,
  libraryDir: string,
): Promise<{ photoId: number; why: string } | null> {
  const remembered = lastViewed(libraryDir);
  if (remembered !== null) {
    const photo = await api.invoke('photos.get', { photoId: remembered });
    if (photo && photo.status === 'indexed') {
      return { photoId: photo.id, why: 'The last photo you opened' };
    }
  }
  const newest = await api.invoke('photos.list', {
    sort: 'takenAt',
    descending: true,
    offset: 0,
    limit: 1,
  });
  const first = newest.photos[0];
  if (!first) return null;
  if (first.takenAt !== null) return { photoId: first.id, why: 'The newest photo in the library' };
  const byName = await api.invoke('photos.list', { sort: 'name', offset: 0, limit: 1 });
  const named = byName.photos[0] ?? first;
  return { photoId: named.id, why: 'The first photo by name (none has a date taken)' };
}

function describe(query: Query | null): string {
  if (!query) return 'Results';
  if (query.kind === 'photo') return 'Photos like this one';
  if (query.kind === 'file') return `Photos like ${query.name}`;
  return `Photos matching “${query.text}”`;
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new Error(`Could not read ${file.name}.`));
    reader.readAsDataURL(file);
  });
}
