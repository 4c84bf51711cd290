// The compare view of one duplicate group: the photos side by side with one zoom and pan shared
// by all (so the same detail is under the eye in each), an A/B flicker that swaps two photos in
// place (differences jump out as motion), and the metadata with the rows that differ lit.
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { DuplicateGroup, Photo } from '../../shared/domain.ts';
import { fileName, formatBytes, formatDate, parentFolder } from '../format.ts';
import { useApi } from '../hooks/api.tsx';
import { shortcutAllowed } from '../keys.ts';

interface View {
  scale: number;
  x: number;
  y: number;
}

const FIT: View = { scale: 1, x: 0, y: 0 };
const MAX_SCALE = 16;
const FLICKER_MS = 450;

const fields: { label: string; value(photo: Photo): string }[] = [
  { label: 'Pixels', value: (p) => (p.width && p.height ? `${p.width} × ${p.height}` : 'unknown') },
  { label: 'File size', value: (p) => formatBytes(p.size) },
  { label: 'Format', value: (p) => (p.format ? p.format.toUpperCase() : 'unknown') },
  { label: 'Taken', value: (p) => formatDate(p.takenAt) },
  { label: 'Camera', value: (p) => p.camera ?? '—' },
  { label: 'Folder', value: (p) => parentFolder(p.path) },
  { label: 'Name', value: (p) => fileName(p.path) },
];

export interface CompareViewProps {
  group: DuplicateGroup;
  keep: ReadonlySet<number>;
  focus: number;
  flicker: boolean;
  onFocus(index: number): void;
  onToggleKeep(photoId: number): void;
  onFlicker(on: boolean): void;
}

