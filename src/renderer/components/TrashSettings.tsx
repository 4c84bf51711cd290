// Shoebox's trash: what was removed (from the duplicates review), restorable one by one or all
// at once; emptying hands the files to the operating system's trash, and whatever the OS refused
// is shown with its answer and stays here.
import { useCallback, useEffect, useState } from 'react';
import type { EmptyOutcome, TrashItem } from '../../shared/api.ts';
import { fileName, formatBytes, formatCount, formatDate, parentFolder } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

export function TrashSettings() {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [items, setItems] = useState<TrashItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [refusals, setRefusals] = useState<EmptyOutcome[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.invoke('trash.list', {}).then(setItems, (e: Error) => setError(e.message));
  }, [api]);
  useEffect(load, [load, photosVersion]);

  const restore = async (ids: number[]) => {
    setBusy(true);
    setError(null);
    try {
      const outcomes = await api.invoke('trash.restore', { ids, onConflict: 'suffix' });
      const restored = outcomes.filter((o) => o.outcome === 'restored');
      const skipped = outcomes.filter((o) => o.outcome === 'skipped');
      setMessage(
        [
          `Restored ${formatCount(restored.length)} photo${restored.length === 1 ? '' : 's'}.`,
          ...restored
            .filter((o) => o.restoredTo && o.restoredTo !== o.path)
            .map((o) => `${fileName(o.path)} came back as ${fileName(o.restoredTo ?? '')}.`),
          ...skipped.map(
            (o) => `${fileName(o.path)} was not restored: ${o.reason ?? 'unknown reason'}.`,
          ),
        ].join(' '),
      );
      load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const empty = async () => {
    setConfirming(false);
    setBusy(true);
    setError(null);
    try {
      const outcomes = await api.invoke('trash.empty', {});
      const emptied = outcomes.filter((o) => o.outcome === 'emptied').length;
      setRefusals(outcomes.filter((o) => o.outcome === 'not-deleted'));
      setMessage(
        `Moved ${formatCount(emptied)} photo${emptied === 1 ? '' : 's'} to the system trash.`,
      );
      load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const bytes = items?.reduce((sum, item) => sum + item.size, 0) ?? 0;
  return (
    <section aria-labelledby="s-trash" data-testid="trash">
      <h2 id="s-trash">Shoebox’s trash</h2>
      <p className="muted">
        Photos removed in the duplicates review wait here, next to where they were, until you
        restore them or empty the trash into the system’s trash.
      </p>
      {items === null ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted">Empty.</p>
      ) : (
        <>
          <div className="trash-actions">
            <span>
              {formatCount(items.length)} photo{items.length === 1 ? '' : 's'}, {formatBytes(bytes)}
            </span>
            <span className="spacer" />
            <button
              type="button"
              disabled={busy}
              onClick={() => void restore(items.map((i) => i.id))}
            >
              Restore all
            </button>
            {confirming ? (
              <span className="confirm" role="group" aria-label="Confirm emptying">
                Move {formatCount(items.length)} files ({formatBytes(bytes)}) to the system trash?
                <span className="confirm-buttons">
                  <button type="button" className="danger" onClick={() => void empty()}>
                    Empty
                  </button>
                  <button type="button" onClick={() => setConfirming(false)}>
                    Cancel
                  </button>
                </span>
              </span>
            ) : (
              <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
                Empty trash…
              </button>
            )}
          </div>
          <ul className="settings-list" aria-label="Photos in the trash">
            {items.map((item) => (
              <li key={item.id} className="settings-folder">
                <div className="settings-folder-text">
                  <span title={item.path}>{fileName(item.path)}</span>
                  <span className="muted">
                    from {parentFolder(item.path)} · {formatBytes(item.size)} · removed{' '}
                    {formatDate(item.trashedAt)}
                    {item.note ? ` · ${item.note}` : ''}
                  </span>
                </div>
                <button type="button" disabled={busy} onClick={() => void restore([item.id])}>
                  Restore
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {message && (
        <p className="muted" role="status">
          {message}
        </p>
      )}
      {refusals.length > 0 && (
        <ul className="refusals" aria-label="Not deleted">
          {refusals.map((r) => (
            <li key={r.id}>
              {fileName(r.path)}: {r.reason ?? 'the system refused'}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
