// The analysis worker thread and its tasks: the worker gives what the inline task gives, with
// progress; a graph is continued from the keeper's memory or from lists with the same result;
// a photo whose content changed in place (same id) is re-inserted either way; errors come back as rejections without losing the worker; an idle worker is ended.
import { afterEach, describe, expect, it } from 'vitest';
import {
  GraphKeeper,
  runClusterTask,
  type GraphTask,
  type TaskProgress,
} from './analysis-tasks.ts';
import { AnalysisThread } from './analysis-thread.ts';
import { mulberry32 } from './cluster-scores.ts';

function unitVectors(n: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const centres = Float32Array.from({ length: 8 * dim }, () => random() - 0.5);
  const out = new Float32Array(new SharedArrayBuffer(n * dim * 4));
  for (let i = 0; i < n; i++) {
    const c = (i % 8) * dim;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centres[c + d]! + 0.2 * (random() - 0.5);
      out[i * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) out[i * dim + d]! /= Math.sqrt(norm);
  }
  return out;
}

const ids = (n: number, from = 1) => Int32Array.from({ length: n }, (_, i) => from + i);

function graphTask(
  set: { ids: Int32Array; vectors: Float32Array; dim: number },
  revision: number,
  base: GraphTask['base'] = null,
): GraphTask {
  return {
    kind: 'graph',
    revision,
    spaceKey: 'test@1',
    photos: { set, contentHashes: Array.from(set.ids, () => null) },
    base,
    edgeFloor: 0.6,
    pictures: null,
  };
}

let threads: AnalysisThread[] = [];
afterEach(async () => {
  for (const t of threads) await t.close();
  threads = [];
});
const thread = (idleMs?: number) => {
  const t = new AnalysisThread({ idleMs });
  threads.push(t);
  return t;
};

