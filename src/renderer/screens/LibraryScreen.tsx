// Library: folders on the left, the grid of everything (or one folder, or one person's photos)
// on the right, indexing status underneath, and the viewer over it all when a photo is open.
import { useCallback, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { PhotoSort } from '../../shared/api.ts';
import type { Photo } from '../../shared/domain.ts';
import { AddFolder } from '../components/AddFolder.tsx';
import { IndexStatus } from '../components/IndexStatus.tsx';
import { PersonPicker } from '../components/PersonPicker.tsx';
import { PhotoGrid } from '../components/PhotoGrid.tsx';
import { RemoveFolder } from '../components/RemoveFolder.tsx';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatCount } from '../format.ts';
import { useLibrary } from '../hooks/api.tsx';
import { personInSentence, usePeople } from '../hooks/people.ts';
import { usePhotoPages } from '../hooks/photoPages.ts';

const sorts: { value: PhotoSort; label: string }[] = [
  { value: 'takenAt', label: 'Date taken' },
  { value: 'name', label: 'Name' },
  { value: 'size', label: 'File size' },
];

export function LibraryScreen() {
  const { folders, photosVersion, progress } = useLibrary();
  const [params, setParams] = useSearchParams();
  const folderParam = Number(params.get('folder'));
  const folder = folders?.find((f) => f.id === folderParam);
  const personParam = params.get('person');
  const personId = personParam !== null && /^\d+$/.test(personParam) ? Number(personParam) : null;
  const people = usePeople();
  const person = people.view?.persons.find((p) => p.id === personId);
  const sort = (sorts.find((s) => s.value === params.get('sort'))?.value ?? 'takenAt') as PhotoSort;
  // Newest and largest first, but names from A to Z, unless the person flipped the order.
  const naturalDescending = sort !== 'name';
  const order = params.get('order');
  const descending = order === null ? naturalDescending : order === 'desc';
  const [cellSize, setCellSize] = useState(() => Number(localStorage.getItem('gridSize')) || 168);
  const [open, setOpen] = useState<{ index: number; photo: Photo } | null>(null);
  const [returnFocus, setReturnFocus] = useState<{ index: number } | undefined>(undefined);

  const query = useMemo(
    () => ({
      sort,
      descending,
      ...(folder ? { folderId: folder.id } : {}),
      ...(personId !== null ? { personId } : {}),
    }),
    [sort, descending, folder, personId],
  );
  const pages = usePhotoPages(query, photosVersion);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };

  const step = useCallback(
    async (delta: number) => {
      if (!open) return;
      const index = open.index + delta;
      const photo = await pages.loadAt(index);
      if (photo) setOpen({ index, photo });
    },
    [open, pages],
  );

  if (folders === null) return <div className="screen loading" aria-busy="true" />;

  if (folders.length === 0) {
    return (
      <div className="screen empty-state" data-testid="empty-state">
        <div className="empty-card">
          <div className="empty-illustration" aria-hidden="true">
            <span />
            <span />
            <span />
          </div>
          <h1>Add a folder of photos</h1>
          <p>
            Shoebox looks through the folder and everything inside it, makes thumbnails and works
            out each photo’s colours and look, so you can browse, find near-duplicates and similar
            pictures.
          </p>
          <p className="muted">
            Your files stay exactly where they are: Shoebox reads them and never changes, moves or
            deletes them on its own.
          </p>
          <AddFolder large />
        </div>
      </div>
    );
  }

  const total = pages.total;
  const indexing = progress?.running ?? false;

  return (
    <div className="screen library">
      <aside className="sidebar" aria-label="Folders">
        <h2 className="sidebar-title">Folders</h2>
        <nav>
          <ul className="folder-list">
            <li>
              <Link
                to={`?${withoutParam(params, 'folder')}`}
                className={!folder ? 'folder-link active' : 'folder-link'}
                aria-current={!folder ? 'page' : undefined}
              >
                All photos
              </Link>
            </li>
            {folders.map((f) => (
              <li key={f.id} className="folder-item">
                <Link
                  to={`?${withParam(params, 'folder', String(f.id))}`}
                  className={folder?.id === f.id ? 'folder-link active' : 'folder-link'}
                  aria-current={folder?.id === f.id ? 'page' : undefined}
                  title={f.path}
                >
                  {fileName(f.path) || f.path}
                  {f.isReference && <span className="tag">reference</span>}
                </Link>
                <RemoveFolder folder={f} compact />
              </li>
            ))}
          </ul>
        </nav>
        <AddFolder />
      </aside>
      <section className="library-main" aria-label="Photos">
        <header className="toolbar">
          <h1 className="toolbar-title">
            {folder ? fileName(folder.path) : 'All photos'}
            {personId !== null && (
              <span className="person-filter-title"> with {personInSentence(person)}</span>
            )}
            <span className="count" data-testid="photo-count">
              {total !== null ? formatCount(total) : ''}
            </span>
          </h1>
          <span className="spacer" />
          <PersonPicker
            people={people.view}
            personId={personId}
            onChange={(id) => setParam('person', id === null ? null : String(id))}
          />
          {personId !== null && (
            <button type="button" onClick={() => setParam('person', null)}>
              Clear person
            </button>
          )}
          <label className="toolbar-field">
            <span>Sort</span>
            <select
              value={sort}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                next.set('sort', e.target.value);
                next.delete('order');
                setParams(next, { replace: true });
              }}
            >
              {sorts.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="icon-button"
            aria-label={
              descending ? 'Descending; switch to ascending' : 'Ascending; switch to descending'
            }
            title={descending ? 'Descending' : 'Ascending'}
            onClick={() => {
              const flipped = !descending;
              setParam('order', flipped === naturalDescending ? null : flipped ? 'desc' : 'asc');
            }}
          >
            {descending ? '↓' : '↑'}
          </button>
          <label className="toolbar-field">
            <span>Size</span>
            <input
              type="range"
              min={96}
              max={320}
              step={8}
              value={cellSize}
              aria-label="Thumbnail size"
              onChange={(e) => {
                setCellSize(Number(e.target.value));
                localStorage.setItem('gridSize', e.target.value);
              }}
            />
          </label>
        </header>
        {total === 0 ? (
          <div className="grid-empty">
            {personId !== null ? (
              <p>
                No photos {folder ? 'in this folder ' : ''}with {personInSentence(person)}
                {people.view && !person ? ': they are no longer listed on the People screen' : ''}.
              </p>
            ) : indexing ? (
              <p>Looking for photos…</p>
            ) : (
              <p>
                No photos here yet. Shoebox shows JPEG, PNG, WebP, GIF, AVIF, TIFF and HEIC files.
              </p>
            )}
          </div>
        ) : (
          <PhotoGrid
            pages={pages}
            cellSize={cellSize}
            focusRequest={returnFocus}
            onOpen={(index, photo) => setOpen({ index, photo })}
          />
        )}
        <IndexStatus shown={total} />
      </section>
      {open && (
        <Viewer
          photo={open.photo}
          hasPrevious={open.index > 0}
          hasNext={total !== null && open.index < total - 1}
          onPrevious={() => void step(-1)}
          onNext={() => void step(1)}
          onClose={() => {
            setReturnFocus({ index: open.index });
            setOpen(null);
          }}
        />
      )}
    </div>
  );
}

function withParam(params: URLSearchParams, key: string, value: string): string {
  const next = new URLSearchParams(params);
  next.set(key, value);
  return next.toString();
}

function withoutParam(params: URLSearchParams, key: string): string {
  const next = new URLSearchParams(params);
  next.delete(key);
  return next.toString();
}
