import { describe, expect, it } from 'vitest';
import { hexToLab } from '../../../shared/colour.ts';
import { mulberry32 } from './cluster-scores.ts';
import {
  buildPaletteIndex,
  colourScore,
  emdPacked,
  paletteDistance,
  paletteHexes,
  paletteIndexFromPacked,
  paletteTransport,
  PALETTE_STRIDE,
  searchByHex,
  searchPalettes,
  similarByColour,
  type WeightedLab,
} from './colour-search.ts';

/** Palette of greys on the L axis: [L, share] pairs. */
const greys = (...cs: [number, number][]): WeightedLab[] =>
  cs.map(([l, share]) => ({ lab: { l, a: 0, b: 0 }, share }));

/** Colour matching as the source notebook did it: repeatedly pair the two nearest colours left
 * and move as much share as both can spare. Kept here to show it is not optimal. */
function greedyDistance(a: WeightedLab[], b: WeightedLab[]): number {
  const sa = a.map((c) => c.share);
  const sb = b.map((c) => c.share);
  const d = (x: Lab3, y: Lab3) => Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
  type Lab3 = WeightedLab['lab'];
  const pairs = a.flatMap((x, i) => b.map((y, j) => ({ i, j, d: d(x.lab, y.lab) })));
  pairs.sort((p, q) => p.d - q.d);
  let total = 0;
  for (const p of pairs) {
    const f = Math.min(sa[p.i]!, sb[p.j]!);
    total += f * p.d;
    sa[p.i]! -= f;
    sb[p.j]! -= f;
  }
  return total;
}

function randomLab(rnd: () => number) {
  return { l: rnd() * 100, a: rnd() * 160 - 80, b: rnd() * 160 - 80 };
}

function randomPalette(rnd: () => number, size = 1 + Math.floor(rnd() * 5)): WeightedLab[] {
  return Array.from({ length: size }, () => ({ lab: randomLab(rnd), share: 0.05 + rnd() }));
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}
const PERMS6 = permutations(6);

/** Shares as multiples of 1/6: split 6 units among `m` colours, each at least one unit. */
function units(rnd: () => number, m: number): number[] {
  const u = Array.from({ length: m }, () => 1);
  for (let left = 6 - m; left > 0; left--) u[Math.floor(rnd() * m)]!++;
  return u;
}

describe('palette distance (exact EMD in CIELAB)', () => {
  it('matches hand-computed cases', () => {
    // All white vs half black half white: half the mass moves dE 100.
    expect(paletteDistance(greys([100, 1]), greys([0, 0.5], [100, 0.5]))).toBeCloseTo(50, 6);
    // Unequal numbers of colours, with a colour split across two targets:
    // CDF difference 0.25 on [0,10) and 0.5 on [10,20) -> 2.5 + 5 = 7.5.
    expect(
      paletteDistance(greys([0, 0.5], [10, 0.5]), greys([0, 0.25], [10, 0.25], [20, 0.5])),
    ).toBeCloseTo(7.5, 6);
    // Shares are normalised: (2, 2) is the same palette as (0.5, 0.5).
    expect(paletteDistance(greys([0, 2], [10, 2]), greys([5, 1]))).toBeCloseTo(5, 6);
    // Off the grey axis: red-ish vs green-ish, one colour each, is just their dE.
    const red = { lab: { l: 50, a: 60, b: 30 }, share: 1 };
    const green = { lab: { l: 50, a: -60, b: 30 }, share: 1 };
    expect(paletteDistance([red], [green])).toBeCloseTo(120, 6);
  });

  it('beats the greedy nearest-pair reordering where that is wrong', () => {
    // Greedy pairs 10 with 9 first (dE 1) and is left with 0 -> 20: 0.5*1 + 0.5*20 = 10.5.
    // Optimal: 0 -> 9 and 10 -> 20: 0.5*9 + 0.5*10 = 9.5.
    const p = greys([0, 0.5], [10, 0.5]);
    const q = greys([9, 0.5], [20, 0.5]);
    expect(greedyDistance(p, q)).toBeCloseTo(10.5, 6);
    expect(paletteDistance(p, q)).toBeCloseTo(9.5, 6);
  });

  it('equals the 1-D closed form (area between CDFs) on random grey palettes', () => {
    const rnd = mulberry32(42);
    for (let t = 0; t < 200; t++) {
      const p = greys(
        ...Array.from(
          { length: 1 + Math.floor(rnd() * 5) },
          () => [rnd() * 100, 0.1 + rnd()] as [number, number],
        ),
      );
      const q = greys(
        ...Array.from(
          { length: 1 + Math.floor(rnd() * 5) },
          () => [rnd() * 100, 0.1 + rnd()] as [number, number],
        ),
      );
      const sp = p.reduce((s, c) => s + c.share, 0);
      const sq = q.reduce((s, c) => s + c.share, 0);
      const xs = [...p, ...q].map((c) => c.lab.l).sort((a, b) => a - b);
      let area = 0;
      for (let i = 0; i + 1 < xs.length; i++) {
        const x = xs[i]!;
        const fp = p.filter((c) => c.lab.l <= x).reduce((s, c) => s + c.share, 0) / sp;
        const fq = q.filter((c) => c.lab.l <= x).reduce((s, c) => s + c.share, 0) / sq;
        area += Math.abs(fp - fq) * (xs[i + 1]! - x);
      }
      expect(paletteDistance(p, q)).toBeCloseTo(area, 3);
    }
  });

  it('equals the optimal assignment of share units (brute force) in 3-D', () => {
    const rnd = mulberry32(7);
    for (let t = 0; t < 60; t++) {
      const m = 1 + Math.floor(rnd() * 5);
      const k = 1 + Math.floor(rnd() * 5);
      const um = units(rnd, m);
      const uk = units(rnd, k);
      const p = um.map((u) => ({ lab: randomLab(rnd), share: u / 6 }));
      const q = uk.map((u) => ({ lab: randomLab(rnd), share: u / 6 }));
      // Expand each colour into its units of 1/6 and try every one-to-one assignment.
      const ep = p.flatMap((c, i) => Array.from({ length: um[i]! }, () => c.lab));
      const eq = q.flatMap((c, j) => Array.from({ length: uk[j]! }, () => c.lab));
      let best = Infinity;
      for (const perm of PERMS6) {
        let s = 0;
        for (let i = 0; i < 6; i++) {
          const x = ep[i]!;
          const y = eq[perm[i]!]!;
          s += Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
        }
        best = Math.min(best, s / 6);
      }
      expect(paletteDistance(p, q)).toBeCloseTo(best, 3);
    }
  });

  it('returns a feasible plan, is symmetric and zero on itself', () => {
    const rnd = mulberry32(3);
    for (let t = 0; t < 50; t++) {
      const p = randomPalette(rnd);
      const q = randomPalette(rnd);
      const { distance, flow } = paletteTransport(p, q);
      const sp = p.reduce((s, c) => s + c.share, 0);
      const sq = q.reduce((s, c) => s + c.share, 0);
      p.forEach((c, i) => {
        let row = 0;
        for (let j = 0; j < q.length; j++) row += flow[i * q.length + j]!;
        expect(row).toBeCloseTo(c.share / sp, 5);
      });
      q.forEach((c, j) => {
        let col = 0;
        for (let i = 0; i < p.length; i++) col += flow[i * q.length + j]!;
        expect(col).toBeCloseTo(c.share / sq, 5);
      });
      for (const f of flow) expect(f).toBeGreaterThanOrEqual(-1e-9);
      expect(paletteDistance(q, p)).toBeCloseTo(distance, 3);
      expect(paletteDistance(p, p)).toBeCloseTo(0, 3);
    }
    expect(paletteDistance([], greys([1, 1]))).toBe(Infinity);
  });
});

