import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TileLoader } from './tile-loader.ts';

interface Fake {
  id: number;
  closed: boolean;
}

/** A loader over fake fetches that the test settles by hand. */
function setup(options: { concurrency?: number } = {}) {
  const calls: { id: number; signal: AbortSignal; settle(tile: Fake | null | Error): void }[] = [];
  const arrived: number[] = [];
  const discarded: number[] = [];
  let retries = 0;
  const loader = new TileLoader<Fake>({
    load: (id, signal) =>
      new Promise<Fake | null>((resolve, reject) => {
        calls.push({
          id,
          signal,
          settle: (tile) => (tile instanceof Error ? reject(tile) : resolve(tile)),
        });
      }),
    onTile: (id) => arrived.push(id),
    discard: (tile) => {
      tile.closed = true;
      discarded.push(tile.id);
    },
    onRetry: () => retries++,
    concurrency: options.concurrency ?? 2,
    retryMs: 1000,
    maxRetryMs: 4000,
    now: () => Date.now(),
  });
  const call = (id: number) => {
    const found = calls.filter((c) => c.id === id).at(-1);
    if (!found) throw new Error(`no fetch of ${id}`);
    return found;
  };
  return { loader, calls, call, arrived, discarded, retries: () => retries };
}

/** Lets settled fetches run their callbacks (timers are fake; no time passes). */
const settled = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TileLoader', () => {
  it('fetches at most `concurrency` at once, the most wanted first', async () => {
    const { loader, calls, call, arrived } = setup({ concurrency: 2 });
    loader.want([5, 6, 7, 8]);
    expect(calls.map((c) => c.id)).toEqual([5, 6]);
    expect(loader.loading).toBe(2);
    call(6).settle({ id: 6, closed: false });
    await vi.runAllTimersAsync();
    expect(arrived).toEqual([6]);
    expect(calls.map((c) => c.id)).toEqual([5, 6, 7]);
    // The order changes with the view: the next one started is the most wanted now.
    loader.want([5, 8, 7]);
    call(5).settle({ id: 5, closed: false });
    await vi.runAllTimersAsync();
    expect(calls.map((c) => c.id)).toEqual([5, 6, 7, 8]);
  });

  it('aborts the fetches of tiles that left the view, and drops what they bring', async () => {
    const { loader, call, arrived, discarded } = setup({ concurrency: 3 });
    loader.want([1, 2, 3]);
    loader.want([2]);
    expect(call(1).signal.aborted).toBe(true);
    expect(call(3).signal.aborted).toBe(true);
    expect(call(2).signal.aborted).toBe(false);
    expect(loader.loading).toBe(1);
    // A fetch that ignores its signal and finishes anyway is not used.
    call(1).settle({ id: 1, closed: false });
    call(2).settle({ id: 2, closed: false });
    await vi.runAllTimersAsync();
    expect(arrived).toEqual([2]);
    expect(discarded).toEqual([1]);
  });

  it('asks again for a tile that left the view before its fetch finished', async () => {
    const { loader, calls } = setup();
    loader.want([4]);
    loader.want([]);
    loader.want([4]);
    expect(calls.map((c) => [c.id, c.signal.aborted])).toEqual([
      [4, true],
      [4, false],
    ]);
  });

  it('waits before asking again after a failure, longer each time, and says when', async () => {
    const { loader, calls, call, retries } = setup();
    loader.want([9]);
    call(9).settle(new Error('503'));
    await settled();
    loader.want([9]);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(retries()).toBe(1);
    loader.want([9]);
    expect(calls).toHaveLength(2);
    // A photo with no thumbnail (null) counts as a failure too; the wait doubles.
    call(9).settle(null);
    await settled();
    await vi.advanceTimersByTimeAsync(1999);
    loader.want([9]);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(retries()).toBe(2);
    loader.want([9]);
    expect(calls).toHaveLength(3);
  });

  it('clear aborts everything and forgets the failures', async () => {
    const { loader, calls, call } = setup();
    loader.want([1, 2]);
    call(2).settle(new Error('gone'));
    await settled();
    loader.clear();
    expect(call(1).signal.aborted).toBe(true);
    expect(loader.loading).toBe(0);
    loader.want([2]);
    expect(calls.map((c) => c.id)).toEqual([1, 2, 2]);
  });

  it('a load that throws at once is a failure, not a crash', async () => {
    const loader = new TileLoader<Fake>({
      load: () => {
        throw new Error('no fetch here');
      },
      onTile: () => undefined,
      discard: () => undefined,
      onRetry: () => undefined,
      concurrency: 1,
      retryMs: 1000,
      maxRetryMs: 1000,
    });
    loader.want([1, 2]);
    await vi.runOnlyPendingTimersAsync();
    expect(loader.loading).toBe(0);
    loader.clear();
  });
});
