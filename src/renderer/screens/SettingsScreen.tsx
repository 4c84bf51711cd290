// Settings: which folders make up the library (and which are references), the model behind
// similarity, Shoebox's trash, and what the thumbnail cache costs on disk.
import { useEffect, useState } from 'react';
import type { ThumbnailCacheInfo } from '../../shared/api.ts';
import type { Folder } from '../../shared/domain.ts';
import { AddFolder } from '../components/AddFolder.tsx';
import { ModelSettings } from '../components/ModelSettings.tsx';
import { TrashSettings } from '../components/TrashSettings.tsx';
import { RemoveFolder } from '../components/RemoveFolder.tsx';
import { formatBytes, formatCount, formatDate } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

export function SettingsScreen() {
  const api = useApi();
  const { folders, status, refresh, photosVersion, info } = useLibrary();
  const [cache, setCache] = useState<ThumbnailCacheInfo | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.invoke('library.thumbnailCache', {}).then(setCache, (e: Error) => setError(e.message));
  }, [api, photosVersion]);

  const act = async (work: Promise<unknown>) => {
    setError(null);
    try {
      await work;
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const library = folders?.filter((f) => !f.isReference) ?? [];
  const references = folders?.filter((f) => f.isReference) ?? [];

  const folderRow = (folder: Folder) => (
    <li key={folder.id} className="settings-folder">
      <div className="settings-folder-text">
        <span className="path" title={folder.path}>
          {folder.path}
        </span>
        <span className="muted">added {formatDate(folder.addedAt)}</span>
      </div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={folder.isReference}
          onChange={(e) =>
            void act(
              api.invoke('folders.setReference', {
                folderId: folder.id,
                isReference: e.target.checked,
              }),
            )
          }
        />
        Reference
      </label>
      <RemoveFolder folder={folder} />
    </li>
  );

  return (
    <div className="screen settings" data-testid="settings">
      <div className="settings-inner">
        <h1>Settings</h1>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <section aria-labelledby="s-folders">
          <h2 id="s-folders">Library folders</h2>
          <p className="muted">
            Shoebox indexes these folders and everything in them, and keeps watching them for
            changes. Removing a folder only makes Shoebox forget it.
          </p>
          {library.length === 0 ? (
            <p className="muted">No folders yet.</p>
          ) : (
            <ul className="settings-list">{library.map(folderRow)}</ul>
          )}
          <AddFolder />
        </section>
        <section aria-labelledby="s-refs">
          <h2 id="s-refs">Reference folders</h2>
          <p className="muted">
            Photos in a reference folder (an archive, a backup you trust) are compared with the rest
            but never suggested for removal when duplicates are found.
          </p>
          {references.length === 0 ? (
            <p className="muted">None. Tick “Reference” on a folder above to make it one.</p>
          ) : (
            <ul className="settings-list">{references.map(folderRow)}</ul>
          )}
        </section>
        <ModelSettings />
        <TrashSettings />
        <section aria-labelledby="s-cache">
          <h2 id="s-cache">Thumbnail cache</h2>
          <dl className="meta wide">
            <dt>Size</dt>
            <dd data-testid="cache-size">
              {cache ? `${formatBytes(cache.bytes)} in ${formatCount(cache.files)} files` : '…'}
            </dd>
            <dt>Library data</dt>
            <dd className="path">{status?.dir ?? '…'}</dd>
            {status?.watchFallback && (
              <>
                <dt>Watching</dt>
                <dd>{status.watchFallback}</dd>
              </>
            )}
            {info && (
              <>
                <dt>Version</dt>
                <dd>
                  Shoebox {info.version} ({info.mode === 'desktop' ? 'desktop app' : 'in a browser'}
                  )
                </dd>
              </>
            )}
          </dl>
        </section>
      </div>
    </div>
  );
}
