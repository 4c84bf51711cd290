import { describe, expect, it } from 'vitest';
import { groupDuplicates } from '../analysis/duplicates.ts';
import { toDuplicateDecisions } from './duplicate-decisions.ts';
import type { Decision } from './journal.ts';

const decision = (
  id: number,
  kind: Decision['kind'],
  hashes: string[],
  kept: string[] | null = null,
): Decision => ({
  id,
  kind,
  hashes,
  kept,
  createdAt: id,
});

describe('toDuplicateDecisions', () => {
  it('maps kept to resolved and leaves removed out', () => {
    expect(
      toDuplicateDecisions([
        decision(1, 'keep-all', ['a', 'b']),
        decision(2, 'not-duplicates', ['c', 'd']),
        decision(3, 'kept', ['e', 'f'], ['e']),
        decision(4, 'removed', ['f']),
      ]),
    ).toEqual([
      { kind: 'keep-all', hashes: ['a', 'b'] },
      { kind: 'not-duplicates', hashes: ['c', 'd'] },
      { kind: 'resolved', hashes: ['e', 'f'], kept: ['e'] },
    ]);
  });

  it('hides a group the user resolved from the duplicate grouping', () => {
    const edges = {
      floor: 0.5,
      ids: Int32Array.from([1, 2]),
      hashOrdinals: Int32Array.from([0, 1]),
      hashes: ['e', 'f'],
      from: Int32Array.from([0]),
      to: Int32Array.from([1]),
      similarities: Float32Array.from([0.99]),
    };
    expect(groupDuplicates({ edges, threshold: 0.9 })).toHaveLength(1);
    const decisions = toDuplicateDecisions([decision(1, 'kept', ['e', 'f'], ['e'])]);
    expect(groupDuplicates({ edges, threshold: 0.9, decisions })).toEqual([]);
  });
});