export function CompareView({
  group,
  keep,
  focus,
  flicker,
  onFocus,
  onToggleKeep,
  onFlicker,
}: CompareViewProps) {
  const api = useApi();
  const [view, setView] = useState<View>(FIT);
  const [flickerB, setFlickerB] = useState(false);
  const grid = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const members = group.members;

  useEffect(() => setView(FIT), [group.id]);

  const zoomAt = (factor: number, px: number, py: number) =>
    setView((v) => {
      const scale = Math.min(MAX_SCALE, Math.max(1, v.scale * factor));
      if (scale === 1) return FIT;
      const k = scale / v.scale;
      return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
    });

  /** Zooms about the middle of the viewports (keys and buttons have no cursor position). */
  const zoomCentre = (factor: number) => {
    const rect = grid.current?.querySelector('.compare-viewport')?.getBoundingClientRect();
    zoomAt(factor, (rect?.width ?? 0) / 2, (rect?.height ?? 0) / 2);
  };

  // Wheel zoom needs preventDefault, which React's passive wheel listener cannot do.
  useEffect(() => {
    const element = grid.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      const viewport = (event.target as HTMLElement).closest('.compare-viewport');
      if (!viewport) return;
      event.preventDefault();
      const rect = viewport.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);

  // Zoom keys zoom about the middle of the viewports.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!shortcutAllowed(event) || event.ctrlKey || event.metaKey) return;
      if (event.key === '+' || event.key === '=') zoomCentre(1.5);
      else if (event.key === '-') zoomCentre(1 / 1.5);
      else if (event.key === '0') setView(FIT);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (!flicker) return;
    const id = setInterval(() => setFlickerB((b) => !b), FLICKER_MS);
    return () => clearInterval(id);
  }, [flicker]);

  const onPointerDown = (event: ReactPointerEvent<HTMLDivElement>) => {
    if (view.scale === 1) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { x: event.clientX, y: event.clientY };
  };
  const onPointerMove = (event: ReactPointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    drag.current = { x: event.clientX, y: event.clientY };
    setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  const transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  const image = (photo: Photo) => (
    <div
      className={`compare-viewport${view.scale > 1 ? ' zoomed' : ''}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onDoubleClick={() => setView(FIT)}
    >
      <img
        className="compare-thumb"
        src={api.thumbUrl(photo)}
        alt=""
        aria-hidden="true"
        draggable={false}
        style={{ transform }}
      />
      <img
        className="compare-full"
        src={api.fullUrl(photo)}
        alt={fileName(photo.path)}
        draggable={false}
        style={{ transform }}
      />
    </div>
  );

  const differs = fields.map((field) => new Set(members.map((m) => field.value(m.photo))).size > 1);
  const keeperIndex = Math.max(
    0,
    members.findIndex((m) => keep.has(m.photo.id)),
  );
  const otherIndex = focus !== keeperIndex ? focus : (keeperIndex + 1) % members.length;
  const a = members[keeperIndex];
  const b = members[otherIndex];

  return (
    <div className="compare" data-testid="compare">
      <div className="compare-tools">
        <button
          type="button"
          className="icon-button"
          aria-label="Zoom out"
          onClick={() => zoomCentre(1 / 1.5)}
          title="−"
        >
          −
        </button>
        <span className="zoom-level" aria-live="polite">
          {Math.round(view.scale * 100)}%
        </span>
        <button
          type="button"
          className="icon-button"
          aria-label="Zoom in"
          onClick={() => zoomCentre(1.5)}
          title="+"
        >
          +
        </button>
        <button type="button" className="icon-button" onClick={() => setView(FIT)} title="0">
          Fit
        </button>
        <span className="muted compare-hint">
          Scroll to zoom, drag to pan: all photos move together.
        </span>
        <span className="spacer" />
        <button
          type="button"
          aria-pressed={flicker}
          className={flicker ? 'primary' : undefined}
          onClick={() => onFlicker(!flicker)}
          title="F"
        >
          A/B flicker <kbd>F</kbd>
        </button>
      </div>
      <div
        ref={grid}
        className="compare-grid"
        style={{
          gridTemplateColumns: `repeat(${flicker ? 1 : members.length}, minmax(220px, 1fr))`,
        }}
      >
        {flicker && a && b ? (
          <div className="compare-column flicker" data-testid="flicker">
            <div className="compare-head">
              <strong>{flickerB ? 'B' : 'A'}</strong> {fileName((flickerB ? b : a).photo.path)}
              <span className="muted">
                {' '}
                (A: {fileName(a.photo.path)} · B: {fileName(b.photo.path)}; ← → picks B)
              </span>
            </div>
            {image((flickerB ? b : a).photo)}
          </div>
        ) : (
          members.map((member, i) => {
            const kept = keep.has(member.photo.id);
            return (
              <div
                key={member.photo.id}
                className={`compare-column${i === focus ? ' focused' : ''}${kept ? ' kept' : ' removing'}`}
                data-testid="compare-member"
                onClick={() => onFocus(i)}
              >
                <div className="compare-head">
                  <label className="checkbox keep-toggle">
                    <input
                      type="checkbox"
                      checked={kept}
                      disabled={member.inReferenceFolder && kept}
                      onChange={() => onToggleKeep(member.photo.id)}
                    />
                    Keep
                  </label>
                  <span className="compare-name" title={member.photo.path}>
                    {fileName(member.photo.path)}
                  </span>
                  {member.keep && <span className="badge keeper">Suggested keeper</span>}
                  {member.inReferenceFolder && <span className="tag">reference</span>}
                </div>
                <p className={`compare-why${member.keep ? ' keeper' : ''}`}>{member.why}</p>
                {image(member.photo)}
                <dl className="compare-meta">
                  {fields.map((field, f) => (
                    <div key={field.label} className={differs[f] ? 'differs' : undefined}>
                      <dt>{field.label}</dt>
                      <dd title={field.value(member.photo)}>{field.value(member.photo)}</dd>
                    </div>
                  ))}
                </dl>
              </div>
            );
          })
        )}
      </div>
    </div>
  );
}
