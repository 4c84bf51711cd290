// The journal's decisions in the shape the duplicate grouping reads (analysis/duplicates.ts):
// a 'kept' decision (the user chose keepers for a group) is what grouping calls 'resolved'.
// 'removed' records are history (which content the user removed), not a grouping rule.
import type { DuplicateDecision } from '../analysis/duplicates.ts';
import type { Decision } from './journal.ts';

export function toDuplicateDecisions(decisions: readonly Decision[]): DuplicateDecision[] {
  const result: DuplicateDecision[] = [];
  for (const decision of decisions) {
    if (decision.kind === 'keep-all' || decision.kind === 'not-duplicates')
      result.push({ kind: decision.kind, hashes: decision.hashes });
    else if (decision.kind === 'kept')
      result.push({ kind: 'resolved', hashes: decision.hashes, kept: decision.kept ?? [] });
  }
  return result;
}