describe('analysis worker thread', () => {
  it('clusters as the inline task does, with progress', async () => {
    const set = { ids: ids(400), vectors: unitVectors(400, 16, 1), dim: 16 };
    const task = { kind: 'clusters' as const, set, options: { k: 'auto' as const, seed: 3 } };
    const progress: TaskProgress[] = [];
    const fromWorker = await thread().run(task, { onProgress: (p) => progress.push(p) });
    expect(fromWorker).toEqual(runClusterTask(task));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({
      done: progress.at(-1)!.total,
      total: progress.at(-1)!.total,
    });
  });

  it('continues a graph from its memory or from lists alike, and from the worker alike', async () => {
    const dim = 16;
    const all = unitVectors(600, dim, 2);
    const first = { ids: ids(500), vectors: all.subarray(0, 500 * dim), dim };
    // 40 photos gone (ids 1-40), 100 new ones (ids 501-600).
    const second = { ids: ids(560, 41), vectors: all.subarray(40 * dim), dim };
    const keeper = new GraphKeeper();
    const built = keeper.run(graphTask(first, 1));
    expect(built).toMatchObject({ how: 'built', from: 'scratch', added: 500, removed: 0 });
    const fromMemory = keeper.run(graphTask(second, 2, { revision: 1, lists: built.lists }));
    expect(fromMemory).toMatchObject({ how: 'updated', from: 'memory', added: 100, removed: 40 });
    const fromLists = new GraphKeeper().run(
      graphTask(second, 2, { revision: 1, lists: built.lists }),
    );
    expect(fromLists).toMatchObject({ how: 'updated', from: 'lists', added: 100, removed: 40 });
    expect(fromLists.lists).toEqual(fromMemory.lists);
    expect(fromLists.edges).toEqual(fromMemory.edges);

    const worker = thread();
    const inWorker = await worker.run(graphTask(first, 1));
    expect(inWorker.lists).toEqual(built.lists);
    const updated = await worker.run(graphTask(second, 2, { revision: 1, lists: built.lists }));
    expect(updated.from).toBe('memory');
    expect(updated.lists).toEqual(fromMemory.lists);
    // A revision the worker does not hold: it starts from the lists it is sent.
    const again = await worker.run(graphTask(second, 3, { revision: 1, lists: built.lists }));
    expect(again.from).toBe('lists');
    expect(again.lists).toEqual(fromMemory.lists);
    // Nothing changed since the graph it holds.
    const same = await worker.run(graphTask(second, 4, { revision: 3, lists: again.lists }));
    expect(same).toMatchObject({ how: 'unchanged', from: 'memory' });
  });

  it('re-inserts a photo whose content changed in place, from memory, lists or the worker', async () => {
    const dim = 16;
    const n = 300;
    const vectors = unitVectors(n, dim, 6);
    const set = { ids: ids(n), vectors, dim };
    const hashes = Array.from(set.ids, (id) => `hash-${id}`);
    const task = (
      s: typeof set,
      contentHashes: string[],
      revision: number,
      base: GraphTask['base'],
    ): GraphTask => ({ ...graphTask(s, revision, base), photos: { set: s, contentHashes } });
    const keeper = new GraphKeeper();
    const built = keeper.run(task(set, hashes, 1, null));
    // Photo 1 (row 0) is overwritten with a near copy of photo 2 (another cluster): same id,
    // another content hash, another vector.
    const edited = new Float32Array(new SharedArrayBuffer(n * dim * 4));
    edited.set(vectors);
    for (let d = 0; d < dim; d++) edited[d] = vectors[dim + d]! * (d === 0 ? 1.001 : 1);
    const after = { ids: set.ids, vectors: edited, dim };
    const newHashes = ['hash-1-edited', ...hashes.slice(1)];
    const fresh = new GraphKeeper().run(task(after, newHashes, 1, null));
    const base = { revision: 1, lists: built.lists, contentTags: built.contentTags };
    const neighboursOf = (lists: typeof built.lists, id: number) => {
      const r = lists.ids.indexOf(id);
      return Array.from(lists.neighbourIds.subarray(r * lists.k, (r + 1) * lists.k));
    };
    const fromMemory = keeper.run(task(after, newHashes, 2, base));
    expect(fromMemory).toMatchObject({ how: 'updated', from: 'memory', added: 0, changed: 1 });
    expect(neighboursOf(fromMemory.lists, 1)[0]).toBe(2);
    expect(neighboursOf(fromMemory.lists, 2)[0]).toBe(1);
    // Exact lists: the same as a graph built from the edited photos.
    expect(new Set(neighboursOf(fromMemory.lists, 1))).toEqual(
      new Set(neighboursOf(fresh.lists, 1)),
    );
    expect(fromMemory.edges).toEqual(fresh.edges);
    const fromLists = new GraphKeeper().run(task(after, newHashes, 2, base));
    expect(fromLists).toMatchObject({ how: 'updated', from: 'lists', changed: 1 });
    expect(fromLists.edges).toEqual(fresh.edges);
    const inWorker = await thread().run(task(after, newHashes, 2, base));
    expect(inWorker).toMatchObject({ from: 'lists', changed: 1 });
    expect(inWorker.edges).toEqual(fresh.edges);
    // The tags come back for the next task: nothing has changed since.
    expect(
      keeper.run(
        task(after, newHashes, 3, {
          revision: 2,
          lists: fromMemory.lists,
          contentTags: fromMemory.contentTags,
        }),
      ),
    ).toMatchObject({ how: 'unchanged', changed: 0 });
    // Lists without tags (stored before they were kept) cannot tell: the known gap.
    const untagged = new GraphKeeper().run(
      task(after, newHashes, 2, { revision: 1, lists: built.lists }),
    );
    expect(untagged).toMatchObject({ how: 'unchanged', changed: 0 });
  });

  it('reports a failed task as a rejection and keeps working', async () => {
    const worker = thread();
    const broken = { ids: ids(10), vectors: new Float32Array(7), dim: 4 };
    await expect(worker.run(graphTask(broken, 1))).rejects.toThrow(/vector values/);
    const set = { ids: ids(50), vectors: unitVectors(50, 8, 4), dim: 8 };
    expect((await worker.run(graphTask(set, 2))).lists.ids).toHaveLength(50);
    expect(worker.started).toBe(1);
  });

  it('ends an idle worker and starts another when there is work again', async () => {
    const worker = thread(300);
    const set = { ids: ids(50), vectors: unitVectors(50, 8, 5), dim: 8 };
    await worker.run(graphTask(set, 1));
    expect(worker.alive).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(worker.alive).toBe(false);
    await worker.run(graphTask(set, 2));
    expect(worker.started).toBe(2);
    await worker.close();
    await expect(worker.run(graphTask(set, 3))).rejects.toThrow(/closing/);
  });
});
