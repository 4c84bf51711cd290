// Adding a folder: the native picker in the desktop app; in a browser, which cannot browse the
// server's disk, a path field whose answer the engine validates (exists, is a folder, readable).
import { useState, type FormEvent } from 'react';
import { useApi, useLibrary } from '../hooks/api.tsx';

export function AddFolder({ large = false }: { large?: boolean }) {
  const api = useApi();
  const { refresh } = useLibrary();
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async (folderPath: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.invoke('folders.add', { path: folderPath });
      setPath('');
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (api.mode === 'desktop') {
    const pick = async () => {
      try {
        const picked = await api.invoke('folders.pick', {});
        if (picked.path) await add(picked.path);
      } catch (e) {
        setError((e as Error).message);
      }
    };
    return (
      <div className="add-folder">
        <button
          type="button"
          className={large ? 'primary large' : undefined}
          disabled={busy}
          onClick={() => void pick()}
        >
          {busy ? 'Adding…' : 'Add a folder…'}
        </button>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) {
      setError('Type the full path of a folder on this computer.');
      return;
    }
    void add(path.trim());
  };

  return (
    <form className={`add-folder${large ? ' large' : ''}`} onSubmit={submit}>
      <label className="visually-hidden" htmlFor={large ? 'folder-path-large' : 'folder-path'}>
        Folder path
      </label>
      <div className="add-folder-row">
        <input
          id={large ? 'folder-path-large' : 'folder-path'}
          type="text"
          placeholder="/home/you/Pictures"
          value={path}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error !== null}
          aria-describedby={error ? 'folder-path-error' : undefined}
          onChange={(e) => setPath(e.target.value)}
        />
        <button type="submit" className={large ? 'primary' : undefined} disabled={busy}>
          {busy ? 'Adding…' : 'Add folder'}
        </button>
      </div>
      {error ? (
        <p id="folder-path-error" className="error-text" role="alert">
          {error}
        </p>
      ) : (
        large && (
          <p className="hint muted">
            In a browser, type the folder’s full path on the computer running Shoebox.
          </p>
        )
      )}
    </form>
  );
}
