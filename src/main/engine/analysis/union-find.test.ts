import { describe, expect, it } from 'vitest';
import { UnionFind } from './union-find.ts';

describe('UnionFind', () => {
  it('starts with every element alone', () => {
    const uf = new UnionFind(4);
    expect(uf.sets(1)).toEqual([[0], [1], [2], [3]]);
    expect(uf.sets(2)).toEqual([]);
    expect(uf.connected(0, 1)).toBe(false);
  });

  it('joins transitively and reports the hand-computed partition', () => {
    // Edges 0-3, 3-5, 1-4, 6-7, 7-6 (repeat), 2 alone: {0,3,5} {1,4} {6,7} {2}.
    const uf = new UnionFind(8);
    expect(uf.union(0, 3)).not.toBe(-1);
    expect(uf.union(3, 5)).not.toBe(-1);
    expect(uf.union(1, 4)).not.toBe(-1);
    expect(uf.union(6, 7)).not.toBe(-1);
    expect(uf.union(7, 6)).toBe(-1);
    expect(uf.union(5, 0)).toBe(-1);
    expect(uf.connected(0, 5)).toBe(true);
    expect(uf.connected(0, 1)).toBe(false);
    expect(uf.sets(2)).toEqual([
      [0, 3, 5],
      [1, 4],
      [6, 7],
    ]);
    expect(uf.size[uf.find(0)]).toBe(3);
  });

  it('gives the same partition whatever the order of unions', () => {
    const pairs: [number, number][] = [
      [9, 8],
      [1, 2],
      [8, 7],
      [2, 3],
      [0, 9],
      [5, 4],
    ];
    const a = new UnionFind(10);
    for (const [x, y] of pairs) a.union(x, y);
    const b = new UnionFind(10);
    for (const [x, y] of [...pairs].reverse()) b.union(y, x);
    expect(a.sets()).toEqual(b.sets());
    expect(a.sets()).toEqual([
      [0, 7, 8, 9],
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('stays shallow on a long chain and resets cleanly', () => {
    const n = 100_000;
    const uf = new UnionFind(n);
    for (let i = 1; i < n; i++) uf.union(i - 1, i);
    expect(uf.find(n - 1)).toBe(uf.find(0));
    expect(uf.sets()[0]!.length).toBe(n);
    uf.reset();
    expect(uf.connected(0, 1)).toBe(false);
    expect(uf.sets()).toEqual([]);
  });
});
