import { describe, expect, it } from 'vitest';
import { AtlasSlots } from './atlas-slots.ts';

/** Two atlases of 2x2 cells: 8 cells. */
const small = () => new AtlasSlots({ atlasSize: 256, cellSize: 128, atlases: 2 });

describe('AtlasSlots', () => {
  it('cuts the atlases into cells and places each', () => {
    const slots = new AtlasSlots({ atlasSize: 2048, cellSize: 128, atlases: 4 });
    expect(slots.cellsPerAtlas).toBe(256);
    expect(slots.capacity).toBe(1024);
    expect(slots.place(0)).toEqual({ atlas: 0, x: 0, y: 0 });
    expect(slots.place(17)).toEqual({ atlas: 0, x: 128, y: 128 });
    expect(slots.place(255)).toEqual({ atlas: 0, x: 1920, y: 1920 });
    expect(slots.place(256)).toEqual({ atlas: 1, x: 0, y: 0 });
    expect(slots.place(1023)).toEqual({ atlas: 3, x: 1920, y: 1920 });
    // A cell that does not fit whole is not used.
    expect(new AtlasSlots({ atlasSize: 300, cellSize: 128, atlases: 1 }).capacity).toBe(4);
    expect(() => new AtlasSlots({ atlasSize: 64, cellSize: 128, atlases: 1 })).toThrow(RangeError);
  });

  it('hands out free cells lowest first, one per tile', () => {
    const slots = small();
    const cells = [10, 11, 12].map((id) => slots.allocate(id, 1));
    expect(cells).toEqual([
      { cell: 0, evicted: null },
      { cell: 1, evicted: null },
      { cell: 2, evicted: null },
    ]);
    // A tile that has a cell keeps it.
    expect(slots.allocate(11, 2)).toEqual({ cell: 1, evicted: null });
    expect(slots.size).toBe(3);
    expect(slots.cellOf(12)).toBe(2);
    expect(slots.cellOf(99)).toBeUndefined();
  });

  it('when full, evicts the tile drawn longest ago', () => {
    const slots = small();
    for (let id = 1; id <= 8; id++) slots.allocate(id, id);
    // Tiles 1 and 2 come back into view in frame 9: tile 3 is now the oldest.
    slots.touch(1, 9);
    slots.touch(2, 9);
    expect(slots.allocate(100, 9)).toEqual({ cell: 2, evicted: 3 });
    expect(slots.has(3)).toBe(false);
    expect(slots.allocate(101, 9)).toEqual({ cell: 3, evicted: 4 });
    expect(slots.size).toBe(8);
  });

  it('never evicts a tile drawn in the current frame', () => {
    const slots = small();
    for (let id = 1; id <= 8; id++) slots.allocate(id, 5);
    // All eight are on screen in frame 5: the ninth waits.
    expect(slots.allocate(9, 5)).toBeNull();
    // Next frame, only tile 4 is still in view: the oldest of the rest goes.
    slots.touch(4, 6);
    const { evicted } = slots.allocate(9, 6) ?? { evicted: null };
    expect(evicted).not.toBeNull();
    expect(evicted).not.toBe(4);
    expect(slots.has(4)).toBe(true);
  });

  it('forgets everything on clear (a lost context took the textures)', () => {
    const slots = small();
    for (let id = 1; id <= 8; id++) slots.allocate(id, 1);
    slots.clear();
    expect(slots.size).toBe(0);
    expect(slots.has(3)).toBe(false);
    expect(slots.allocate(7, 1)).toEqual({ cell: 0, evicted: null });
  });

  it('keeps the most recently used tiles through a long pan', () => {
    // A strip of photos scrolls past a view of 4: the cache (8 cells) holds the last 8 seen.
    const slots = small();
    for (let frame = 1; frame <= 40; frame++) {
      const inView = [frame, frame + 1, frame + 2, frame + 3];
      for (const id of inView) slots.touch(id, frame);
      for (const id of inView) if (!slots.has(id)) expect(slots.allocate(id, frame)).not.toBeNull();
    }
    const held = [...Array(50).keys()].filter((id) => slots.has(id));
    expect(held).toEqual([36, 37, 38, 39, 40, 41, 42, 43]);
  });
});
