// Colours: pick one to five colours, each with the share of the picture it should cover, and
// see the photos whose palettes match best (an exact optimal matching in the engine, so the
// score is real). The picker starts from a photo's palette when the viewer sent us here, and the
// query lives in the URL so a search can be linked.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { ResultsSection } from '../components/ResultGrid.tsx';
import { useApi } from '../hooks/api.tsx';

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
  const [params, setParams] = useSearchParams();
  const picks = useMemo(() => parsePicks(params.get('c')), [params]);
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
        empty={results ? 'No photos have a palette yet.' : 'Add a colour to start.'}
      />
    </div>
  );
}
