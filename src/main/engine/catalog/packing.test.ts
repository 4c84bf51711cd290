import { describe, expect, it } from 'vitest';
import { pack, unpack } from './packing.ts';

describe('packing', () => {
  it('round-trips metadata and typed arrays of every kind, at odd lengths', () => {
    const arrays = {
      ids: Int32Array.from([3, -1, 7]),
      sims: Float32Array.from([0.5, -Infinity, 1]),
      coords: Float64Array.from([Math.PI]),
      flags: Uint8Array.from([1, 2, 3, 4, 5]),
      counts: Uint32Array.from([4_000_000_000]),
    };
    const { meta, arrays: back } = unpack<{ k: number }>(pack({ k: 16 }, arrays));
    expect(meta).toEqual({ k: 16 });
    for (const [name, array] of Object.entries(arrays)) {
      expect(back[name]).toBeInstanceOf(array.constructor);
      expect(Array.from(back[name]!)).toEqual(Array.from(array));
    }
  });

  it('reads from a buffer at an unaligned offset (as SQLite hands blobs over)', () => {
    const packed = pack(null, { v: Float32Array.from([1, 2, 3]) });
    const shifted = new Uint8Array(packed.length + 3);
    shifted.set(packed, 3);
    expect(Array.from(unpack(shifted.subarray(3)).arrays.v!)).toEqual([1, 2, 3]);
  });
});
