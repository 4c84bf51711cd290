// A uniform grid over the map's points, so the questions asked on every pointer move and every
// frame (which point is under the pointer? which points are in view?) look at the few cells
// concerned instead of all 100k points. Built once per layout in O(n) (a counting sort of the
// points by cell); the points' order is the caller's, and answers are given in that order.

/** Points per cell on average; clusters make some cells much fuller, which stays cheap. */
const POINTS_PER_CELL = 4;

export class PointIndex {
  readonly size: number;
  private readonly xy: Float32Array;
  private readonly minX: number;
  private readonly minY: number;
  /** Cells per layout unit. */
  private readonly inv: number;
  private readonly cols: number;
  private readonly rows: number;
  /** Points of cell c are order[start[c] .. start[c + 1]), ascending. */
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  /** `xy` holds (x, y) per point, in layout units; it is kept, not copied. */
  constructor(xy: Float32Array) {
    const n = Math.floor(xy.length / 2);
    this.size = n;
    this.xy = xy;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i] as number;
      const y = xy[2 * i + 1] as number;
      // A broken coordinate (infinite, not a number) must not stretch the grid.
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    if (!(minX <= maxX)) minX = maxX = 0;
    if (!(minY <= maxY)) minY = maxY = 0;
    const width = Math.max(maxX - minX, 1e-9);
    const height = Math.max(maxY - minY, 1e-9);
    // Square cells, about POINTS_PER_CELL points each if the points were spread evenly.
    const cellSize = Math.sqrt((width * height * POINTS_PER_CELL) / Math.max(1, n)) || 1;
    this.inv = 1 / cellSize;
    this.cols = Math.min(4096, Math.max(1, Math.ceil(width * this.inv)));
    this.rows = Math.min(4096, Math.max(1, Math.ceil(height * this.inv)));
    this.minX = minX;
    this.minY = minY;
    const cells = this.cols * this.rows;
    const cellOf = new Int32Array(n);
    const start = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cell(xy[2 * i] as number, xy[2 * i + 1] as number);
      cellOf[i] = c;
      start[c + 1]!++;
    }
    for (let c = 0; c < cells; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, cells);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[cellOf[i]!]!++] = i;
    this.start = start;
    this.order = order;
  }

  private col(x: number): number {
    const c = Math.floor((x - this.minX) * this.inv);
    // Outside the grid goes to its edge; not-a-number to cell 0 (it never matches a query).
    return c >= this.cols ? this.cols - 1 : c > 0 ? c : 0;
  }

  private row(y: number): number {
    const r = Math.floor((y - this.minY) * this.inv);
    return r >= this.rows ? this.rows - 1 : r > 0 ? r : 0;
  }

  private cell(x: number, y: number): number {
    return this.row(y) * this.cols + this.col(x);
  }

  /**
   * The point nearest (x, y) strictly within `radius` (layout units), or -1. Of points at the same
   * distance, the first in the caller's order: exactly what a scan of every point would answer.
   */
  nearest(x: number, y: number, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    const c0 = this.col(x - radius);
    const c1 = this.col(x + radius);
    const r0 = this.row(y - radius);
    const r1 = this.row(y + radius);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.start[cell]!, end = this.start[cell + 1]!; k < end; k++) {
          const i = this.order[k]!;
          const dx = (this.xy[2 * i] as number) - x;
          const dy = (this.xy[2 * i + 1] as number) - y;
          const dist = dx * dx + dy * dy;
          if (dist < bestD || (dist === bestD && best >= 0 && i < best)) {
            bestD = dist;
            best = i;
          }
        }
      }
    }
    return best;
  }

  /**
   * Calls `visit` with every point whose cell meets the rectangle (layout units), so every point
   * inside it and some near it: the caller applies its exact test. `visit` returns false to stop.
   * Cells are visited row by row, so the points come in no particular order.
   */
  candidatesIn(
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
    visit: (i: number) => boolean,
  ) {
    if (!(minX <= maxX && minY <= maxY)) return;
    const c0 = this.col(minX);
    const c1 = this.col(maxX);
    const r0 = this.row(minY);
    const r1 = this.row(maxY);
    for (let r = r0; r <= r1; r++) {
      const first = this.start[r * this.cols + c0]!;
      const end = this.start[r * this.cols + c1 + 1]!;
      // The cells of one row are contiguous in `order`.
      for (let k = first; k < end; k++) if (!visit(this.order[k]!)) return;
    }
  }
}
