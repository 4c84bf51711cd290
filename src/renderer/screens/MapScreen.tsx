// The map: every photo as a point, placed by the engine's layout so that similar pictures sit
// together, coloured by cluster (or by duplicates). Pan by dragging, zoom with the wheel, hover for a preview,
// click to open, lasso (shift-drag) a region to see its photos as a grid. While the engine computes a layout the screen shows its progress and asks
// again.
//
// Drawn with plain WebGL2 rather than a canvas 2D context or a chart library: 100k points must
// redraw at 60 fps while panning, which one gl.POINTS draw call of a static vertex buffer does
// easily, and a few dozen lines of GL need no new dependency.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MapLayoutView, MapPoint, Photo } from '../../shared/domain.ts';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';

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
type ColourBy = 'cluster' | 'duplicates' | 'colour';

const KEEPER_COLOUR = '#5b9dff';
const REMOVE_COLOUR = '#ff7b72';
const OTHER_COLOUR = '#5a5a5a';
/** Below this many points in view, each is drawn as its thumbnail over the dot. */
const THUMBS_IN_VIEW = 160;
/** A lassoed region shows at most this many photos as a grid: a screenful or two. */
const SELECTION_GRID_MAX = 300;

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export function clusterColour(cluster: number): string {
  return cluster < 0 ? '#6e6e6e' : (CLUSTER_COLOURS[cluster % CLUSTER_COLOURS.length] as string);
}

interface Camera {
  /** Pixels per layout unit. */
  scale: number;
  /** Screen position (CSS pixels) of layout (0, 0). */
  x: number;
  y: number;
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

