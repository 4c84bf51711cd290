// Removing photos the user chose to remove (from the duplicates screen, or `shoebox trash add`),
// checking each one again right before it moves: the decision was made on what the user saw, and
// the disk may have changed since. Anything that no longer matches is skipped with a sentence
// that says why. Two rules hold whatever the requests say: a photo in a reference folder is never
// removed, and the last photo of a duplicate group is never removed.
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { factsOf, matches, type FileExpectation } from './file-facts.ts';
import type { AppTrash } from './trash.ts';

export interface RemoveRequest {
  path: string;
  /** The file as the user saw it when deciding. */
  expected: FileExpectation;
  /** The photo kept in its place, as the user saw it: if it changed or went, this one stays. */
  keeper?: { path: string; expected: FileExpectation };
  /** Paths of every member of the photo's duplicate group (with or without itself). */
  group?: readonly string[];
}

export interface RemoveContext {
  trash: AppTrash;
  isReferenceFolder(path: string): boolean;
}

export interface RemoveOutcome {
  path: string;
  outcome: 'trashed' | 'skipped';
  /** Plain English, for the user: why it was skipped. */
  reason?: string;
  trashId?: number;
}

export const SKIP_REASONS = {
  reference: 'it is in a reference folder',
  gone: 'it is no longer there',
  changed: 'changed since you reviewed it',
  keeperGone: 'its keeper is gone',
  keeperChanged: 'its keeper changed since you reviewed it',
  ownKeeper: 'it cannot be its own keeper',
  lastOfGroup: 'it is the last photo of its group',
  keeperOfAnother: 'it is the keeper of another photo being removed',
} as const;

async function isFileAt(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isFile() ?? false;
}

/**
 * Removes the photos one at a time, in order, each checked against the disk as it is at that
 * moment, so earlier removals in the same call count (removing every member of a group in one
 * call removes all but the last).
 */
export async function removePhotos(
  requests: readonly RemoveRequest[],
  context: RemoveContext,
): Promise<RemoveOutcome[]> {
  const outcomes: RemoveOutcome[] = [];
  // A keeper named in this call stays while the photo it keeps is still to be removed or has
  // been: otherwise a contradictory batch ("remove A keeping B", "remove B") would lose both.
  const pendingKeepers = new Map<string, number>();
  for (const request of requests) {
    if (!request.keeper) continue;
    const keeper = resolve(request.keeper.path);
    pendingKeepers.set(keeper, (pendingKeepers.get(keeper) ?? 0) + 1);
  }
  const keptBySkipped = (request: RemoveRequest): void => {
    if (!request.keeper) return;
    const keeper = resolve(request.keeper.path);
    pendingKeepers.set(keeper, (pendingKeepers.get(keeper) ?? 1) - 1);
  };
  for (const request of requests) {
    const path = resolve(request.path);
    const skip = (reason: string): void => {
      outcomes.push({ path, outcome: 'skipped', reason });
      keptBySkipped(request);
    };
    if (context.isReferenceFolder(path)) {
      skip(SKIP_REASONS.reference);
      continue;
    }
    const ownKeeperHere = request.keeper && resolve(request.keeper.path) === path ? 1 : 0;
    if ((pendingKeepers.get(path) ?? 0) - ownKeeperHere > 0) {
      skip(SKIP_REASONS.keeperOfAnother);
      continue;
    }
    if (request.keeper && resolve(request.keeper.path) === path) {
      skip(SKIP_REASONS.ownKeeper);
      continue;
    }
    const facts = await factsOf(path);
    if (!facts) {
      skip(SKIP_REASONS.gone);
      continue;
    }
    if (!matches(facts, request.expected)) {
      skip(SKIP_REASONS.changed);
      continue;
    }
    if (request.keeper) {
      const keeper = await factsOf(resolve(request.keeper.path));
      if (!keeper) {
        skip(SKIP_REASONS.keeperGone);
        continue;
      }
      if (!matches(keeper, request.keeper.expected)) {
        skip(SKIP_REASONS.keeperChanged);
        continue;
      }
    }
    const others = new Set((request.group ?? []).map((member) => resolve(member)));
    if (request.keeper) others.add(resolve(request.keeper.path));
    others.delete(path);
    if (request.group || request.keeper) {
      let survivor = false;
      for (const other of others) {
        if (await isFileAt(other)) {
          survivor = true;
          break;
        }
      }
      if (!survivor) {
        skip(SKIP_REASONS.lastOfGroup);
        continue;
      }
    }
    const moved = await context.trash.moveToTrash(path, facts);
    if (moved.ok) outcomes.push({ path, outcome: 'trashed', trashId: moved.record.id });
    else skip(moved.reason);
  }
  return outcomes;
}
