// Search results (similar photos, colour and text search): thumbnails in score order, each with
// its real score and, when the engine sent it, the photo's palette as swatches. Clicking opens the
// viewer, which steps through the results.
import { useState, type ReactNode } from 'react';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { fileName } from '../format.ts';
import { useApi } from '../hooks/api.tsx';
import { Viewer } from './Viewer.tsx';

/**
 * A search screen's results column: the title with a count, the error if the search failed, then
 * the grid, or `empty` (what to say when there is nothing to show) once the search is done.
 */
export function ResultsSection({
  title,
  busy,
  error,
  results,
  scoreLabel,
  exclude,
  empty,
}: {
  title: ReactNode;
  busy: boolean;
  error: string | null;
  results: ScoredPhoto[] | null;
  scoreLabel: string;
  exclude?: number;
  empty: ReactNode;
}) {
  return (
    <section className="query-results" aria-label="Results" aria-busy={busy}>
      <header className="toolbar">
        <h2 className="toolbar-title">
          {title}
          <span className="count">
            {busy ? 'Searching…' : results ? `${results.length} photos, best first` : ''}
          </span>
        </h2>
      </header>
      {error && (
        <p className="error-text query-error" role="alert">
          {error}
        </p>
      )}
      {results && results.length > 0 ? (
        <ResultGrid results={results} scoreLabel={scoreLabel} exclude={exclude} />
      ) : (
        !busy && empty && <p className="muted query-empty">{empty}</p>
      )}
    </section>
  );
}

export function ResultGrid({
  results,
  scoreLabel,
  exclude,
}: {
  results: ScoredPhoto[];
  /** What the score means, e.g. "cosine similarity". */
  scoreLabel: string;
  /** A photo to leave out (the query photo itself). */
  exclude?: number;
}) {
  const api = useApi();
  const shown = exclude === undefined ? results : results.filter((r) => r.photo.id !== exclude);
  const [open, setOpen] = useState<number | null>(null);
  const current = open === null ? undefined : shown[open];
  return (
    <>
      <ol className="results" aria-label="Results" data-testid="results">
        {shown.map((result, i) => (
          <li key={result.photo.id} className="result">
            <button
              type="button"
              className="result-open"
              aria-label={`${fileName(result.photo.path)}, ${scoreLabel} ${formatScore(result.score)}`}
              onClick={() => setOpen(i)}
            >
              <img src={api.thumbUrl(result.photo)} alt="" loading="lazy" draggable={false} />
            </button>
            <div className="result-meta">
              <span className="result-score" title={scoreLabel} data-testid="score">
                {formatScore(result.score)}
              </span>
              {result.palette && result.palette.length > 0 && (
                <span
                  className="result-palette"
                  aria-label={`Palette ${result.palette.join(', ')}`}
                >
                  {result.palette.map((hex, j) => (
                    <span key={j} style={{ background: hex }} title={hex} />
                  ))}
                </span>
              )}
            </div>
            <span className="result-name" title={result.photo.path}>
              {fileName(result.photo.path)}
            </span>
          </li>
        ))}
      </ol>
      {current && open !== null && (
        <Viewer
          photo={current.photo}
          hasPrevious={open > 0}
          hasNext={open < shown.length - 1}
          onPrevious={() => setOpen((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => setOpen((i) => (i === null ? i : Math.min(shown.length - 1, i + 1)))}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}

export function formatScore(score: number): string {
  return score.toFixed(3);
}
