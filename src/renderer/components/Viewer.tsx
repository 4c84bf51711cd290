// The photo viewer: the full image over the thumbnail (which shows instantly while the full
// image loads), the faces found in it (outlined and named, F to hide), its metadata and palette,
// and what to do next with it.
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import type { PhotoDetails, PhotoFace } from '../../shared/api.ts';
import type { Photo } from '../../shared/domain.ts';
import { boxOnImage, containedRect } from '../faces/geometry.ts';
import { FaceCrop } from './FaceCrop.tsx';
import { fileName, formatBytes, formatDate, parentFolder } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import { personName } from '../hooks/people.ts';
import { typingInField } from '../keys.ts';
import { rememberLastViewed } from '../last-viewed.ts';

const FACES_SHOWN_KEY = 'viewerFaces';

export interface ViewerProps {
  photo: Photo;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
  onClose(): void;
  /** Where a face's person opens; by default the People screen on that person. */
  onOpenPerson?(personId: number): void;
}

export function Viewer({
  photo,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  onClose,
  onOpenPerson,
}: ViewerProps) {
  const api = useApi();
  const libraryDir = useLibrary().status?.dir;
  const navigate = useNavigate();
  const openPerson = onOpenPerson ?? ((id: number) => navigate(`/people?person=${id}`));
  const [faces, setFaces] = useState<PhotoFace[] | null>(null);
  const [facesError, setFacesError] = useState<string | null>(null);
  const [facesShown, setFacesShown] = useState(
    () => localStorage.getItem(FACES_SHOWN_KEY) !== 'hidden',
  );
  // The image's own size (the thumbnail's aspect is the photo's), for placing the face boxes.
  const [imageSize, setImageSize] = useState<{ width: number; height: number } | null>(null);
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
    setFaces(null);
    setFacesError(null);
    setImageSize(null);
    api.invoke('photos.get', { photoId: photo.id }).then(
      (d) => live && (d ? setDetails(d) : setError('This photo is no longer in the library.')),
      (e: Error) => live && setError(e.message),
    );
    if (photo.status === 'indexed') {
      api.invoke('faces.forPhoto', { photoId: photo.id }).then(
        (found) => live && setFaces(found),
        (e: Error) => live && setFacesError(e.message),
      );
    } else setFaces([]);
    return () => {
      live = false;
    };
  }, [api, photo.id, photo.status]);

  // The Similar screen opens on the neighbours of the last photo looked at.
  useEffect(() => {
    if (libraryDir) rememberLastViewed(libraryDir, photo.id);
  }, [libraryDir, photo.id]);

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
      else if (
        (event.key === 'f' || event.key === 'F') &&
        !event.ctrlKey &&
        !event.metaKey &&
        !event.altKey &&
        !typingInField(event.target)
      ) {
        toggleFaces();
      } else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [hasPrevious, hasNext, onPrevious, onNext, onClose]);

  const shown = details ?? photo;
  function toggleFaces() {
    setFacesShown((on) => {
      localStorage.setItem(FACES_SHOWN_KEY, on ? 'hidden' : 'shown');
      return !on;
    });
  }
  const sizeFrom = (image: HTMLImageElement) =>
    setImageSize({ width: image.naturalWidth, height: image.naturalHeight });
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
            onLoad={(e) => imageSize === null && sizeFrom(e.currentTarget)}
          />
        )}
        {!fullFailed && photo.status !== 'failed' && (
          <img
            className={`viewer-full${fullLoaded ? ' loaded' : ''}`}
            src={api.fullUrl(photo)}
            alt={fileName(photo.path)}
            onLoad={(e) => {
              setFullLoaded(true);
              sizeFrom(e.currentTarget);
            }}
            onError={() => setFullFailed(true)}
            onClick={(e) => e.stopPropagation()}
            data-testid="viewer-image"
          />
        )}
        {photo.status === 'failed' && (
          <p className="viewer-failed">This file could not be read: {photo.failure}</p>
        )}
        {facesShown && faces && faces.length > 0 && imageSize && (
          <FaceBoxes faces={faces} imageSize={imageSize} onOpenPerson={openPerson} />
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
        <div className="viewer-faces-head">
          <h3>People</h3>
          {faces && faces.length > 0 && (
            <button
              type="button"
              className="link-button"
              aria-pressed={facesShown}
              title="Show or hide the face outlines (F)"
              onClick={toggleFaces}
              data-testid="faces-toggle"
            >
              {facesShown ? 'Hide faces' : 'Show faces'} <kbd>F</kbd>
            </button>
          )}
        </div>
        {faces === null && !facesError ? (
          <p className="muted">Loading…</p>
        ) : facesError ? (
          <p className="muted">{facesError}</p>
        ) : faces && faces.length > 0 ? (
          <ul className="viewer-people" aria-label="People in this photo">
            {faces.map((face) =>
              face.personId === null ? (
                <li key={face.id} className="viewer-person muted" title={STRANGER_HINT}>
                  <FaceCrop photo={photo} box={face.box} className="round" />
                  Unknown
                </li>
              ) : (
                <li key={face.id}>
                  <button
                    type="button"
                    className="viewer-person"
                    onClick={() => openPerson(face.personId as number)}
                  >
                    <FaceCrop photo={photo} box={face.box} className="round" />
                    <span className={face.personName === null ? 'unnamed' : undefined}>
                      {personName({ name: face.personName })}
                    </span>
                  </button>
                </li>
              ),
            )}
          </ul>
        ) : (
          <p className="muted">No faces found in this photo.</p>
        )}
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

const STRANGER_HINT = 'A face seen only once, or unlike anyone else: it belongs to nobody yet.';

/**
 * The faces' outlines over the photo, each named, each a way to its person. The layer covers the
 * same area as the image; the image is drawn contained in it, so the boxes go where it really is.
 */
function FaceBoxes({
  faces,
  imageSize,
  onOpenPerson,
}: {
  faces: PhotoFace[];
  imageSize: { width: number; height: number };
  onOpenPerson(personId: number): void;
}) {
  const layer = useRef<HTMLDivElement>(null);
  const [area, setArea] = useState<{ width: number; height: number } | null>(null);

  useEffect(() => {
    const element = layer.current;
    if (!element) return;
    const observer = new ResizeObserver(() =>
      setArea({ width: element.clientWidth, height: element.clientHeight }),
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const drawn = area
    ? containedRect(area.width, area.height, imageSize.width, imageSize.height)
    : null;
  return (
    <div ref={layer} className="viewer-face-layer" data-testid="face-boxes">
      {drawn &&
        faces.map((face) => {
          const rect = boxOnImage(face.box, drawn);
          const style = {
            left: rect.left,
            top: rect.top,
            width: rect.width,
            height: rect.height,
          };
          if (face.personId === null) {
            return (
              <span key={face.id} className="face-box stranger" style={style} title={STRANGER_HINT}>
                <span className="face-label">Unknown</span>
              </span>
            );
          }
          const name = personName({ name: face.personName });
          const personId = face.personId;
          return (
            <button
              key={face.id}
              type="button"
              className="face-box"
              style={style}
              aria-label={`${name}: show this person`}
              data-testid="face-box"
              onClick={(e) => {
                // The stage behind closes the viewer on a click; this one goes to the person.
                e.stopPropagation();
                onOpenPerson(personId);
              }}
            >
              <span className={`face-label${face.personName === null ? ' unnamed' : ''}`}>
                {name}
              </span>
            </button>
          );
        })}
    </div>
  );
}
