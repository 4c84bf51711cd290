// The map: every photo as a point, placed by the engine's layout so that similar pictures sit
// together, coloured by cluster (or by duplicates). Pan by dragging, zoom with the wheel, hover for a preview,
// click to open, lasso (shift-drag) a region to see its photos as a grid. While the engine computes a layout the screen shows its progress and asks
// again.
//
// Drawn with plain WebGL2 rather than a canvas 2D context or a chart library: 100k points must
// redraw at 60 fps while panning, which one gl.POINTS draw call of a static vertex buffer does
// easily, and a few dozen lines of GL need no new dependency (../map/point-renderer.ts). Zoomed
// in, the points in view turn into their thumbnails, drawn in the same context as instanced
// quads from texture atlases that hold only what was in view (../map/thumbnail-layer.ts). A
// frame sets no React state, and the hover search and the thumbnails in view ask a grid over the
// points (../map/point-index.ts), not every point; bench/map-frames.ts measures it.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { MapLayoutView, MapPoint, Photo } from '../../shared/domain.ts';
import { PersonPicker } from '../components/PersonPicker.tsx';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import { personInSentence, usePeople } from '../hooks/people.ts';
import { PointIndex } from '../map/point-index.ts';
import {
  colourArray,
  mapContext,
  MapDrawError,
  PointRenderer,
  rgb,
  type Camera,
} from '../map/point-renderer.ts';
import { decodeTile, THUMBNAIL_BUDGET, ThumbnailLayer, TILE_PX } from '../map/thumbnail-layer.ts';
import { thumbnailMix, tilesInView } from '../map/tiles-in-view.ts';

const POLL_MS = 700;
/** Categorical colours, distinct on a dark ground; clusters beyond them cycle. */
const CLUSTER_COLOURS = [
  '#5b9dff',
  '#ff7b72',
  '#7ee787',
  '#e0b45c',
  '#d2a8ff',
  '#56d4dd',
  '#ffa657',
  '#f778ba',
  '#a5d6ff',
  '#bdc96a',
  '#ff9bce',
  '#8b949e',
];
const HOVER_RADIUS_PX = 9;
const NO_POINTS: readonly MapPoint[] = [];
type ColourBy = 'cluster' | 'duplicates' | 'colour';

const KEEPER_COLOUR = '#5b9dff';
const REMOVE_COLOUR = '#ff7b72';
const OTHER_COLOUR = '#5a5a5a';
/** A lassoed region shows at most this many photos as a grid: a screenful or two. */
const SELECTION_GRID_MAX = 300;

/** The theme's raised background, read live (the theme follows the OS), parsed only on change. */
const backdrops = new WeakMap<
  Element,
  { style: CSSStyleDeclaration; hex: string; value: [number, number, number] }
