// The models behind similarity: the built-in fingerprint and every known CLIP model, which one
// is active, re-embedding progress after a switch, and the three ways to get one (use an
// installed model, import a folder on an offline machine, download a pinned release).
import { useCallback, useEffect, useState } from 'react';
import type { ModelEntry, ModelFetchProgress } from '../../shared/api.ts';
import { formatCount } from '../format.ts';
import { useApi, useEvent, useLibrary } from '../hooks/api.tsx';

export function ModelSettings() {
  const api = useApi();
  const { status, refresh } = useLibrary();
  const [models, setModels] = useState<ModelEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [importDir, setImportDir] = useState('');
  const [fetching, setFetching] = useState<ModelFetchProgress | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.invoke('models.list', {}).then(setModels, (e: Error) => setError(e.message));
  }, [api]);
  useEffect(load, [load]);

  useEvent('models.progress', (progress) => {
    setFetching(progress.state === 'running' ? progress : null);
    if (progress.state === 'done') {
      setMessage(
        `Downloaded ${progress.id}; it is now active and the library is being re-embedded.`,
      );
      load();
      void refresh();
    } else if (progress.state === 'failed') {
      setError(`Downloading ${progress.id} failed: ${progress.message ?? 'unknown reason'}`);
    }
  });

  const act = async (work: () => Promise<string | null>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      setMessage(await work());
      load();
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  // Re-embedding after a switch: the status refreshes with the library's events.
  const progress = status?.modelProgress;
  const embedding = progress && progress.total > 0 && progress.embedded < progress.total;
  // Re-embedding raises no event of its own, so ask for the count while it runs.
  useEffect(() => {
    if (!embedding) return;
    const timer = setInterval(() => void refresh(), 2000);
    return () => clearInterval(timer);
  }, [embedding, refresh]);

  return (
    <section aria-labelledby="s-model">
      <h2 id="s-model">Similarity model</h2>
      <p className="muted">
        Duplicates, clusters, the map and “similar” compare photos as vectors made by the active
        model. The built-in fingerprint needs no download; a CLIP model understands content better
        and makes searching by words possible.
      </p>
      {status && (
        <dl className="meta wide">
          <dt>Active</dt>
          <dd data-testid="model-id">
            {status.model.id} ({status.model.dim} dimensions)
          </dd>
          <dt>Embedded</dt>
          <dd data-testid="model-progress">
            {progress
              ? `${formatCount(progress.embedded)} of ${formatCount(progress.total)} photos`
              : '…'}
            {embedding && (
              <div
                className="progress inline"
                role="progressbar"
                aria-label="Re-embedding"
                aria-valuemin={0}
                aria-valuemax={progress.total}
                aria-valuenow={progress.embedded}
              >
                <div
                  className="progress-fill"
                  style={{ width: `${((progress.embedded / progress.total) * 100).toFixed(1)}%` }}
                />
              </div>
            )}
          </dd>
        </dl>
      )}
      {models && (
        <ul className="settings-list" aria-label="Models">
          {models.map((model) => (
            <li key={model.id} className="settings-folder">
              <div className="settings-folder-text">
                <span>
                  {model.name} {model.active && <span className="tag">active</span>}
                </span>
                <span className="muted">
                  {model.id} · {model.dim} dimensions ·{' '}
                  {model.installed
                    ? model.source === 'builtin'
                      ? 'built in'
                      : `installed (${model.source})`
                    : 'not installed'}
                </span>
              </div>
              {model.installed && !model.active && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      const { queued } = await api.invoke('models.use', { id: model.id });
                      return `Now using ${model.name}; ${formatCount(queued)} photos are being re-embedded.`;
                    })
                  }
                >
                  Use
                </button>
              )}
              {!model.installed && (
                <button
                  type="button"
                  disabled={busy || fetching !== null}
                  onClick={() =>
                    void act(async () => {
                      await api.invoke('models.fetch', { id: model.id });
                      setFetching({ id: model.id, fraction: 0, state: 'running' });
                      return null;
                    })
                  }
                >
                  Download
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {fetching && (
        <div className="inline-progress">
          <div
            className="progress"
            role="progressbar"
            aria-label={`Downloading ${fetching.id}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(fetching.fraction * 100)}
          >
            <div
              className="progress-fill"
              style={{ width: `${(fetching.fraction * 100).toFixed(1)}%` }}
            />
          </div>
          <span>
            Downloading {fetching.id}: {Math.round(fetching.fraction * 100)}%
          </span>
        </div>
      )}
      <form
        className="add-folder-row"
        onSubmit={(e) => {
          e.preventDefault();
          const dir = importDir.trim();
          if (!dir) return;
          void act(async () => {
            await api.invoke('models.import', { dir });
            setImportDir('');
            return `Imported the model in ${dir}; it is now active.`;
          });
        }}
      >
        <input
          type="text"
          value={importDir}
          placeholder="Folder with a downloaded model"
          aria-label="Model folder to import"
          onChange={(e) => setImportDir(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          Import
        </button>
      </form>
      {message && (
        <p className="muted" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
