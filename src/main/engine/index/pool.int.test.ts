// A decode worker that cannot even start (here: a JavaScript heap of 1 MB, too small to load its
// modules; in life a broken install or a machine out of memory) must not be restarted forever
// with the photos waiting: the pool gives up after a few tries in a row and says why.
import { afterEach, describe, expect, it } from 'vitest';
import { DecodePool, DecoderUnavailableError } from './pool.ts';

let pool: DecodePool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('a decode pool whose workers die as they start', () => {
  it('gives up after three in a row, tells the waiting callers why, and tries afresh later', async () => {
    pool = new DecodePool({ size: 2, maxOldSpaceMb: 1 });
    const first = pool.decode('/nonexistent.jpg', null, () => true);
    const second = pool.decode('/also-nonexistent.jpg', null, () => true);
    for (const request of [first, second]) {
      const error: unknown = await request.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DecoderUnavailableError);
      expect((error as Error).message).toMatch(
        /^the photo decoder could not start \(it stopped 3 times in a row: .+\)$/,
      );
    }
    // A later request starts workers again (and, the cause unchanged, gets the same answer).
    await expect(pool.decode('/nonexistent.jpg', null, () => true)).rejects.toBeInstanceOf(
      DecoderUnavailableError,
    );
  }, 60_000);
});
