// The map's thumbnails, drawn in the points' WebGL2 context when zoomed in: every point in view
// (tiles-in-view.ts chooses them) is one instanced quad, sized by the zoom, in the photo's own
// aspect, framed in its point colour, and textured from a few fixed-size atlas textures (2048 px
// square, cut into 128-px cells: atlas-slots.ts hands the cells out and evicts the tiles seen
// longest ago). Tiles are fetched on demand for the points in view only (tile-loader.ts: a few
// fetches at a time, aborted when the point leaves the view), decoded off the main thread by
// createImageBitmap straight to tile size, and uploaded with texSubImage2D, a few per frame.
// Nothing is fetched or allocated while zoomed out.
//
// The change from dots to thumbnails follows the zoom (`mix`, 0..1): a quad starts as the dot it
// covers (same size, colour and round shape, fading in over it), then grows, turns into a rounded
// rectangle, and shows its picture over the point colour, which stays the placeholder until the
// tile arrives; a tile fades in over a few frames. So nothing on screen pops.
import { AtlasSlots, type AtlasGeometry } from './atlas-slots.ts';
import { clipTransform, linkProgram, type Camera } from './point-renderer.ts';
import { TileLoader } from './tile-loader.ts';
import type { TilesInView } from './tiles-in-view.ts';

/** A tile's long edge in pixels: a cell of the atlas. */
export const TILE_PX = 128;
export const ATLAS_GEOMETRY: AtlasGeometry = { atlasSize: 2048, cellSize: TILE_PX, atlases: 4 };
/** The most thumbnails drawn (and wanted) at once; the atlases hold 1,024 tiles. */
export const THUMBNAIL_BUDGET = 400;
/** Fetches at once. */
const CONCURRENCY = 6;
/** Tile uploads per frame, so that a burst of arrivals does not stall one frame. */
const UPLOADS_PER_FRAME = 12;
/** A tile fades in over this long once uploaded. */
const FADE_MS = 180;

/** Floats per instance: position (2), colour (3), tile rectangle in uv (4), tile (4). */
const STRIDE = 13;

const VERTEX = `#version 300 es
in vec2 a_corner;        // (0, 0) top left .. (1, 1) bottom right
in vec2 a_position;      // per instance: layout units
in vec3 a_colour;
in vec4 a_uv;            // the tile in its atlas: u, v of its top left, width, height (0..1)
in vec4 a_tile;          // atlas (-1: no tile yet), aspect (w / h), fade-in 0..1, selected
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform vec2 u_viewport; // device pixels
uniform float u_dot;     // the dot's diameter, device pixels
uniform float u_size;    // a full thumbnail's long edge, device pixels
uniform float u_mix;     // 0: dots, 1: thumbnails
out vec2 v_local;        // device pixels from the quad's centre
flat out vec2 v_half;
out vec2 v_uv;
flat out vec4 v_rect;
flat out vec3 v_colour;
flat out vec4 v_tile;
void main() {
  // A tile's shape arrives with it; until then, and while still a dot, a square.
  float aspect = mix(1.0, a_tile.y, a_tile.z * u_mix);
  float edge = mix(u_dot, u_size, u_mix);
  vec2 size = aspect >= 1.0 ? vec2(edge, edge / aspect) : vec2(edge * aspect, edge);
  vec2 offset = (a_corner - 0.5) * size;
  vec2 centre = a_position * u_scale + u_offset;
  gl_Position = vec4(centre + offset * vec2(2.0, -2.0) / u_viewport, 0.0, 1.0);
  v_local = offset;
  v_half = size * 0.5;
  v_uv = a_uv.xy + a_corner * a_uv.zw;
  v_rect = a_uv;
  v_colour = a_colour;
  v_tile = a_tile;
}`;

