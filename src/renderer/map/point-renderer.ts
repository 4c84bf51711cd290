// The map's WebGL2 point renderer: every photo as one round, anti-aliased point, all of them in
// one gl.POINTS draw call from static vertex buffers. Positions and colours are uploaded once per
// layout (or colouring), the selection flags when the selection changes; a frame only sets four
// uniforms and draws, so panning and zooming cost the same JavaScript at 100 points or 100k.
//
// Kept apart from MapScreen so that the drawing can be read (and measured: bench/map-frames.ts)
// without the React around it. The thumbnails drawn over the points when zoomed in share the
// context (map/thumbnail-layer.ts). A lost context takes every GL object with it: the screen
// builds both renderers again on `webglcontextrestored`, after forget() on the old ones.

/** The view: where layout coordinates land on the screen. */
export interface Camera {
  /** Pixels per layout unit. */
  scale: number;
  /** Screen position (CSS pixels) of layout (0, 0). */
  x: number;
  y: number;
}

// Two passes over the same buffers: every point, then the clusters' medoids again on top, bigger
// and ringed (the vertex shader drops every other point from the second pass).
const VERTEX = `#version 300 es
in vec2 a_position;
in vec3 a_colour;
in float a_selected;
in float a_medoid;
uniform vec2 u_scale;   // layout units -> clip space
uniform vec2 u_offset;  // clip-space position of layout (0, 0)
uniform float u_size;
uniform float u_medoidSize;
uniform float u_pass;   // 0: every point; 1: medoids only, ringed
out vec3 v_colour;
out float v_selected;
out float v_ring;
void main() {
  v_selected = a_selected;
  v_colour = a_colour;
  v_ring = u_pass;
  if (u_pass > 0.5 && a_medoid < 0.5) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0); // outside the clip volume: not drawn
    gl_PointSize = 0.0;
    return;
  }
  gl_Position = vec4(a_position * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_pass > 0.5 ? u_medoidSize : u_size;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec3 v_colour;
in float v_selected;
in float v_ring;
uniform float u_dim;    // 1.0 while a lasso selection exists: the rest fades back
out vec4 colour;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r = length(d);
  if (r > 0.5) discard;
  float alpha = v_selected > 0.5 ? 0.9 : mix(0.9, 0.15, u_dim);
  // A medoid: its colour inside a light ring, so a cluster's representative stands out.
  vec3 rgb = v_ring > 0.5 && r > 0.3 ? vec3(0.96) : v_colour;
  colour = vec4(rgb, (v_ring > 0.5 ? 1.0 : alpha) * smoothstep(0.5, 0.42, r));
}`;

/** WebGL2 is missing, or the shaders did not compile: the message says which, for the screen. */
export class MapDrawError extends Error {}

/** The map canvas's WebGL2 context (the same one on every call). Throws MapDrawError. */
export function mapContext(canvas: HTMLCanvasElement): WebGL2RenderingContext {
  const gl = canvas.getContext('webgl2', { antialias: true, premultipliedAlpha: false });
  if (!gl) throw new MapDrawError('This browser cannot draw the map: WebGL2 is not available.');
  return gl;
}

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader)
    throw new MapDrawError('The map could not be drawn: WebGL could not create a shader.');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    const log = gl.getShaderInfoLog(shader) ?? 'shader failed to compile';
    throw new MapDrawError(`The map could not be drawn: ${log}`);
  }
  return shader;
}

/** Compiles and links a program from its two shaders. Throws MapDrawError. */
export function linkProgram(
  gl: WebGL2RenderingContext,
  vertex: string,
  fragment: string,
): WebGLProgram {
  const program = gl.createProgram();
  const shaders = [
    compile(gl, gl.VERTEX_SHADER, vertex),
    compile(gl, gl.FRAGMENT_SHADER, fragment),
  ];
  for (const shader of shaders) gl.attachShader(program, shader);
  gl.linkProgram(program);
  // Flagged for deletion: they go with the program instead of outliving it.
  for (const shader of shaders) gl.deleteShader(shader);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    const log = gl.getProgramInfoLog(program) ?? 'program failed to link';
    throw new MapDrawError(`The map could not be drawn: ${log}`);
  }
  return program;
}

/** The transform of a camera for a shader: layout units to clip space (u_scale, u_offset). */
export function clipTransform(cam: Camera, width: number, height: number) {
  // screen = p * scale + (x, y) in CSS px, y down; clip = screen / size * 2 - 1, y up.
  return {
    scale: [(2 * cam.scale) / width, (-2 * cam.scale) / height] as const,
    offset: [(2 * cam.x) / width - 1, 1 - (2 * cam.y) / height] as const,
  };
}