  const fetchLayout = useCallback(
    (recompute: boolean) => {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ask = (again: boolean) => {
        api.invoke('map.layout', again ? { recompute: true } : {}).then(
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
    [api],
  );

  const [recomputeRequest, setRecomputeRequest] = useState(0);
  useEffect(
    () => fetchLayout(recomputeRequest > 0),
    [fetchLayout, recomputeRequest, photosVersion],
  );

  const photoFor = useCallback(
    async (id: number): Promise<Photo | null> => {
      const known = photos.current.get(id);
      if (known) return known;
      const photo = await api.invoke('photos.get', { photoId: id }).catch(() => null);
      if (photo) photos.current.set(id, photo);
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

  const points = shown?.points ?? [];
  const clusters = new Set(points.map((p) => p.cluster)).size;

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
      {layout?.state === 'empty' && (
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
                {[...new Set(points.map((p) => p.cluster))]
                  .sort((a, b) => a - b)
                  .slice(0, 24)
                  .map((c) => (
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
          onClick={() =>
            setRecomputeRequest((n) => {
              fitFor.current = n + 1;
              return n + 1;
            })
          }
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

const VERTEX = `#version 300 es
in vec2 a_position;
in vec3 a_colour;
in float a_selected;
uniform vec2 u_scale;   // layout units -> clip space
uniform vec2 u_offset;  // clip-space position of layout (0, 0)
uniform float u_size;
out vec3 v_colour;
out float v_selected;
void main() {
  v_selected = a_selected;
  gl_Position = vec4(a_position * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_size;
  v_colour = a_colour;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec3 v_colour;
in float v_selected;
uniform float u_dim;    // 1.0 while a lasso selection exists: the rest fades back
out vec4 colour;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r = length(d);
  if (r > 0.5) discard;
  float alpha = v_selected > 0.5 ? 0.9 : mix(0.9, 0.15, u_dim);
  colour = vec4(v_colour, alpha * smoothstep(0.5, 0.38, r));
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new Error('WebGL could not create a shader.');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(gl.getShaderInfoLog(shader) ?? 'shader failed to compile');
  }
  return shader;
}

interface Thumb {
  id: number;
  x: number;
  y: number;
  /** The point's colour, for the thumbnail's frame (the thumbnail covers the dot). */
  colour: string;
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
  const [lasso, setLasso] = useState<[number, number][] | null>(null);
  const selection = useRef<{ gl: WebGL2RenderingContext; buffer: WebGLBuffer } | null>(null);
  const [thumbs, setThumbs] = useState<{ size: number; list: Thumb[] }>({ size: 0, list: [] });
  const canvas = useRef<HTMLCanvasElement>(null);
  const camera = useRef<Camera>({ scale: 1, x: 0, y: 0 });
  /** The fitKey the view was last fitted for: a recomputed layout is fitted afresh. */
  const fitted = useRef<number | null>(null);
  const draw = useRef<() => void>(() => undefined);
  const [glError, setGlError] = useState<string | null>(null);
  const baseScale = useRef(1);
  const points = layout.points;

  // Layout coordinates in typed arrays, once per layout: the GPU buffer and the hover search.
  const data = useRef<{ xy: Float32Array; ids: Int32Array } | null>(null);
  if (
    !data.current ||
    data.current.ids.length !== points.length ||
    data.current.ids[0] !== points[0]?.id
  ) {
    const xy = new Float32Array(points.length * 2);
    const ids = new Int32Array(points.length);
    points.forEach((p, i) => {
      xy[2 * i] = p.x;
      xy[2 * i + 1] = p.y;
      ids[i] = p.id;
    });
    data.current = { xy, ids };
  }

  const fit = useCallback(() => {
    const element = canvas.current;
    const d = data.current;
    if (!element || !d || d.ids.length === 0) return;
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

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const gl = element.getContext('webgl2', { antialias: true, premultipliedAlpha: false });
    if (!gl) {
      setGlError('This browser cannot draw the map: WebGL2 is not available.');
      return;
    }
    let program: WebGLProgram;
    try {
      program = gl.createProgram();
      gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
      gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
      gl.linkProgram(program);
      if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
        throw new Error(gl.getProgramInfoLog(program) ?? 'program failed to link');
      }
    } catch (e) {
      setGlError(`The map could not be drawn: ${(e as Error).message}`);
      return;
    }
    const d = data.current as { xy: Float32Array; ids: Int32Array };
    const colours = new Float32Array(points.length * 3);
    points.forEach((p, i) => colours.set(rgb(colourOf(p)), 3 * i));

    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const bind = (name: string, array: Float32Array, size: number) => {
      const buffer = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
      const location = gl.getAttribLocation(program, name);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, size, gl.FLOAT, false, 0, 0);
      return buffer;
    };
    const buffers = [
      bind('a_position', d.xy, 2),
      bind('a_colour', colours, 3),
      bind('a_selected', new Float32Array(points.length), 1),
    ];
    selection.current = { gl, buffer: buffers[2] as WebGLBuffer };
    const uDim = gl.getUniformLocation(program, 'u_dim');
    const uScale = gl.getUniformLocation(program, 'u_scale');
    const uOffset = gl.getUniformLocation(program, 'u_offset');
    const uSize = gl.getUniformLocation(program, 'u_size');

    let frame = 0;
    const render = () => {
      frame = 0;
      const dpr = window.devicePixelRatio || 1;
      const w = element.clientWidth;
      const h = element.clientHeight;
      if (element.width !== Math.round(w * dpr) || element.height !== Math.round(h * dpr)) {
        element.width = Math.round(w * dpr);
        element.height = Math.round(h * dpr);
      }
      gl.viewport(0, 0, element.width, element.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      gl.useProgram(program);
      gl.bindVertexArray(vao);
      const cam = camera.current;
      // screen = p * scale + (x, y) in CSS px, y down; clip = screen / size * 2 - 1, y up.
      gl.uniform2f(uScale, (2 * cam.scale) / w, (-2 * cam.scale) / h);
      gl.uniform2f(uOffset, (2 * cam.x) / w - 1, 1 - (2 * cam.y) / h);
      // Points grow as the person zooms in, within limits that keep dense areas readable.
      const density = Math.sqrt((w * h) / Math.max(1, points.length));
      const zoom = Math.sqrt(cam.scale / baseScale.current);
      gl.uniform1f(uSize, dpr * Math.min(14, Math.max(3, density * 0.35 * zoom)));
      gl.uniform1f(uDim, dimmed.current ? 1 : 0);
      gl.drawArrays(gl.POINTS, 0, points.length);
      // Zoomed in far enough that few points are in view: show them as thumbnails.
      const inView: Thumb[] = [];
      for (let i = 0; i < d.ids.length && inView.length <= THUMBS_IN_VIEW; i++) {
        const x = (d.xy[2 * i] as number) * cam.scale + cam.x;
        const y = (d.xy[2 * i + 1] as number) * cam.scale + cam.y;
        if (x > -40 && y > -40 && x < w + 40 && y < h + 40) {
          const point = points[i];
          inView.push({
            id: d.ids[i] as number,
            x,
            y,
            colour: point ? colourOf(point) : OTHER_COLOUR,
          });
        }
      }
      setThumbs(
        inView.length <= THUMBS_IN_VIEW
          ? { size: Math.min(112, Math.max(28, density * 0.6 * zoom)), list: inView }
          : { size: 0, list: [] },
      );
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
      for (const b of buffers) gl.deleteBuffer(b);
      gl.deleteVertexArray(vao);
      gl.deleteProgram(program);
    };
  }, [points, fit, colourOf, fitKey]);

  /** The point nearest a screen position, if one lies within the hover radius. */
  const pick = (sx: number, sy: number): number | null => {
    const d = data.current;
    if (!d) return null;
    const cam = camera.current;
    const limit = (HOVER_RADIUS_PX / cam.scale) ** 2;
    const lx = (sx - cam.x) / cam.scale;
    const ly = (sy - cam.y) / cam.scale;
    let best = -1;
    let bestD = limit;
    for (let i = 0; i < d.ids.length; i++) {
      const dx = (d.xy[2 * i] as number) - lx;
      const dy = (d.xy[2 * i + 1] as number) - ly;
      const dist = dx * dx + dy * dy;
      if (dist < bestD) {
        bestD = dist;
        best = i;
      }
    }
    return best >= 0 ? (d.ids[best] as number) : null;
  };

  const dragging = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  // The selection lives in a GPU buffer: one float per point, rewritten when it changes.
  const dimmed = useRef(false);
  useEffect(() => {
    const target = selection.current;
    const d = data.current;
    if (!target || !d) return;
    const flags = new Float32Array(d.ids.length);
    for (let i = 0; i < d.ids.length; i++) flags[i] = selected.has(d.ids[i] as number) ? 1 : 0;
    target.gl.bindBuffer(target.gl.ARRAY_BUFFER, target.buffer);
    target.gl.bufferSubData(target.gl.ARRAY_BUFFER, 0, flags);
    dimmed.current = selected.size > 0;
    draw.current();
  }, [selected, points, colourOf]);

  /** The photos whose points lie inside the lasso (screen space, even-odd rule). */
  const inside = (path: [number, number][]): number[] => {
    const d = data.current;
    if (!d || path.length < 3) return [];
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
      <ThumbLayer thumbs={thumbs.list} size={thumbs.size} photoFor={photoFor} selected={selected} />
      {lasso && lasso.length > 1 && (
        <svg className="map-lasso" aria-hidden="true">
          <polygon points={lasso.map(([x, y]) => `${x},${y}`).join(' ')} />
        </svg>
      )}
    </>
  );
}

/** Thumbnails over the points in view; they let the pointer through to the canvas below. */
function ThumbLayer({
  thumbs,
  size,
  photoFor,
  selected,
}: {
  thumbs: Thumb[];
  size: number;
  photoFor(id: number): Promise<Photo | null>;
  selected: ReadonlySet<number>;
}) {
  const api = useApi();
  const [photos, setPhotos] = useState<ReadonlyMap<number, Photo>>(new Map());
  useEffect(() => {
    const missing = thumbs.filter((t) => !photos.has(t.id));
    if (missing.length === 0) return;
    let live = true;
    void Promise.all(missing.map((t) => photoFor(t.id))).then((found) => {
      if (!live) return;
      setPhotos((known) => {
        const next = new Map(known);
        for (const photo of found) if (photo) next.set(photo.id, photo);
        return next;
      });
    });
    return () => {
      live = false;
    };
  }, [thumbs, photos, photoFor]);
  if (size === 0) return null;
  return (
    <div className="map-thumbs" aria-hidden="true" data-testid="map-thumbs">
      {thumbs.map((t) => {
        const photo = photos.get(t.id);
        return photo && photo.status === 'indexed' ? (
          <img
            key={t.id}
            src={api.thumbUrl(photo)}
            alt=""
            draggable={false}
            className={selected.size > 0 && !selected.has(t.id) ? 'dimmed' : undefined}
            style={{
              width: size,
              height: size,
              // The thumbnail covers its dot, so its frame carries the cluster colour.
              borderColor: t.colour,
              transform: `translate(${t.x - size / 2}px, ${t.y - size / 2}px)`,
            }}
          />
        ) : null;
      })}
    </div>
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