>();
function themeBackdrop(element: Element): readonly [number, number, number] {
  let known = backdrops.get(element);
  if (!known) {
    known = { style: getComputedStyle(element), hex: '', value: [0.11, 0.11, 0.11] };
    backdrops.set(element, known);
  }
  const css = known.style.getPropertyValue('--bg-raised').trim();
  if (css !== known.hex) {
    known.hex = css;
    // Any CSS colour (the build shortens #ffffff to #fff): a 2D context's fillStyle reads it
    // back as #rrggbb.
    const parser = colourParser();
    if (parser) {
      parser.fillStyle = '#000000';
      parser.fillStyle = css;
      const hex = String(parser.fillStyle);
      if (/^#[0-9a-f]{6}$/i.test(hex)) known.value = rgb(hex);
    }
  }
  return known.value;
}

let parserContext: CanvasRenderingContext2D | null | undefined;
function colourParser(): CanvasRenderingContext2D | null {
  parserContext ??= document.createElement('canvas').getContext('2d');
  return parserContext;
}

export function clusterColour(cluster: number): string {
  return cluster < 0 ? '#6e6e6e' : (CLUSTER_COLOURS[cluster % CLUSTER_COLOURS.length] as string);
}

export function MapScreen() {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [layout, setLayout] = useState<MapLayoutView | null>(null);
  const [shown, setShown] = useState<MapLayoutView | null>(null);
  const [fitKey, setFitKey] = useState(0);
  /** Set with each recompute request; the layout that answers it is fitted to the screen. */
  const fitFor = useRef(0);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<{ id: number; x: number; y: number } | null>(null);
  const [hoverPhoto, setHoverPhoto] = useState<Photo | null>(null);
  const [open, setOpen] = useState<Photo | null>(null);
  const [lassoMode, setLassoMode] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [gridOpen, setGridOpen] = useState(false);
  const photos = useRef(new Map<number, Photo>());
  // ?person= shows only the photos that person's face was found in, where they lie on the
  // whole library's map (the same layout, fewer points).
  const [params, setParams] = useSearchParams();
  const personParam = params.get('person');
  const personId = personParam !== null && /^\d+$/.test(personParam) ? Number(personParam) : null;
  const people = usePeople();
  const person = people.view?.persons.find((p) => p.id === personId);
  const pickPerson = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id === null) next.delete('person');
    else next.set('person', String(id));
    setParams(next, { replace: true });
  };

  const fetchLayout = useCallback(
    (recompute: boolean) => {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ask = (again: boolean) => {
        const request = {
          ...(again ? { recompute: true } : {}),
          ...(personId !== null ? { personId } : {}),
        };
        api.invoke('map.layout', request).then(
          (next) => {
            if (stopped) return;
            setLayout(next);
            // A recompute keeps the old map on screen until the new one is ready.
            if (next.state === 'ready') {
              setShown(next);
              setFitKey(fitFor.current);
            } else if (next.state === 'empty') setShown(null);
            setError(null);
            if (next.state === 'computing') timer = setTimeout(() => ask(false), POLL_MS);
          },
          (e: Error) => !stopped && setError(e.message),
        );
      };
      ask(recompute);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
    [api, personId],
  );

  const [recomputeRequest, setRecomputeRequest] = useState(0);
  // A recompute is asked for once per click; photos coming or going afterwards only fetch the
  // stored layout again (the engine places new photos beside their neighbours).
  const answeredRecompute = useRef(0);
  // Another person (or everyone again) is fitted to the screen once their points arrive, and a
  // lasso drawn over the others is let go.
  const filteredFor = useRef(personId);
  useEffect(() => {
    if (filteredFor.current !== personId) {
      filteredFor.current = personId;
      fitFor.current += 1;
      setSelected(new Set());
      setGridOpen(false);
    }
    const again = recomputeRequest !== answeredRecompute.current;
    answeredRecompute.current = recomputeRequest;
    return fetchLayout(again);
  }, [fetchLayout, recomputeRequest, photosVersion, personId]);

  const photoFor = useCallback(
    async (id: number): Promise<Photo | null> => {
      const known = photos.current.get(id);
      if (known) return known;
      const photo = await api.invoke('photos.get', { photoId: id }).catch(() => null);
      // A photo not indexed yet is asked about again: it may have its thumbnail next time.
      if (photo?.status === 'indexed') photos.current.set(id, photo);
      return photo;
    },
    [api],
  );

  useEffect(() => {
    if (!hover) {
      setHoverPhoto(null);
      return;
    }
    let live = true;
    void photoFor(hover.id).then((p) => live && setHoverPhoto(p));
    return () => {
      live = false;
    };
  }, [hover?.id, photoFor]);

  const points = shown?.points ?? NO_POINTS;
  // Once per layout, not on every render: hovering re-renders this screen on each pointer move.
  const clusterIds = useMemo(
    () => [...new Set(points.map((p) => p.cluster))].sort((a, b) => a - b),
    [points],
  );
  const clusters = clusterIds.length;
  const medoidCount = useMemo(() => points.filter((p) => p.medoid).length, [points]);

  // Colour by cluster, by duplicates (at the review's default threshold: suggested keepers in the
  // accent, photos suggested for removal in red, the rest grey), or by each photo's own dominant
  // colour, which lays the library out as a colour field.
  const [colourBy, setColourBy] = useState<ColourBy>('cluster');
  const [duplicates, setDuplicates] = useState<ReadonlyMap<number, boolean> | null>(null);
  useEffect(() => {
    if (colourBy !== 'duplicates') return;
    let live = true;
    api.invoke('duplicates.list', {}).then(
      (view) => {
        if (!live) return;
        const keep = new Map<number, boolean>();
        for (const group of view.groups)
          for (const m of group.members) keep.set(m.photo.id, m.keep);
        setDuplicates(keep);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, colourBy, photosVersion]);
  const colourOf = useMemo(
    () =>
      colourBy === 'colour'
        ? (p: MapPoint) => p.colour ?? OTHER_COLOUR
        : colourBy === 'duplicates' && duplicates
          ? (p: MapPoint) => {
              const keep = duplicates.get(p.id);
              return keep === undefined ? OTHER_COLOUR : keep ? KEEPER_COLOUR : REMOVE_COLOUR;
            }
          : (p: MapPoint) => clusterColour(p.cluster),
    [colourBy, duplicates],
  );

  return (
    <div className="screen map" data-testid="map">
      {layout?.state === 'computing' && (
        <div className="map-progress" role="status">
          <div
            className="progress"
            role="progressbar"
            aria-label="Laying out the map"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(layout.progress * 100)}
          >
            <div
              className="progress-fill"
              style={{ width: `${(layout.progress * 100).toFixed(1)}%` }}
            />
          </div>
          <span>Laying out the map… {Math.round(layout.progress * 100)}%</span>
        </div>
      )}
      {personId !== null && layout?.state !== 'computing' && layout && points.length === 0 && (
        <div className="map-empty muted" data-testid="map-person-empty">
          <p>
            No photos with {personInSentence(person)} on the map yet
            {people.view && !person ? ': they are no longer listed on the People screen' : ''}.
          </p>
        </div>
      )}
      {personId === null && layout?.state === 'empty' && (
        <div className="map-empty muted">
          <p>
            No photos to place yet: add a folder in the Library, and the map fills in as they are
            indexed.
          </p>
        </div>
      )}
      {error && (
        <p className="error-text map-error" role="alert">
          {error}
        </p>
      )}
      {points.length > 0 && (
        <MapCanvas
          layout={shown as MapLayoutView}
          fitKey={fitKey}
          colourOf={colourOf}
          photoFor={photoFor}
          lassoMode={lassoMode}
          selected={selected}
          onSelect={(ids) => {
            setSelected(new Set(ids));
            setGridOpen(false);
          }}
          onHover={setHover}
          onOpen={(id) => void photoFor(id).then((p) => p && setOpen(p))}
        />
      )}
      <div className="map-legend" aria-label="Legend">
        <strong>{formatCount(points.length)} photos</strong>
        <PersonPicker people={people.view} personId={personId} onChange={pickPerson} />
        {points.length > 0 && (
          <>
            <label className="toolbar-field">
              <span>Colour by</span>
              <select value={colourBy} onChange={(e) => setColourBy(e.target.value as ColourBy)}>
                <option value="cluster">cluster ({clusters})</option>
                <option value="duplicates">duplicates</option>
                <option value="colour">dominant colour</option>
              </select>
            </label>
            {colourBy === 'cluster' ? (
              <span className="legend-swatches" aria-hidden="true">
                {clusterIds.slice(0, 24).map((c) => (
                  <span key={c} style={{ background: clusterColour(c) }} />
                ))}
              </span>
            ) : colourBy === 'colour' ? (
              <span className="muted">each photo in its largest palette colour</span>
            ) : (
              <span className="legend-keys">
                <span style={{ color: KEEPER_COLOUR }}>● keeper</span>
                <span style={{ color: REMOVE_COLOUR }}>● suggested for removal</span>
                <span style={{ color: OTHER_COLOUR }}>● no duplicate</span>
              </span>
            )}
            {medoidCount > 0 && (
              <span className="muted" data-medoids={medoidCount}>
                ◎ medoids
              </span>
            )}
            <span className="muted">
              placed by {shown?.model === 'fingerprint' ? 'the built-in fingerprint' : shown?.model}
            </span>
            <span className="muted">
              Drag to pan · scroll to zoom · double-click to fit · shift-drag to lasso
            </span>
            <button
              type="button"
              aria-pressed={lassoMode}
              className={lassoMode ? 'primary' : undefined}
              onClick={() => setLassoMode((on) => !on)}
            >
              Lasso
            </button>
          </>
        )}
        <button
          type="button"
          disabled={layout?.state === 'computing'}
          onClick={() => {
            fitFor.current += 1;
            setRecomputeRequest((n) => n + 1);
          }}
        >
          Recompute layout
        </button>
      </div>
      {selected.size > 0 && (
        <div
          className="map-actions"
          role="toolbar"
          aria-label="Selection"
          data-testid="map-actions"
        >
          <strong>{formatCount(selected.size)} selected</strong>
          <button type="button" className="primary" onClick={() => setGridOpen(true)}>
            Show as a grid
          </button>
          <button
            type="button"
            onClick={() => {
              setSelected(new Set());
              setGridOpen(false);
            }}
          >
            Clear
          </button>
        </div>
      )}
      {gridOpen && selected.size > 0 && (
        <SelectionGrid ids={[...selected]} photoFor={photoFor} onClose={() => setGridOpen(false)} />
      )}
      {hover && hoverPhoto && !open && (
        <div
          className="map-preview"
          style={{ left: hover.x + 16, top: hover.y + 16 }}
          data-testid="map-preview"
        >
          <img src={api.thumbUrl(hoverPhoto)} alt="" />
          <span>{fileName(hoverPhoto.path)}</span>
        </div>
      )}
      {open && (
        <Viewer
          photo={open}
          hasPrevious={false}
          hasNext={false}
          onPrevious={() => undefined}
          onNext={() => undefined}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}

/** Sets a data attribute of the canvas, for the specs and the bench, only when it changes. */
function report(element: HTMLElement, name: string, value: string): void {
  if (element.dataset[name] !== value) element.dataset[name] = value;
}

function MapCanvas({
  layout,
  fitKey,
  colourOf,
  photoFor,
  lassoMode,
  selected,
  onSelect,
  onHover,
  onOpen,
}: {
  layout: MapLayoutView;
  /** Changes when a new layout should be fitted to the screen (not on every refresh). */
  fitKey: number;
  colourOf(point: MapPoint): string;
  photoFor(id: number): Promise<Photo | null>;
  /** Plain drags draw a lasso instead of panning (shift-drag always does). */
  lassoMode: boolean;
  selected: ReadonlySet<number>;
  onSelect(ids: number[]): void;
  onHover(hover: { id: number; x: number; y: number } | null): void;
  onOpen(id: number): void;
}) {
  const api = useApi();
  const [lasso, setLasso] = useState<[number, number][] | null>(null);
  const renderer = useRef<PointRenderer | null>(null);
  const thumbnails = useRef<ThumbnailLayer | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const camera = useRef<Camera>({ scale: 1, x: 0, y: 0 });
  /** The fitKey the view was last fitted for: a recomputed layout is fitted afresh. */
  const fitted = useRef<number | null>(null);
  const draw = useRef<() => void>(() => undefined);
  const [glError, setGlError] = useState<string | null>(null);
  /** Counts restored WebGL contexts: everything on the GPU is made again for the new one. */
  const [glGeneration, setGlGeneration] = useState(0);
  const glLost = useRef(false);
  const baseScale = useRef(1);
  /** The long edge (CSS px) of the thumbnails of the last frame, 0 while they are dots. */
  const thumbEdge = useRef(0);
  const points = layout.points;

  // Layout coordinates in typed arrays, once per layout: the GPU buffer, and a grid over them
  // for the hover search and the thumbnails in view.
  const data = useMemo(() => {
    const xy = new Float32Array(points.length * 2);
    const ids = new Int32Array(points.length);
    points.forEach((p, i) => {
      xy[2 * i] = p.x;
      xy[2 * i + 1] = p.y;
      ids[i] = p.id;
    });
    return { xy, ids, index: new PointIndex(xy) };
  }, [points]);
  const dataRef = useRef(data);
  dataRef.current = data;

  const fit = useCallback(() => {
    const element = canvas.current;
    const d = dataRef.current;
    if (!element || d.ids.length === 0) return;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < d.ids.length; i++) {
      const x = d.xy[2 * i] as number;
      const y = d.xy[2 * i + 1] as number;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const w = element.clientWidth;
    const h = element.clientHeight;
    const scale = 0.9 * Math.min(w / Math.max(1e-9, maxX - minX), h / Math.max(1e-9, maxY - minY));
    camera.current = {
      scale,
      x: w / 2 - ((minX + maxX) / 2) * scale,
      y: h / 2 - ((minY + maxY) / 2) * scale,
    };
    draw.current();
  }, []);

  // A lost context (the GPU reset, a driver update, too many contexts) takes the buffers and the
  // atlases with it; once the browser restores it, both renderers are made again (the tiles
  // come back from the HTTP cache).
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const lost = (event: Event) => {
      event.preventDefault(); // asks the browser to restore the context
      glLost.current = true;
      renderer.current?.forget();
      thumbnails.current?.forget();
      report(element, 'thumbnails', '0');
    };
    const restored = () => {
      glLost.current = false;
      setGlGeneration((g) => g + 1);
    };
    element.addEventListener('webglcontextlost', lost);
    element.addEventListener('webglcontextrestored', restored);
    return () => {
      element.removeEventListener('webglcontextlost', lost);
      element.removeEventListener('webglcontextrestored', restored);
    };
  }, []);

  // A thumbnail tile: the photo's thumbnail (by the transport's URL: same-origin with the token
  // cookie in a browser, the media scheme in the desktop app), decoded straight to tile size.
  const loadTile = useCallback(
    async (id: number, signal: AbortSignal): Promise<ImageBitmap | null> => {
      const photo = await photoFor(id);
      signal.throwIfAborted();
      if (!photo || photo.status !== 'indexed') return null;
      const response = await fetch(api.thumbUrl(photo), { signal });
      if (!response.ok) throw new Error(`No thumbnail for photo ${id} (${response.status}).`);
      return decodeTile(await response.blob(), TILE_PX);
    },
    [api, photoFor],
  );

  // The thumbnails' layer lives as long as the context: its atlases outlast layouts and colourings.
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    let layer: ThumbnailLayer;
    try {
      layer = ThumbnailLayer.create(mapContext(element), loadTile, () => draw.current());
    } catch (e) {
      if (!(e instanceof MapDrawError)) throw e;
      setGlError(e.message);
      return;
    }
    thumbnails.current = layer;
    draw.current();
    return () => {
      if (thumbnails.current === layer) thumbnails.current = null;
      layer.dispose();
    };
  }, [loadTile, glGeneration]);

  // The selection: one flag per point, in a GPU buffer and for the thumbnails.
  const selection = useRef<Float32Array | null>(null);
  const dimmed = useRef(false);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const d = data;
    const colours = colourArray(points, colourOf);
    const medoids = Float32Array.from(points, (p) => (p.medoid ? 1 : 0));
    // Zoomed in, a medoid's thumbnail is framed in the same light colour as its point's ring.
    const frames = colours.slice();
    for (let i = 0; i < points.length; i++) if (medoids[i]) frames.fill(0.96, 3 * i, 3 * i + 3);
    let gl: PointRenderer;
    try {
      gl = PointRenderer.create(mapContext(element), d.xy, colours, medoids);
    } catch (e) {
      if (!(e instanceof MapDrawError)) throw e;
      setGlError(e.message);
      return;
    }
    renderer.current = gl;
    if (selection.current) gl.setSelection(selection.current);

    let frame = 0;
    const render = () => {
      frame = 0;
      if (glLost.current) return;
      const dpr = window.devicePixelRatio || 1;
      const w = element.clientWidth;
      const h = element.clientHeight;
      const cam = camera.current;
      // Points grow as the person zooms in, within limits that keep dense areas readable.
      const density = Math.sqrt((w * h) / Math.max(1, points.length));
      const zoom = Math.sqrt(cam.scale / baseScale.current);
      const dotSize = Math.min(14, Math.max(3, density * 0.35 * zoom));
      gl.draw({ camera: cam, width: w, height: h, dpr, pointSize: dotSize, dim: dimmed.current });
      // Zoomed in, thumbnails take over from the dots, as smoothly as the zoom goes.
      const size = Math.min(112, density * 0.6 * zoom);
      const mix = thumbnailMix(size);
      const layer = thumbnails.current;
      let shown = { wanted: 0, drawn: 0 };
      if (layer && mix > 0) {
        const edge = dotSize + (size - dotSize) * mix;
        const chosen = tilesInView(
          d.index,
          d.xy,
          { camera: cam, width: w, height: h },
          edge / 2,
          THUMBNAIL_BUDGET,
        );
        const frameDrawn = layer.draw(
          {
            camera: cam,
            width: w,
            height: h,
            dpr,
            dotSize,
            size,
            mix,
            dim: dimmed.current,
            backdrop: themeBackdrop(element),
          },
          chosen,
          {
            ids: d.ids,
            xy: d.xy,
            colours: frames,
            selected: dimmed.current ? selection.current : null,
          },
        );
        shown = frameDrawn;
        thumbEdge.current = edge;
        // A tile fading in, or tiles waiting for their upload: the next frame goes on with it.
        if (frameDrawn.animating) draw.current();
      } else {
        layer?.idle();
        thumbEdge.current = 0;
      }
      report(element, 'thumbnailMix', mix.toFixed(2));
      report(element, 'thumbnails', String(shown.drawn));
      report(element, 'thumbnailsWanted', String(shown.wanted));
    };
    draw.current = () => {
      if (!frame) frame = requestAnimationFrame(render);
    };
    if (fitted.current !== fitKey) {
      fitted.current = fitKey;
      fit();
      baseScale.current = camera.current.scale;
    }
    draw.current();
    const observer = new ResizeObserver(() => draw.current());
    observer.observe(element);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      if (renderer.current === gl) renderer.current = null;
      gl.dispose();
    };
  }, [data, points, fit, colourOf, fitKey, glGeneration]);

  /**
   * The point nearest a screen position, if one lies within the hover radius: the dot's, or
   * half the thumbnail's when zoomed in.
   */
  const pick = (sx: number, sy: number): number | null => {
    const d = dataRef.current;
    const cam = camera.current;
    const lx = (sx - cam.x) / cam.scale;
    const ly = (sy - cam.y) / cam.scale;
    const radius = Math.max(HOVER_RADIUS_PX, thumbEdge.current / 2);
    const best = d.index.nearest(lx, ly, radius / cam.scale);
    return best >= 0 ? (d.ids[best] as number) : null;
  };

  const dragging = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  useEffect(() => {
    const d = dataRef.current;
    const flags = new Float32Array(d.ids.length);
    for (let i = 0; i < d.ids.length; i++) flags[i] = selected.has(d.ids[i] as number) ? 1 : 0;
    selection.current = flags;
    renderer.current?.setSelection(flags);
    dimmed.current = selected.size > 0;
    draw.current();
  }, [selected, data, colourOf, fitKey]);

  /** The photos whose points lie inside the lasso (screen space, even-odd rule). */
  const inside = (path: [number, number][]): number[] => {
    const d = dataRef.current;
    if (path.length < 3) return [];
    const cam = camera.current;
    const xs = path.map((p) => p[0]);
    const ys = path.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [
      Math.min(...xs),
      Math.max(...xs),
      Math.min(...ys),
      Math.max(...ys),
    ];
    const ids: number[] = [];
    for (let i = 0; i < d.ids.length; i++) {
      const x = (d.xy[2 * i] as number) * cam.scale + cam.x;
      const y = (d.xy[2 * i + 1] as number) * cam.scale + cam.y;
      if (x < minX || x > maxX || y < minY || y > maxY) continue;
      let within = false;
      for (let a = 0, b = path.length - 1; a < path.length; b = a++) {
        const [ax, ay] = path[a] as [number, number];
        const [bx, by] = path[b] as [number, number];
        if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) within = !within;
      }
      if (within) ids.push(d.ids[i] as number);
    }
    return ids;
  };

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      const px = event.clientX - rect.left;
      const py = event.clientY - rect.top;
      const cam = camera.current;
      const factor = Math.exp(-event.deltaY * 0.0015);
      const scale = Math.min(
        baseScale.current * 400,
        Math.max(baseScale.current * 0.5, cam.scale * factor),
      );
      const k = scale / cam.scale;
      camera.current = { scale, x: px - (px - cam.x) * k, y: py - (py - cam.y) * k };
      draw.current();
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);

  if (glError) return <p className="error-text map-error">{glError}</p>;

  return (
    <>
      <canvas
        ref={canvas}
        className="map-canvas"
        data-testid="map-canvas"
        data-point-count={points.length}
        aria-label={`Map of ${points.length} photos`}
        role="img"
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          if (lassoMode || event.shiftKey) {
            const rect = event.currentTarget.getBoundingClientRect();
            setLasso([[event.clientX - rect.left, event.clientY - rect.top]]);
            onHover(null);
            return;
          }
          dragging.current = { x: event.clientX, y: event.clientY, moved: false };
        }}
        onPointerMove={(event) => {
          const rect = event.currentTarget.getBoundingClientRect();
          if (lasso) {
            const point: [number, number] = [event.clientX - rect.left, event.clientY - rect.top];
            setLasso((path) => (path ? [...path, point] : path));
            return;
          }
          const drag = dragging.current;
          if (drag) {
            const dx = event.clientX - drag.x;
            const dy = event.clientY - drag.y;
            if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
            if (drag.moved) {
              camera.current = {
                ...camera.current,
                x: camera.current.x + dx,
                y: camera.current.y + dy,
              };
              dragging.current = { x: event.clientX, y: event.clientY, moved: true };
              draw.current();
              onHover(null);
              return;
            }
          }
          const id = pick(event.clientX - rect.left, event.clientY - rect.top);
          onHover(
            id === null ? null : { id, x: event.clientX - rect.left, y: event.clientY - rect.top },
          );
        }}
        onPointerUp={(event) => {
          if (lasso) {
            onSelect(inside(lasso));
            setLasso(null);
            return;
          }
          const drag = dragging.current;
          dragging.current = null;
          if (drag && !drag.moved) {
            const rect = event.currentTarget.getBoundingClientRect();
            const id = pick(event.clientX - rect.left, event.clientY - rect.top);
            if (id !== null) onOpen(id);
          }
        }}
        onPointerLeave={() => onHover(null)}
        onDoubleClick={fit}
      />
      {lasso && lasso.length > 1 && (
        <svg className="map-lasso" aria-hidden="true">
          <polygon points={lasso.map(([x, y]) => `${x},${y}`).join(' ')} />
        </svg>
      )}
    </>
  );
}