/** '#rrggbb' as three floats in 0..1. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** One colour per point, three floats each, for PointRenderer; each distinct colour parsed once. */
export function colourArray<P>(points: readonly P[], colourOf: (point: P) => string): Float32Array {
  const colours = new Float32Array(points.length * 3);
  const parsed = new Map<string, [number, number, number]>();
  for (let i = 0; i < points.length; i++) {
    const hex = colourOf(points[i] as P);
    let value = parsed.get(hex);
    if (!value) {
      value = rgb(hex);
      parsed.set(hex, value);
    }
    colours.set(value, 3 * i);
  }
  return colours;
}

export class PointRenderer {
  private readonly uDim: WebGLUniformLocation | null;
  private readonly uScale: WebGLUniformLocation | null;
  private readonly uOffset: WebGLUniformLocation | null;
  private readonly uSize: WebGLUniformLocation | null;
  private readonly uMedoidSize: WebGLUniformLocation | null;
  private readonly uPass: WebGLUniformLocation | null;
  private readonly count: number;
  /** Set by forget(): the context was lost, and with it every GL object of this renderer. */
  private forgotten = false;

  private constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly program: WebGLProgram,
    private readonly vao: WebGLVertexArrayObject,
    private readonly buffers: {
      position: WebGLBuffer;
      colour: WebGLBuffer;
      selected: WebGLBuffer;
      medoid: WebGLBuffer;
    },
    count: number,
    private readonly medoids: number,
  ) {
    this.count = count;
    this.uDim = gl.getUniformLocation(program, 'u_dim');
    this.uScale = gl.getUniformLocation(program, 'u_scale');
    this.uOffset = gl.getUniformLocation(program, 'u_offset');
    this.uSize = gl.getUniformLocation(program, 'u_size');
    this.uMedoidSize = gl.getUniformLocation(program, 'u_medoidSize');
    this.uPass = gl.getUniformLocation(program, 'u_pass');
  }

  /**
   * Compiles the program and uploads the points: `xy` holds (x, y) in layout units per point,
   * `colours` (r, g, b) in 0..1, `medoids` 1 for a cluster's medoid and 0 otherwise (none when
   * left out). Nothing is selected to begin with. Throws MapDrawError.
   */
  static create(
    gl: WebGL2RenderingContext,
    xy: Float32Array,
    colours: Float32Array,
    medoids?: Float32Array,
  ): PointRenderer {
    const program = linkProgram(gl, VERTEX, FRAGMENT);
    const count = xy.length / 2;
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
    const buffers = {
      position: bind('a_position', xy, 2),
      colour: bind('a_colour', colours, 3),
      selected: bind('a_selected', new Float32Array(count), 1),
      medoid: bind('a_medoid', medoids ?? new Float32Array(count), 1),
    };
    gl.bindVertexArray(null);
    const medoidCount = medoids ? medoids.reduce((n, flag) => n + (flag > 0.5 ? 1 : 0), 0) : 0;
    return new PointRenderer(gl, program, vao, buffers, count, medoidCount);
  }

  /** One flag per point (1 selected, 0 not), in the order of the points given to create. */
  setSelection(flags: Float32Array): void {
    if (this.forgotten || flags.length !== this.count) return;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.selected);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, flags);
  }

  /**
   * Draws every point. `width` and `height` are the canvas's CSS size, `dpr` the device pixel
   * ratio, `pointSize` the diameter in CSS pixels; `dim` fades the points not selected.
   */
  draw(view: {
    camera: Camera;
    width: number;
    height: number;
    dpr: number;
    pointSize: number;
    dim: boolean;
  }): void {
    const { gl } = this;
    if (this.forgotten) return;
    const canvas = gl.canvas as HTMLCanvasElement;
    const { camera: cam, width: w, height: h, dpr } = view;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    const clip = clipTransform(cam, w, h);
    gl.uniform2f(this.uScale, clip.scale[0], clip.scale[1]);
    gl.uniform2f(this.uOffset, clip.offset[0], clip.offset[1]);
    gl.uniform1f(this.uSize, dpr * view.pointSize);
    gl.uniform1f(this.uDim, view.dim ? 1 : 0);
    gl.uniform1f(this.uPass, 0);
    gl.drawArrays(gl.POINTS, 0, this.count);
    if (this.medoids > 0) {
      gl.uniform1f(this.uMedoidSize, dpr * Math.max(10, view.pointSize * 2));
      gl.uniform1f(this.uPass, 1);
      gl.drawArrays(gl.POINTS, 0, this.count);
    }
    gl.bindVertexArray(null);
  }

  /** The context was lost: its objects are gone, and nothing is drawn or deleted any more. */
  forget(): void {
    this.forgotten = true;
  }

  dispose(): void {
    const { gl } = this;
    if (this.forgotten || gl.isContextLost()) return;
    gl.deleteBuffer(this.buffers.position);
    gl.deleteBuffer(this.buffers.colour);
    gl.deleteBuffer(this.buffers.selected);
    gl.deleteBuffer(this.buffers.medoid);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
  }
}