const FRAGMENT = `#version 300 es
precision highp float;
in vec2 v_local;
flat in vec2 v_half;
in vec2 v_uv;
flat in vec4 v_rect;
flat in vec3 v_colour;
flat in vec4 v_tile;
uniform sampler2D u_atlas0;
uniform sampler2D u_atlas1;
uniform sampler2D u_atlas2;
uniform sampler2D u_atlas3;
uniform vec2 u_texel;    // one texel of an atlas, in uv
uniform float u_mix;
uniform float u_dim;     // 1.0 while a lasso selection exists: the rest fades back
uniform float u_dpr;
uniform vec3 u_backdrop;
out vec4 colour;
vec4 atlas(float index, vec2 uv) {
  // Sampler arrays take constant indices only; no mipmaps, so a level 0 read anywhere is fine.
  if (index < 0.5) return textureLod(u_atlas0, uv, 0.0);
  if (index < 1.5) return textureLod(u_atlas1, uv, 0.0);
  if (index < 2.5) return textureLod(u_atlas2, uv, 0.0);
  return textureLod(u_atlas3, uv, 0.0);
}
void main() {
  // A rounded rectangle whose corners go from a circle (the dot) to 3 px.
  float radius = mix(min(v_half.x, v_half.y), 3.0 * u_dpr, u_mix);
  vec2 q = abs(v_local) - (v_half - radius);
  float dist = length(max(q, 0.0)) + min(max(q.x, q.y), 0.0) - radius;
  float inside = clamp(0.5 - dist, 0.0, 1.0);
  if (inside <= 0.0) discard;
  vec3 rgb = v_colour * (1.0 - 0.35 * u_mix);
  if (v_tile.x >= 0.0 && v_tile.z > 0.0) {
    // Never a texel of the next cell: the read stays half a texel inside the tile.
    vec2 lo = v_rect.xy + 0.5 * u_texel;
    vec2 hi = v_rect.xy + v_rect.zw - 0.5 * u_texel;
    vec4 texel = atlas(v_tile.x, clamp(v_uv, lo, hi));
    vec3 image = texel.rgb + u_backdrop * (1.0 - texel.a);  // premultiplied
    rgb = mix(rgb, image, v_tile.z * u_mix);
  }
  // The frame, 2 px in the point's colour, as the dot's colour carries its cluster.
  float frame = 2.0 * u_dpr * u_mix;
  rgb = mix(rgb, v_colour, smoothstep(-frame - 0.5, -frame + 0.5, dist));
  float alpha = v_tile.w > 0.5 ? 1.0 : mix(1.0, 0.18, u_dim);
  // Over the dot it covers, the quad fades in as the zoom starts the change.
  alpha *= mix(0.9, 1.0, u_mix) * smoothstep(0.0, 0.25, u_mix);
  colour = vec4(rgb, alpha * inside);
}`;

/** A photo's tile in the atlases: where, what shape, since when. */
interface Tile {
  atlas: number;
  /** The tile's rectangle in uv: left, top, width, height. */
  uv: [number, number, number, number];
  aspect: number;
  uploaded: number;
}

/**
 * Decodes a thumbnail to a tile: at most `longEdge` pixels on its long side, aspect kept,
 * alpha premultiplied (so that filtering and the backdrop blend are right at transparent edges).
 */
export async function decodeTile(blob: Blob, longEdge: number): Promise<ImageBitmap> {
  const full = await createImageBitmap(blob, { premultiplyAlpha: 'premultiply' });
  if (Math.max(full.width, full.height) <= longEdge) return full;
  try {
    const landscape = full.width >= full.height;
    return await createImageBitmap(full, {
      premultiplyAlpha: 'premultiply',
      resizeQuality: 'medium',
      ...(landscape ? { resizeWidth: longEdge } : { resizeHeight: longEdge }),
    });
  } finally {
    full.close();
  }
}

export interface ThumbnailView {
  camera: Camera;
  /** CSS size of the canvas, and the device pixel ratio. */
  width: number;
  height: number;
  dpr: number;
  /** The dot's diameter and a full thumbnail's long edge, CSS pixels. */
  dotSize: number;
  size: number;
  /** 0 (dots) .. 1 (thumbnails): how far thumbnails have replaced the dots. */
  mix: number;
  dim: boolean;
  /**
   * What shows through a thumbnail's transparent parts (an emoji's, a PNG's): the theme's raised
   * background, as the grid shows them, (r, g, b) in 0..1.
   */
  backdrop: readonly [number, number, number];
}

/** The layout's points, one entry per point in the same order. */
export interface MapPoints {
  ids: Int32Array;
  /** (x, y) in layout units. */
  xy: Float32Array;
  /** (r, g, b) in 0..1. */
  colours: Float32Array;
  /** 1 selected, 0 not; null when nothing is selected. */
  selected: Float32Array | null;
}

export interface ThumbnailFrame {
  /** Quads drawn, with or without their picture yet. */
  wanted: number;
  /** Quads drawn with their picture. */
  drawn: number;
  /** Another frame is needed: a tile is fading in, or tiles wait for their upload. */
  animating: boolean;
}

export class ThumbnailLayer {
  private readonly slots = new AtlasSlots(ATLAS_GEOMETRY);
  private readonly tiles = new Map<number, Tile>();
  /** Tiles fetched and decoded, waiting for their upload in a frame. */
  private readonly arrived = new Map<number, ImageBitmap>();
  private readonly textures: (WebGLTexture | null)[] = [];
  private readonly loader: TileLoader<ImageBitmap>;
  private readonly instances = new Float32Array(THUMBNAIL_BUDGET * STRIDE);
  private frame = 0;
  private forgotten = false;
  private readonly u: Record<string, WebGLUniformLocation | null> = {};