/** The lassoed photos as a grid in a side panel (the first few hundred), each one openable. */
function SelectionGrid({
  ids,
  photoFor,
  onClose,
}: {
  ids: number[];
  photoFor(id: number): Promise<Photo | null>;
  onClose(): void;
}) {
  const api = useApi();
  const [photos, setPhotos] = useState<Photo[] | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const shownIds = ids.slice(0, SELECTION_GRID_MAX);
  const key = shownIds.join(',');
  useEffect(() => {
    let live = true;
    void Promise.all(shownIds.map((id) => photoFor(id))).then((found) => {
      if (live) setPhotos(found.filter((p): p is Photo => p !== null));
    });
    return () => {
      live = false;
    };
  }, [key, photoFor]);
  const current = open === null ? undefined : photos?.[open];
  return (
    <aside className="map-selection" aria-label="Selected photos" data-testid="map-selection">
      <header className="toolbar">
        <h2 className="toolbar-title">
          Selected
          <span className="count">
            {ids.length > SELECTION_GRID_MAX
              ? `first ${SELECTION_GRID_MAX} of ${formatCount(ids.length)}`
              : formatCount(ids.length)}
          </span>
        </h2>
        <span className="spacer" />
        <button type="button" className="icon-button" aria-label="Close the grid" onClick={onClose}>
          ✕
        </button>
      </header>
      <ol className="results">
        {(photos ?? []).map((photo, i) => (
          <li key={photo.id} className="result">
            <button
              type="button"
              className="result-open"
              aria-label={fileName(photo.path)}
              onClick={() => setOpen(i)}
            >
              <img src={api.thumbUrl(photo)} alt="" loading="lazy" draggable={false} />
            </button>
            <span className="result-name" title={photo.path}>
              {fileName(photo.path)}
            </span>
          </li>
        ))}
      </ol>
      {current && open !== null && photos && (
        <Viewer
          photo={current}
          hasPrevious={open > 0}
          hasNext={open < photos.length - 1}
          onPrevious={() => setOpen((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => setOpen((i) => (i === null ? i : Math.min(photos.length - 1, i + 1)))}
          onClose={() => setOpen(null)}
        />
      )}
    </aside>
  );
}
