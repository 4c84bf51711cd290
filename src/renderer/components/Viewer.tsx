// The photo viewer: the full image over the thumbnail (which shows instantly while the full
// image loads), its metadata and palette, and what to do next with it.
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import type { PhotoDetails } from '../../shared/api.ts';
import type { Photo } from '../../shared/domain.ts';
import { fileName, formatBytes, formatDate, parentFolder } from '../format.ts';
import { useApi } from '../hooks/api.tsx';

export interface ViewerProps {
  photo: Photo;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
  onClose(): void;
}

export function Viewer({ photo, hasPrevious, hasNext, onPrevious, onNext, onClose }: ViewerProps) {
  const api = useApi();
  const navigate = useNavigate();
  const [details, setDetails] = useState<PhotoDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fullLoaded, setFullLoaded] = useState(false);
  const [fullFailed, setFullFailed] = useState(false);
  const closeButton = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    let live = true;
    setDetails(null);
    setError(null);
    setFullLoaded(false);
    setFullFailed(false);
    api.invoke('photos.get', { photoId: photo.id }).then(
      (d) => live && (d ? setDetails(d) : setError('This photo is no longer in the library.')),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, photo.id]);

  // A modal <dialog> makes everything behind it inert and keeps Tab inside the viewer.
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    closeButton.current?.focus();
    return () => element?.close();
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'ArrowLeft' && hasPrevious) onPrevious();
      else if (event.key === 'ArrowRight' && hasNext) onNext();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [hasPrevious, hasNext, onPrevious, onNext, onClose]);

  const shown = details ?? photo;
  const showInFolder = () => {
    api
      .invoke('photos.showInFolder', { photoId: photo.id })
      .catch((e: Error) => setError(e.message));
  };

  return (
    <dialog
      ref={dialog}
      className="viewer"
      aria-label={`Photo ${fileName(photo.path)}`}
      data-testid="viewer"
      onCancel={(event) => {
        // Esc: let React close the viewer, so its state and the focus stay in step.
        event.preventDefault();
        onClose();
      }}
    >
      <div className="viewer-stage" onClick={onClose}>
        {photo.status !== 'failed' && (
          <img
            className={`viewer-thumb${fullLoaded ? ' covered' : ''}`}
            src={api.thumbUrl(photo)}
            alt=""
            aria-hidden="true"
          />
        )}
        {!fullFailed && photo.status !== 'failed' && (
          <img
            className={`viewer-full${fullLoaded ? ' loaded' : ''}`}
            src={api.fullUrl(photo)}
            alt={fileName(photo.path)}
            onLoad={() => setFullLoaded(true)}
            onError={() => setFullFailed(true)}
            onClick={(e) => e.stopPropagation()}
            data-testid="viewer-image"
          />
        )}
        {photo.status === 'failed' && (
          <p className="viewer-failed">This file could not be read: {photo.failure}</p>
        )}
        <button
          type="button"
          className="viewer-nav previous"
          aria-label="Previous photo"
          disabled={!hasPrevious}
          onClick={(e) => {
            e.stopPropagation();
            onPrevious();
          }}
        >
          ‹
        </button>
        <button
          type="button"
          className="viewer-nav next"
          aria-label="Next photo"
          disabled={!hasNext}
          onClick={(e) => {
            e.stopPropagation();
            onNext();
          }}
        >
          ›
        </button>
      </div>
      <aside className="viewer-panel">
        <div className="viewer-panel-head">
          <h2 title={shown.path}>{fileName(shown.path)}</h2>
          <button
            ref={closeButton}
            type="button"
            className="icon-button"
            aria-label="Close viewer"
            onClick={onClose}
          >
            ✕
          </button>
        </div>
        {error && <p className="error-text">{error}</p>}
        <dl className="meta">
          <dt>Folder</dt>
          <dd title={parentFolder(shown.path)}>{parentFolder(shown.path)}</dd>
          <dt>Taken</dt>
          <dd>{formatDate(shown.takenAt)}</dd>
          <dt>Size</dt>
          <dd>
            {shown.width && shown.height ? `${shown.width} × ${shown.height} px · ` : ''}
            {formatBytes(shown.size)}
          </dd>
          <dt>Format</dt>
          <dd>{shown.format ? shown.format.toUpperCase() : 'unknown'}</dd>
          {shown.camera && (
            <>
              <dt>Camera</dt>
              <dd>{shown.camera}</dd>
            </>
          )}
          {details?.orientation && details.orientation !== 1 ? (
            <>
              <dt>Orientation</dt>
              <dd>EXIF {details.orientation}</dd>
            </>
          ) : null}
        </dl>
        <h3>Palette</h3>
        {details && details.palette.length > 0 ? (
          <>
            <div className="palette-strip" aria-hidden="true">
              {details.palette.map((colour, i) => (
                <span key={i} style={{ background: colour.hex, flexGrow: colour.share }} />
              ))}
            </div>
            <ul className="palette" aria-label="Palette" data-testid="palette">
              {details.palette.map((colour, i) => (
                <li key={i}>
                  <button
                    type="button"
                    className="swatch-button"
                    title={`Find photos with ${colour.hex}`}
                    aria-label={`Search by colour ${colour.hex}, ${Math.round(colour.share * 100)}% of this photo`}
                    onClick={() => navigate(`/colours?c=${colour.hex.slice(1).toLowerCase()}:100`)}
                  >
                    <span className="swatch" style={{ background: colour.hex }} />
                    <span className="swatch-label">
                      {colour.hex}
                      <small>{Math.round(colour.share * 100)}%</small>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="muted">{details ? 'Not worked out yet.' : 'Loading…'}</p>
        )}
        <div className="viewer-actions">
          <button type="button" onClick={() => navigate(`/similar?photo=${photo.id}`)}>
            Similar by content
          </button>
          <button type="button" onClick={() => navigate(`/colours?photo=${photo.id}`)}>
            Similar by colour
          </button>
          {api.mode === 'desktop' && (
            <button type="button" onClick={showInFolder}>
              Show in folder
            </button>
          )}
        </div>
      </aside>
    </dialog>
  );
}
