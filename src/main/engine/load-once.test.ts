import { describe, expect, it } from 'vitest';
import { loadOnce } from './load-once.ts';

describe('loadOnce', () => {
  it('loads once for every caller, and again only after a failure', async () => {
    let calls = 0;
    let fail = true;
    const load = loadOnce(async () => {
      calls += 1;
      if (fail) throw new Error('not yet');
      return calls;
    });
    const [a, b] = [load(), load()];
    await expect(a).rejects.toThrow('not yet');
    await expect(b).rejects.toThrow('not yet');
    expect(calls).toBe(1);
    fail = false;
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(calls).toBe(2);
  });
});
