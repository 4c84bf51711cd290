import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../shared/seeded-random.ts';
import { PointIndex } from './point-index.ts';
import { THUMBS_FROM_PX, THUMBS_FULL_PX, thumbnailMix, tilesInView } from './tiles-in-view.ts';

function scattered(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const xy = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    // A dense clump in the middle and a sparse field around it.
    const clump = i % 3 === 0;
    xy[2 * i] = clump ? 5 + (rnd() - 0.5) : rnd() * 10;
    xy[2 * i + 1] = clump ? 5 + (rnd() - 0.5) : rnd() * 10;
  }
  return xy;
}

/** The same question asked of every point: the reference. */
function byScan(
  xy: Float32Array,
  cam: { scale: number; x: number; y: number },
  w: number,
  h: number,
  half: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < xy.length / 2; i++) {
    const x = xy[2 * i]! * cam.scale + cam.x;
    const y = xy[2 * i + 1]! * cam.scale + cam.y;
    if (x > -half && y > -half && x < w + half && y < h + half) out.push(i);
  }
  return out;
}

describe('thumbnailMix', () => {
  it('is 0 zoomed out, 1 zoomed in, and smooth and rising between', () => {
    expect(thumbnailMix(0)).toBe(0);
    expect(thumbnailMix(THUMBS_FROM_PX)).toBe(0);
    expect(thumbnailMix(THUMBS_FULL_PX)).toBe(1);
    expect(thumbnailMix(500)).toBe(1);
    let previous = 0;
    for (let s = THUMBS_FROM_PX; s <= THUMBS_FULL_PX; s += 0.25) {
      const m = thumbnailMix(s);
      expect(m).toBeGreaterThanOrEqual(previous);
      // No jump bigger than a small step of the zoom would make.
      expect(m - previous).toBeLessThan(0.03);
      previous = m;
    }
  });
});

describe('tilesInView', () => {
  const xy = scattered(6000, 11);
  const index = new PointIndex(xy);
  const view = { camera: { scale: 300, x: -1200, y: -1100 }, width: 800, height: 600 };

  it('finds exactly the points whose thumbnail meets the screen', () => {
    for (const half of [0, 8, 40]) {
      const got = tilesInView(index, xy, view, half, 100_000);
      const want = byScan(xy, view.camera, view.width, view.height, half);
      expect(got.points).toEqual(want);
      expect(got.inView).toBe(want.length);
      expect([...got.priority].sort((a, b) => a - b)).toEqual(want);
    }
  });

  it('orders the loading by distance from the middle of the screen', () => {
    const got = tilesInView(index, xy, view, 20, 100_000);
    const distance = (i: number) =>
      Math.hypot(
        xy[2 * i]! * view.camera.scale + view.camera.x - view.width / 2,
        xy[2 * i + 1]! * view.camera.scale + view.camera.y - view.height / 2,
      );
    for (let k = 1; k < got.priority.length; k++) {
      expect(distance(got.priority[k]!)).toBeGreaterThanOrEqual(distance(got.priority[k - 1]!));
    }
  });

  it('over the budget, keeps the points nearest the middle, still in drawing order', () => {
    const all = tilesInView(index, xy, view, 20, 100_000);
    expect(all.inView).toBeGreaterThan(200);
    const some = tilesInView(index, xy, view, 20, 200);
    expect(some.inView).toBe(all.inView);
    expect(some.points).toHaveLength(200);
    expect(some.points).toEqual([...some.points].sort((a, b) => a - b));
    expect(some.priority).toEqual(all.priority.slice(0, 200));
  });

  it('breaks ties at the budget by point index', () => {
    // Four points at the same spot, a budget of two: the first two.
    const same = new Float32Array([1, 1, 1, 1, 1, 1, 1, 1]);
    const got = tilesInView(
      new PointIndex(same),
      same,
      { camera: { scale: 10, x: 0, y: 0 }, width: 100, height: 100 },
      5,
      2,
    );
    expect(got.points).toEqual([0, 1]);
    expect(got.inView).toBe(4);
  });

  it('asks for nothing with no budget or a broken camera', () => {
    expect(tilesInView(index, xy, view, 20, 0).points).toEqual([]);
    const broken = { ...view, camera: { scale: 0, x: 0, y: 0 } };
    expect(tilesInView(index, xy, broken, 20, 10).points).toEqual([]);
  });
});
