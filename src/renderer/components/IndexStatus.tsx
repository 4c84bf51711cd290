// The status line under the grid: indexing progress with rate and ETA while the engine works,
// the library's size when it rests, and the failures with their reasons on demand.
import { useEffect, useState } from 'react';
import type { FailedPhoto } from '../../shared/domain.ts';
import { fileName, formatCount, formatDuration, formatRate } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

export function IndexStatus({ shown }: { shown: number | null }) {
  const api = useApi();
  const { progress, status, photosVersion } = useLibrary();
  const [failuresOpen, setFailuresOpen] = useState(false);
  const [failures, setFailures] = useState<FailedPhoto[] | null>(null);
  const failed = Math.max(progress?.failed ?? 0, status?.failed ?? 0);

  useEffect(() => {
    if (!failuresOpen) return;
    api.invoke('index.failures', {}).then(setFailures, () => setFailures([]));
  }, [api, failuresOpen, photosVersion]);

  const running = progress?.running ?? false;
  const fraction = progress && progress.total > 0 ? progress.done / progress.total : 0;

  return (
    <div className="index-status" data-testid="index-status" data-running={running}>
      {running && progress ? (
        <>
          <div
            className="progress"
            role="progressbar"
            aria-label="Indexing"
            aria-valuemin={0}
            aria-valuemax={progress.total}
            aria-valuenow={progress.done}
          >
            <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
          </div>
          <span>
            Indexing {formatCount(progress.done)} of {formatCount(progress.total)}
          </span>
          {progress.rate > 0 && <span className="muted">{formatRate(progress.rate)}</span>}
          {progress.etaSeconds !== null && (
            <span className="muted">about {formatDuration(progress.etaSeconds)} left</span>
          )}
        </>
      ) : (
        <span data-testid="index-idle">
          {shown !== null ? `${formatCount(shown)} photos` : ''}
          {status && status.pending > 0 ? ` · ${formatCount(status.pending)} waiting` : ''}
          {status?.watchFallback ? ` · ${status.watchFallback}` : ''}
        </span>
      )}
      <span className="spacer" />
      {failed > 0 && (
        <button
          type="button"
          className="link-button warning"
          aria-expanded={failuresOpen}
          onClick={() => setFailuresOpen((open) => !open)}
        >
          {formatCount(failed)} could not be read
        </button>
      )}
      {failuresOpen && (
        <div className="failures" role="region" aria-label="Files that could not be read">
          <div className="failures-head">
            <h3>Files that could not be read</h3>
            <button
              type="button"
              className="icon-button"
              aria-label="Close list"
              onClick={() => setFailuresOpen(false)}
            >
              ✕
            </button>
          </div>
          {failures === null ? (
            <p className="muted">Loading…</p>
          ) : failures.length === 0 ? (
            <p className="muted">None right now.</p>
          ) : (
            <ul>
              {failures.map((f) => (
                <li key={f.path}>
                  <span className="failure-name" title={f.path}>
                    {fileName(f.path)}
                  </span>
                  <span className="failure-reason">{f.reason}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
