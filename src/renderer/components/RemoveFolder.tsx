// Removing a folder, with the consequence spelled out first: Shoebox forgets the folder's photos
// (and anything worked out about them), while the files themselves stay exactly where they are.
import { useEffect, useState } from 'react';
import type { Folder } from '../../shared/domain.ts';
import { fileName, formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

export function RemoveFolder({ folder, compact = false }: { folder: Folder; compact?: boolean }) {
  const api = useApi();
  const { refresh } = useLibrary();
  const [confirming, setConfirming] = useState(false);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!confirming) return;
    api.invoke('photos.list', { sort: 'name', offset: 0, limit: 1, folderId: folder.id }).then(
      (page) => setCount(page.total),
      () => setCount(null),
    );
  }, [api, confirming, folder.id]);

  const remove = async () => {
    setError(null);
    try {
      await api.invoke('folders.remove', { folderId: folder.id });
      setConfirming(false);
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (!confirming) {
    return (
      <button
        type="button"
        className={compact ? 'icon-button remove-folder' : undefined}
        aria-label={`Remove ${fileName(folder.path)} from the library`}
        title="Remove from the library"
        onClick={() => setConfirming(true)}
      >
        {compact ? '✕' : 'Remove…'}
      </button>
    );
  }
  return (
    <div
      className={`confirm${compact ? ' compact' : ''}`}
      role="group"
      aria-label="Confirm removal"
    >
      <span>
        Forget {count === null ? 'the' : formatCount(count)} photo{count === 1 ? '' : 's'} in “
        {fileName(folder.path)}”? The files stay on disk.
      </span>
      <span className="confirm-buttons">
        <button type="button" className="danger" onClick={() => void remove()}>
          Remove
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </span>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
