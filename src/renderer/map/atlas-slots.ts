// Where each photo's thumbnail tile lives in the map's texture atlases, and which tile goes when
// a new one needs room. Pure bookkeeping, no GL (map/thumbnail-layer.ts does the uploads): a few
// fixed-size atlases cut into square cells, one tile per cell, handed out lowest first; when all
// are taken, the tile seen longest ago makes room, but never one drawn in the current frame.

export interface AtlasGeometry {
  /** Width and height of one atlas texture, in pixels. */
  atlasSize: number;
  /** Width and height of one cell; a tile's long edge is at most this. */
  cellSize: number;
  /** How many atlases there are at most. */
  atlases: number;
}

/** A cell's place: its atlas and the pixel position of its top-left corner there. */
export interface CellPlace {
  atlas: number;
  x: number;
  y: number;
}

interface Entry {
  cell: number;
  /** The frame the tile was last drawn in. */
  frame: number;
}

export class AtlasSlots {
  readonly capacity: number;
  readonly cellsPerAtlas: number;
  private readonly perRow: number;
  /** Photo id -> its cell; a Map keeps insertion order, and use re-inserts: oldest use first. */
  private readonly entries = new Map<number, Entry>();
  /** Free cells, the lowest last, so that cells fill from 0 upwards (a pop takes the lowest). */
  private free: number[] = [];

  constructor(readonly geometry: AtlasGeometry) {
    const { atlasSize, cellSize, atlases } = geometry;
    if (!(cellSize > 0 && atlasSize >= cellSize && atlases >= 1)) {
      throw new RangeError('An atlas holds at least one cell.');
    }
    this.perRow = Math.floor(atlasSize / cellSize);
    this.cellsPerAtlas = this.perRow * this.perRow;
    this.capacity = this.cellsPerAtlas * atlases;
    this.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets every tile (a lost GL context took the textures with it). */
  clear(): void {
    this.entries.clear();
    this.free = Array.from({ length: this.capacity }, (_, i) => this.capacity - 1 - i);
  }

  /** The tile's cell, or undefined when it has none. */
  cellOf(id: number): number | undefined {
    return this.entries.get(id)?.cell;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** Marks the tile as drawn in `frame`: it becomes the most recently used. */
  touch(id: number, frame: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.frame = frame;
    this.entries.set(id, entry);
  }

  /**
   * A cell for a new tile, drawn from `frame` on: a free one, else the cell of the tile used
   * longest ago, which is evicted (returned as `evicted`). Null when every cell holds a tile
   * drawn in this very frame: the new tile waits. A tile that already has a cell keeps it.
   */
  allocate(id: number, frame: number): { cell: number; evicted: number | null } | null {
    const known = this.entries.get(id);
    if (known) {
      this.touch(id, frame);
      return { cell: known.cell, evicted: null };
    }
    let cell = this.free.pop();
    let evicted: number | null = null;
    if (cell === undefined) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return null;
      const [oldId, entry] = oldest.value;
      if (entry.frame >= frame) return null;
      this.entries.delete(oldId);
      cell = entry.cell;
      evicted = oldId;
    }
    this.entries.set(id, { cell, frame });
    return { cell, evicted };
  }

  /** Where a cell is: its atlas and its top-left pixel. */
  place(cell: number): CellPlace {
    const atlas = Math.floor(cell / this.cellsPerAtlas);
    const within = cell % this.cellsPerAtlas;
    return {
      atlas,
      x: (within % this.perRow) * this.geometry.cellSize,
      y: Math.floor(within / this.perRow) * this.geometry.cellSize,
    };
  }
}