  private constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly program: WebGLProgram,
    private readonly vao: WebGLVertexArrayObject,
    private readonly buffers: { corner: WebGLBuffer; instance: WebGLBuffer },
    /** An empty texture for the atlas units not in use yet. */
    private readonly empty: WebGLTexture,
    load: (id: number, signal: AbortSignal) => Promise<ImageBitmap | null>,
    redraw: () => void,
  ) {
    for (const name of [
      'u_scale',
      'u_offset',
      'u_viewport',
      'u_dot',
      'u_size',
      'u_mix',
      'u_dim',
      'u_dpr',
      'u_texel',
      'u_backdrop',
      'u_atlas0',
      'u_atlas1',
      'u_atlas2',
      'u_atlas3',
    ]) {
      this.u[name] = gl.getUniformLocation(program, name);
    }
    this.loader = new TileLoader<ImageBitmap>({
      load,
      onTile: (id, bitmap) => {
        this.arrived.get(id)?.close();
        this.arrived.set(id, bitmap);
        redraw();
      },
      discard: (bitmap) => bitmap.close(),
      onRetry: redraw,
      concurrency: CONCURRENCY,
      retryMs: 2000,
      maxRetryMs: 60_000,
    });
  }

  /**
   * Compiles the program and makes the buffers; the atlases are made when the first tile
   * arrives. `load` fetches and decodes one photo's tile (decodeTile); `redraw` asks for a frame.
   */
  static create(
    gl: WebGL2RenderingContext,
    load: (id: number, signal: AbortSignal) => Promise<ImageBitmap | null>,
    redraw: () => void,
  ): ThumbnailLayer {
    const program = linkProgram(gl, VERTEX, FRAGMENT);
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const corner = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, corner);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    const cornerAt = gl.getAttribLocation(program, 'a_corner');
    gl.enableVertexAttribArray(cornerAt);
    gl.vertexAttribPointer(cornerAt, 2, gl.FLOAT, false, 0, 0);
    const instance = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, instance);
    gl.bufferData(gl.ARRAY_BUFFER, THUMBNAIL_BUDGET * STRIDE * 4, gl.DYNAMIC_DRAW);
    let offset = 0;
    for (const [name, size] of [
      ['a_position', 2],
      ['a_colour', 3],
      ['a_uv', 4],
      ['a_tile', 4],
    ] as const) {
      const at = gl.getAttribLocation(program, name);
      gl.enableVertexAttribArray(at);
      gl.vertexAttribPointer(at, size, gl.FLOAT, false, STRIDE * 4, offset * 4);
      gl.vertexAttribDivisor(at, 1);
      offset += size;
    }
    gl.bindVertexArray(null);
    const empty = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, empty);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 1, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    gl.bindTexture(gl.TEXTURE_2D, null);
    return new ThumbnailLayer(gl, program, vao, { corner, instance }, empty, load, redraw);
  }

  /** Zoomed out: nothing drawn, fetches in flight aborted. The tiles stay for the next zoom. */
  idle(): void {
    this.loader.want([]);
  }

  /**
   * Draws the chosen points as thumbnails over the dots already drawn, and asks for the tiles
   * missing. The points' arrays are those of the layout, indexed as `chosen` is.
   */
  draw(view: ThumbnailView, chosen: TilesInView, points: MapPoints): ThumbnailFrame {
    const { ids, xy, colours, selected } = points;
    const { gl } = this;
    if (this.forgotten) return { wanted: 0, drawn: 0, animating: false };
    const frame = ++this.frame;
    const now = performance.now();
    for (const i of chosen.points) this.slots.touch(ids[i] as number, frame);
    const waiting = this.upload(frame, now);

    const count = Math.min(chosen.points.length, THUMBNAIL_BUDGET);
    const data = this.instances;
    let drawn = 0;
    let fading = false;
    let k = 0;
    // In the points' order; with a selection, the photos not selected first, so that a faded
    // one never lies over a selected one.
    for (const pass of selected ? [0, 1] : [1]) {
      for (let c = 0; c < count; c++) {
        const i = chosen.points[c] as number;
        const flag = selected ? (selected[i] ?? 0) : 1;
        if ((flag > 0.5 ? 1 : 0) !== pass) continue;
        const id = ids[i] as number;
        const tile = this.tiles.get(id);
        const o = k++ * STRIDE;
        data[o] = xy[2 * i] ?? 0;
        data[o + 1] = xy[2 * i + 1] ?? 0;
        data[o + 2] = colours[3 * i] ?? 0.5;
        data[o + 3] = colours[3 * i + 1] ?? 0.5;
        data[o + 4] = colours[3 * i + 2] ?? 0.5;
        if (tile) {
          const fade = Math.min(1, (now - tile.uploaded) / FADE_MS);
          if (fade < 1) fading = true;
          data.set(tile.uv, o + 5);
          data[o + 9] = tile.atlas;
          data[o + 10] = tile.aspect;
          data[o + 11] = fade;
          drawn++;
        } else {
          data.fill(0, o + 5, o + 9);
          data[o + 9] = -1;
          data[o + 10] = 1;
          data[o + 11] = 0;
        }
        data[o + 12] = flag;
      }
    }

    // The tiles still missing, nearest the middle of the screen first.
    const missing: number[] = [];
    for (const i of chosen.priority) {
      const id = ids[i] as number;
      if (!this.tiles.has(id) && !this.arrived.has(id)) missing.push(id);
    }
    this.loader.want(missing);

    if (count > 0) {
      const cam = view.camera;
      const canvas = gl.canvas as HTMLCanvasElement;
      gl.useProgram(this.program);
      gl.bindVertexArray(this.vao);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.instance);
      gl.bufferSubData(gl.ARRAY_BUFFER, 0, data, 0, count * STRIDE);
      for (let a = 0; a < ATLAS_GEOMETRY.atlases; a++) {
        gl.activeTexture(gl.TEXTURE0 + a);
        gl.bindTexture(gl.TEXTURE_2D, this.textures[a] ?? this.empty);
        gl.uniform1i(this.u[`u_atlas${a}`] ?? null, a);
      }
      gl.activeTexture(gl.TEXTURE0);
      const clip = clipTransform(cam, view.width, view.height);
      gl.uniform2f(this.u.u_scale ?? null, clip.scale[0], clip.scale[1]);
      gl.uniform2f(this.u.u_offset ?? null, clip.offset[0], clip.offset[1]);
      gl.uniform2f(this.u.u_viewport ?? null, canvas.width, canvas.height);
      gl.uniform1f(this.u.u_dot ?? null, view.dotSize * view.dpr);
      gl.uniform1f(this.u.u_size ?? null, view.size * view.dpr);
      gl.uniform1f(this.u.u_mix ?? null, view.mix);
      gl.uniform1f(this.u.u_dim ?? null, view.dim ? 1 : 0);
      gl.uniform1f(this.u.u_dpr ?? null, view.dpr);
      gl.uniform2f(
        this.u.u_texel ?? null,
        1 / ATLAS_GEOMETRY.atlasSize,
        1 / ATLAS_GEOMETRY.atlasSize,
      );
      gl.uniform3f(this.u.u_backdrop ?? null, ...view.backdrop);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, count);
      gl.bindVertexArray(null);
    }
    return { wanted: count, drawn, animating: fading || waiting };
  }

  /** Uploads tiles that arrived, a few per frame; true when some still wait. */
  private upload(frame: number, now: number): boolean {
    const { gl } = this;
    let uploads = 0;
    for (const [id, bitmap] of this.arrived) {
      if (uploads >= UPLOADS_PER_FRAME) return true;
      const cell = this.slots.allocate(id, frame);
      // Every cell holds a tile of this frame: this one waits for a cell to come free.
      if (!cell) return true;
      if (cell.evicted !== null) this.tiles.delete(cell.evicted);
      const place = this.slots.place(cell.cell);
      const texture = this.atlas(place.atlas);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, place.x, place.y, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
      gl.bindTexture(gl.TEXTURE_2D, null);
      const size = ATLAS_GEOMETRY.atlasSize;
      this.tiles.set(id, {
        atlas: place.atlas,
        uv: [place.x / size, place.y / size, bitmap.width / size, bitmap.height / size],
        aspect: bitmap.width / Math.max(1, bitmap.height),
        uploaded: now,
      });
      this.arrived.delete(id);
      bitmap.close();
      uploads++;
    }
    return false;
  }

  /** The atlas texture, made (2048 px square, one level, no mipmaps) when first needed. */
  private atlas(index: number): WebGLTexture {
    const known = this.textures[index];
    if (known) return known;
    const { gl } = this;
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, ATLAS_GEOMETRY.atlasSize, ATLAS_GEOMETRY.atlasSize);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    this.textures[index] = texture;
    return texture;
  }

  /** The context was lost: its objects are gone; fetches stop, and nothing is drawn any more. */
  forget(): void {
    this.forgotten = true;
    this.release();
  }

  dispose(): void {
    this.release();
    const { gl } = this;
    if (this.forgotten || gl.isContextLost()) return;
    for (const texture of this.textures) if (texture) gl.deleteTexture(texture);
    gl.deleteTexture(this.empty);
    gl.deleteBuffer(this.buffers.corner);
    gl.deleteBuffer(this.buffers.instance);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
  }

  private release(): void {
    this.loader.clear();
    for (const bitmap of this.arrived.values()) bitmap.close();
    this.arrived.clear();
    this.tiles.clear();
    this.slots.clear();
  }
}
