// Disjoint sets over the integers 0..n-1, on typed arrays so a regroup of 100k photos allocates two
// buffers and no objects. Union by size plus path halving keeps every operation effectively O(1).

export class UnionFind {
  readonly parent: Int32Array;
  readonly size: Int32Array;

  constructor(readonly n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n);
    this.reset();
  }

  /** Puts every element back into a set of its own, so one instance can serve many regroups. */
  reset(): void {
    for (let i = 0; i < this.n; i++) this.parent[i] = i;
    this.size.fill(1);
  }

  find(x: number): number {
    const parent = this.parent;
    let p = parent[x]!;
    while (p !== x) {
      // Path halving: point x at its grandparent as we walk, which flattens the tree over time
      // without the second pass (or recursion) that full path compression needs.
      const g = parent[p]!;
      parent[x] = g;
      x = g;
      p = parent[x]!;
    }
    return x;
  }

  /** Joins the sets of a and b; returns the new root, or -1 if they were already one set. */
  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return -1;
    if (this.size[ra]! < this.size[rb]!) {
      const t = ra;
      ra = rb;
      rb = t;
    }
    this.parent[rb] = ra;
    this.size[ra] = this.size[ra]! + this.size[rb]!;
    return ra;
  }

  connected(a: number, b: number): boolean {
    return this.find(a) === this.find(b);
  }

  /**
   * The sets with at least `minSize` elements, each sorted ascending, ordered by their smallest
   * element: a canonical form, so equal partitions compare equal whatever the union order was.
   */
  sets(minSize = 2): number[][] {
    const byRoot = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const r = this.find(i);
      if (this.size[r]! < minSize) continue;
      let members = byRoot.get(r);
      if (!members) {
        members = [];
        byRoot.set(r, members);
      }
      // Ascending i, so each set comes out sorted and sets appear in order of their smallest element.
      members.push(i);
    }
    return [...byRoot.values()];
  }
}
