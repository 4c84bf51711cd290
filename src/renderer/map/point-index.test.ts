import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../shared/seeded-random.ts';
import { PointIndex } from './point-index.ts';

/** Clustered points like a layout's, with exact duplicates and a few outliers far away. */
function layoutLike(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const xy = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    if (i % 50 === 7 && i > 0) {
      xy[2 * i] = xy[2 * i - 2]!;
      xy[2 * i + 1] = xy[2 * i - 1]!;
      continue;
    }
    const c = Math.floor(rnd() * 8);
    const spread = i % 997 === 0 ? 40 : 0.3 + c * 0.2;
    xy[2 * i] = c * 3 + (rnd() - 0.5) * spread;
    xy[2 * i + 1] = (c % 3) * 4 + (rnd() - 0.5) * spread;
  }
  return xy;
}

/** What the map did before the index: every point, the first of equals wins. */
function nearestByScan(xy: Float32Array, x: number, y: number, radius: number): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < xy.length / 2; i++) {
    const dx = xy[2 * i]! - x;
    const dy = xy[2 * i + 1]! - y;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

describe('PointIndex', () => {
  const xy = layoutLike(20_000, 3);
  const index = new PointIndex(xy);

  it('finds the same nearest point as a scan of every point, ties included', () => {
    const rnd = mulberry32(9);
    for (let q = 0; q < 2000; q++) {
      // Half the queries on a point (exact ties with its duplicates), half anywhere.
      const on = Math.floor(rnd() * 20_000);
      const x = q % 2 ? xy[2 * on]! : -20 + rnd() * 60;
      const y = q % 2 ? xy[2 * on + 1]! : -20 + rnd() * 50;
      const radius = [0.001, 0.05, 0.5, 5][q % 4]!;
      expect(index.nearest(x, y, radius)).toBe(nearestByScan(xy, x, y, radius));
    }
  });

  it('offers every point inside a rectangle', () => {
    const rnd = mulberry32(11);
    for (let q = 0; q < 200; q++) {
      const [x0, x1] = [rnd() * 30 - 5, rnd() * 30 - 5].sort((a, b) => a - b) as [number, number];
      const [y0, y1] = [rnd() * 20 - 5, rnd() * 20 - 5].sort((a, b) => a - b) as [number, number];
      const offered = new Set<number>();
      index.candidatesIn(x0, y0, x1, y1, (i) => {
        offered.add(i);
        return true;
      });
      const missed: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const x = xy[2 * i]!;
        const y = xy[2 * i + 1]!;
        if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && !offered.has(i)) missed.push(i);
      }
      expect(missed).toEqual([]);
    }
  });

  it('stops when the visitor says so', () => {
    let seen = 0;
    index.candidatesIn(-100, -100, 100, 100, () => ++seen < 10);
    expect(seen).toBe(10);
  });

  it('copes with no points, one point and broken coordinates', () => {
    expect(new PointIndex(new Float32Array(0)).nearest(0, 0, 1)).toBe(-1);
    expect(new PointIndex(new Float32Array([2, 3])).nearest(2.1, 3, 0.5)).toBe(0);
    const broken = new PointIndex(new Float32Array([NaN, 0, 1, 1, Infinity, 2, 1.2, 1]));
    expect(broken.nearest(1.1, 1, 1)).toBe(1);
    expect(broken.nearest(1000, 2, 5)).toBe(-1);
  });
});
