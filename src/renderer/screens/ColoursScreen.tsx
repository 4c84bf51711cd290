// Colours: pick one to five colours, each with the share of the picture it should cover, and
// see the photos whose palettes match best (an exact optimal matching in the engine, so the
// score is real). The picker starts from a photo's palette when the viewer sent us here, and the
// query lives in the URL so a search can be linked. Opened with no query, the screen offers the
// library's own most common colours as swatches and searches for the first at once, so it never
// opens empty on a library that has photos.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { LibraryColour, LibraryColours } from '../../shared/api.ts';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { ResultsSection } from '../components/ResultGrid.tsx';
import { formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

const RESULTS = 120;
const MAX_COLOURS = 5;
const SEARCH_DEBOUNCE_MS = 150;

interface Pick {
  hex: string;
  /** Relative weight, 1..100; sent normalised so the shares add up to 1. */
  weight: number;
}

/** `c=ff8800:60,3366cc:40` <-> picks. */
export function parsePicks(text: string | null): Pick[] {
  if (!text) return [];
  return text
    .split(',')
    .slice(0, MAX_COLOURS)
    .flatMap((part) => {
      const match = /^#?([0-9a-f]{6})(?::(\d{1,3}))?$/i.exec(part.trim());
      if (!match) return [];
      const weight = Math.min(100, Math.max(1, Number(match[2] ?? 100)));
      return [{ hex: `#${(match[1] as string).toLowerCase()}`, weight }];
    });
}

export function formatPicks(picks: Pick[]): string {
  return picks.map((p) => `${p.hex.slice(1)}:${Math.round(p.weight)}`).join(',');
}

const starters = ['#d94f30', '#2f6db5', '#e8c547', '#3f8f4e', '#f2efe9'];

export function ColoursScreen() {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [params, setParams] = useSearchParams();
  const picks = useMemo(() => parsePicks(params.get('c')), [params]);
  const [ownColours, setOwnColours] = useState<LibraryColours | null>(null);
  const photoParam = Number(params.get('photo'));
  const fromPhoto = Number.isInteger(photoParam) && photoParam > 0 ? photoParam : null;
  const [results, setResults] = useState<ScoredPhoto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sequence = useRef(0);

  const setPicks = (next: Pick[]) => {
    const p = new URLSearchParams(params);
    p.set('c', formatPicks(next));
    setParams(p, { replace: true });
  };

  // Arriving from a photo with no colours yet: its palette (largest shares first) is the query.
  useEffect(() => {
    if (fromPhoto === null || picks.length > 0) return;
    api.invoke('photos.get', { photoId: fromPhoto }).then(
      (photo) => {
        const palette = [...(photo?.palette ?? [])].sort((a, b) => b.share - a.share);
        if (palette.length === 0) {
          setError('That photo has no palette yet: it is still being indexed.');
          return;
        }
        setPicks(
          palette.slice(0, MAX_COLOURS).map((c) => ({
            hex: c.hex.toLowerCase(),
            weight: Math.max(1, Math.round(c.share * 100)),
          })),
        );
      },
      (e: Error) => setError(e.message),
    );
  }, [api, fromPhoto]);

  // The library's own colours, kept current as photos come and go.
  useEffect(() => {
    let live = true;
    api.invoke('colours.library', {}).then(
      (found) => live && setOwnColours(found),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, photosVersion]);

  // Opened with no query (and not from a photo): the library's most common colour is the first
  // query, so there are photos on the screen without a click. Once per visit: a query the person
  // made is never replaced.
  const started = useRef(false);
  useEffect(() => {
    if (started.current || picks.length > 0 || fromPhoto !== null) {
      started.current = true;
      return;
    }
    const first = ownColours?.colours[0];
    if (!first) return;
    started.current = true;
    setPicks([{ hex: first.hex, weight: 100 }]);
  }, [ownColours, picks.length, fromPhoto]);

  const key = formatPicks(picks);
  useEffect(() => {
    if (picks.length === 0) {
      setResults(null);
      return;
    }
    const mine = ++sequence.current;
    const timer = setTimeout(() => {
      setBusy(true);
      const total = picks.reduce((sum, p) => sum + p.weight, 0);
      api
        .invoke('colours.search', {
          colours: picks.map((p) => ({ hex: p.hex, share: p.weight / total })),
          k: RESULTS,
        })
        .then(
          (found) => {
            if (mine !== sequence.current) return;
            setResults(found);
            setError(null);
          },
          (e: Error) => mine === sequence.current && setError(e.message),
        )
        .finally(() => mine === sequence.current && setBusy(false));
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, key]);

  const update = (index: number, change: Partial<Pick>) =>
    setPicks(picks.map((p, i) => (i === index ? { ...p, ...change } : p)));
  const total = picks.reduce((sum, p) => sum + p.weight, 0);

  return (
    <div className="screen query-screen colours" data-testid="colours">
      <aside className="query-panel" aria-label="Palette">
        <h1>Search by colour</h1>
        <p className="muted">
          Up to five colours, each with how much of the picture it should cover.
        </p>
        <OwnColours
          colours={ownColours}
          current={picks.length === 1 ? picks[0]!.hex : null}
          onPick={(colour) => setPicks([{ hex: colour.hex, weight: 100 }])}
        />
        {picks.length > 0 && (
          <div className="palette-strip big" aria-hidden="true">
            {picks.map((p, i) => (
              <span key={i} style={{ background: p.hex, flexGrow: p.weight }} />
            ))}
          </div>
        )}
        <ol className="picks" aria-label="Colours">
          {picks.map((pick, i) => (
            <li key={i} className="pick">
              <input
                type="color"
                value={pick.hex}
                aria-label={`Colour ${i + 1}`}
                onChange={(e) => update(i, { hex: e.target.value.toLowerCase() })}
              />
              <input
                type="text"
                className="hex-input"
                defaultValue={pick.hex}
                key={pick.hex}
                aria-label={`Colour ${i + 1} as hex`}
                onBlur={(e) => {
                  const parsed = parsePicks(e.target.value)[0];
                  if (parsed) update(i, { hex: parsed.hex });
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                }}
              />
              <input
                type="range"
                min={1}
                max={100}
                value={pick.weight}
                aria-label={`Share of colour ${i + 1}`}
                onChange={(e) => update(i, { weight: Number(e.target.value) })}
              />
              <span className="pick-share">{Math.round((pick.weight / total) * 100)}%</span>
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove colour ${i + 1}`}
                disabled={picks.length === 1}
                onClick={() => setPicks(picks.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          disabled={picks.length >= MAX_COLOURS}
          onClick={() =>
            setPicks([
              ...picks,
              {
                hex: starters.find((s) => !picks.some((p) => p.hex === s)) ?? '#808080',
                weight: 30,
              },
            ])
          }
        >
          + Add a colour
        </button>
      </aside>
      <ResultsSection
        title="Best palette matches"
        busy={busy}
        error={error}
        results={results}
        scoreLabel="palette match"
        empty={
          results || ownColours?.photos === 0
            ? 'No photos have a palette yet. Add a folder in the Library, and its colours appear here.'
            : 'Add a colour to start.'
        }
      />
    </div>
  );
}

/**
 * The library's own most common colours as swatches; each one searches for itself. Says so when
 * the library has no palettes yet rather than showing an empty row.
 */
function OwnColours({
  colours,
  current,
  onPick,
}: {
  colours: LibraryColours | null;
  current: string | null;
  onPick(colour: LibraryColour): void;
}) {
  if (!colours) return null;
  return (
    <section aria-labelledby="own-colours">
      <h2 id="own-colours">Colours of your library</h2>
      {colours.colours.length === 0 ? (
        <p className="muted hint" data-testid="own-colours-empty">
          None yet: colours appear here once photos are indexed.
        </p>
      ) : (
        <ul className="own-colours" data-testid="own-colours">
          {colours.colours.map((colour) => {
            const percent = Math.max(1, Math.round(colour.share * 100));
            return (
              <li key={colour.hex}>
                <button
                  type="button"
                  className="own-colour"
                  style={{ background: colour.hex }}
                  aria-pressed={current === colour.hex}
                  aria-label={`${colour.name}, ${percent}% of the library, in ${formatCount(colour.photos)} photo${colour.photos === 1 ? '' : 's'}`}
                  title={`${colour.name} ${colour.hex}: ${percent}% of the library's area`}
                  onClick={() => onPick(colour)}
                />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