describe('palette search', () => {
  const rnd = mulberry32(99);
  const entries = Array.from({ length: 3000 }, (_, i) => ({
    id: 10 + i,
    palette: randomPalette(rnd),
  }));
  entries[5]!.palette = []; // a photo without a palette is never returned
  const index = buildPaletteIndex(entries);

  it('returns exactly the brute-force top k, with far fewer exact solves', () => {
    for (let t = 0; t < 5; t++) {
      const query = randomPalette(rnd);
      const res = searchPalettes(index, query, { k: 20 });
      const q = buildPaletteIndex([{ id: 0, palette: query }]);
      const all = entries
        .map((_, row) => ({
          id: index.ids[row]!,
          d: emdPacked(
            q.data,
            0,
            q.counts[0]!,
            index.data,
            row * PALETTE_STRIDE,
            index.counts[row]!,
          ),
        }))
        .filter((r) => r.d < Infinity)
        .sort((a, b) => a.d - b.d)
        .slice(0, 20);
      expect(res.results.map((r) => r.distance)).toEqual(all.map((r) => expect.closeTo(r.d, 4)));
      expect(res.results.map((r) => r.id)).toEqual(all.map((r) => r.id));
      expect(res.exactSolves).toBeLessThan(entries.length / 2);
      for (const r of res.results) expect(r.score).toBeCloseTo(colourScore(r.distance), 9);
    }
  });

  it('finds a palette by its hex colours and scores it 1', () => {
    const hexes = ['#d03020', '#2060c0', '#f0e0a0'];
    const lib = buildPaletteIndex([
      ...entries.slice(0, 500),
      { id: 1, palette: hexes.map((h) => ({ lab: hexToLab(h), share: 1 })) },
    ]);
    const res = searchByHex(lib, hexes, { k: 3 });
    expect(res.results[0]!.id).toBe(1);
    expect(res.results[0]!.score).toBeCloseTo(1, 4);
    expect(paletteHexes(lib, 1)).toEqual(hexes);
    expect(paletteHexes(lib, -5)).toBeNull();
    // Unequal shares change the answer's distance but the query still finds it first.
    const weighted = searchByHex(lib, [{ hex: '#d03020', share: 3 }, '#2060c0', '#f0e0a0'], {
      k: 1,
    });
    expect(weighted.results[0]!.id).toBe(1);
    expect(weighted.results[0]!.distance).toBeGreaterThan(1);
    expect(() => searchByHex(lib, [], {})).toThrow();
    expect(() => searchByHex(lib, ['#000', '#111', '#222', '#333', '#444', '#555'])).toThrow();
  });

  it('similar by colour leaves the photo out and finds its near twin', () => {
    const twin = entries[100]!.palette.map((c) => ({ ...c, lab: { ...c.lab, l: c.lab.l + 0.5 } }));
    const lib = buildPaletteIndex([...entries, { id: 99999, palette: twin }]);
    const res = similarByColour(lib, 110, { k: 5 });
    expect(res.results.map((r) => r.id)).not.toContain(110);
    expect(res.results[0]!.id).toBe(99999);
    expect(res.results[0]!.distance).toBeCloseTo(0.5, 3);
  });

  it('builds the same index from packed rows', () => {
    const packed = new Float32Array(index.data);
    for (let i = 3; i < packed.length; i += 4) packed[i]! *= 7; // unnormalised shares
    const again = paletteIndexFromPacked(index.ids, packed);
    expect(Array.from(again.counts)).toEqual(Array.from(index.counts));
    for (let i = 0; i < index.data.length; i++)
      expect(again.data[i]).toBeCloseTo(index.data[i]!, 5);
  });
});
