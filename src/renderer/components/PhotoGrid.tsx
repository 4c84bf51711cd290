// A virtualised grid of square thumbnails: fixed-size cells, only the rows in view (plus a few
// either side) are in the DOM, and scroll position is read once per animation frame. With cells
// of constant size the position of photo i is arithmetic, so 100k photos cost no more than 100.
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
} from 'react';
import type { Photo } from '../../shared/domain.ts';
import { fileName } from '../format.ts';
import { useApi } from '../hooks/api.tsx';
import type { PhotoPages } from '../hooks/photoPages.ts';

const GAP = 4;
const OVERSCAN_ROWS = 4;

export interface PhotoGridProps {
  pages: PhotoPages;
  cellSize: number;
  onOpen(index: number, photo: Photo): void;
  /** Restores keyboard focus to this index, e.g. after the viewer closes (a new object each time). */
  focusRequest?: { index: number };
}

export function PhotoGrid({ pages, cellSize, onOpen, focusRequest }: PhotoGridProps) {
  const api = useApi();
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [height, setHeight] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  const frame = useRef(0);
  const total = pages.total ?? 0;

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      setWidth(element.clientWidth);
      setHeight(element.clientHeight);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const columns = Math.max(1, Math.floor((width - 2 * GAP + GAP) / (cellSize + GAP)));
  // Stretch cells to fill the row exactly, so the right edge is as clean as the left.
  const cell = width > 0 ? (width - 2 * GAP - GAP * (columns - 1)) / columns : cellSize;
  const rowHeight = cell + GAP;
  const rows = Math.ceil(total / columns);
  const firstRow = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN_ROWS);
  const lastRow = Math.min(rows, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN_ROWS);
  const start = firstRow * columns;
  const end = Math.min(total, lastRow * columns);

  useEffect(() => {
    if (end > start) pages.ensureRange(start, end);
  }, [pages, start, end]);

  const onScroll = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (scroller.current) setScrollTop(scroller.current.scrollTop);
    });
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const scrollToIndex = useCallback(
    (index: number) => {
      const element = scroller.current;
      if (!element) return;
      const top = Math.floor(index / columns) * rowHeight + GAP;
      if (top < element.scrollTop) element.scrollTop = top - GAP;
      else if (top + rowHeight > element.scrollTop + element.clientHeight) {
        element.scrollTop = top + rowHeight - element.clientHeight;
      }
    },
    [columns, rowHeight],
  );

  useEffect(() => {
    if (!focusRequest) return;
    setActive(focusRequest.index);
    scrollToIndex(focusRequest.index);
    scroller.current?.focus({ preventScroll: true });
    // Only a new request moves the focus, not a relayout that changes scrollToIndex.
  }, [focusRequest]);

  const move = (index: number) => {
    const next = Math.max(0, Math.min(total - 1, index));
    setActive(next);
    scrollToIndex(next);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const pageRows = Math.max(1, Math.floor(height / rowHeight));
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(active + 1),
      ArrowLeft: () => move(active - 1),
      ArrowDown: () => move(active + columns),
      ArrowUp: () => move(active - columns),
      PageDown: () => move(active + columns * pageRows),
      PageUp: () => move(active - columns * pageRows),
      Home: () => move(0),
      End: () => move(total - 1),
      Enter: () => {
        const photo = pages.photoAt(active);
        if (photo) onOpen(active, photo);
      },
      ' ': () => {
        const photo = pages.photoAt(active);
        if (photo) onOpen(active, photo);
      },
    };
    const action = keys[event.key];
    if (action && total > 0) {
      event.preventDefault();
      action();
    }
  };

  const cells = [];
  for (let index = start; index < end; index++) {
    const photo = pages.photoAt(index);
    const row = Math.floor(index / columns);
    const column = index % columns;
    cells.push(
      <div
        key={index}
        id={`photo-cell-${index}`}
        role="gridcell"
        aria-selected={index === active}
        aria-label={photo ? fileName(photo.path) : 'Loading'}
        className={`grid-cell${index === active ? ' active' : ''}`}
        data-index={index}
        style={{
          width: cell,
          height: cell,
          transform: `translate(${GAP + column * (cell + GAP)}px, ${GAP + row * rowHeight}px)`,
        }}
        onClick={() => {
          setActive(index);
          if (photo) onOpen(index, photo);
        }}
      >
        {photo ? <Thumbnail photo={photo} src={api.thumbUrl(photo)} /> : null}
      </div>,
    );
  }

  return (
    <div
      ref={scroller}
      className="grid-scroller"
      role="grid"
      aria-label="Photos"
      aria-rowcount={rows}
      aria-colcount={columns}
      aria-activedescendant={total > 0 ? `photo-cell-${active}` : undefined}
      tabIndex={0}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      data-testid="photo-grid"
    >
      <div className="grid-canvas" style={{ height: rows * rowHeight + GAP }}>
        {cells}
      </div>
    </div>
  );
}

function Thumbnail({ photo, src }: { photo: Photo; src: string }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [src]);
  if (photo.status === 'failed') {
    return (
      <div className="thumb-placeholder failed" title={photo.failure ?? 'Could not be read'}>
        <span>{photo.failure ?? 'Could not be read'}</span>
      </div>
    );
  }
  if (photo.status === 'pending' || failed) {
    return <div className="thumb-placeholder" aria-hidden="true" />;
  }
  return (
    <img src={src} alt="" draggable={false} decoding="async" onError={() => setFailed(true)} />
  );
}
