// Search results (similar photos, colour and text search): thumbnails in score order, each with
// its real score and, when the engine sent it, the photo's palette as swatches. Clicking opens the
// viewer, which steps through the results.
import { useState } from 'react';
import type { ScoredPhoto } from '../../shared/domain.ts';
import { fileName } from '../format.ts';
import { useApi } from '../hooks/api.tsx';
import { Viewer } from './Viewer.tsx';

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
