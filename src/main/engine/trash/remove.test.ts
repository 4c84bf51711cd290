// removePhotos: each skip reason, then seeded property tests of the two rules that must hold
// whatever the requests say: never all of a group, never a reference-folder photo.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/temp.ts';
import { isInside } from '../paths.ts';
import { Journal, journalPath } from '../journal/journal.ts';
import { factsOf, type FileExpectation } from './file-facts.ts';
import { removePhotos, SKIP_REASONS, type RemoveRequest } from './remove.ts';
import { AppTrash } from './trash.ts';
import { mulberry32 as rng } from '../../../shared/seeded-random.ts';

let work: { path: string; remove(): Promise<void> };
let journal: Journal;

beforeEach(async () => {
  work = await makeTempDir('shoebox-remove-');
  journal = new Journal(journalPath(work.path));
});
afterEach(async () => {
  journal.close();
  await work.remove();
});

function contextFor(root: string, referenceFolders: string[]) {
  return {
    trash: new AppTrash(journal, {
      roots: () => [root],
      osTrash: async () => ({ ok: false as const, reason: 'not deleted: test' }),
    }),
    isReferenceFolder: (path: string) => referenceFolders.some((f) => isInside(path, f)),
  };
}

async function file(path: string, content: string): Promise<FileExpectation> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const facts = (await factsOf(path))!;
  return { size: facts.size, mtimeMs: facts.mtimeMs, contentHash: facts.contentHash };
}

describe('removePhotos', () => {
  it('trashes a verified photo whose keeper is intact', async () => {
    const root = join(work.path, 'Photos');
    const copy = join(root, 'copy.jpg');
    const keeper = join(root, 'keeper.jpg');
    const expected = await file(copy, 'same bytes');
    const keeperExpected = await file(keeper, 'same bytes');
    const [outcome] = await removePhotos(
      [
        {
          path: copy,
          expected,
          keeper: { path: keeper, expected: keeperExpected },
          group: [copy, keeper],
        },
      ],
      contextFor(root, []),
    );
    expect(outcome).toMatchObject({ path: copy, outcome: 'trashed', trashId: expect.any(Number) });
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(keeper)).toBe(true);
  });

  it('says why it skipped each photo', async () => {
    const root = join(work.path, 'Photos');
    const ref = join(root, 'reference');
    const p = (name: string) => join(root, name);
    const e = {
      changed: await file(p('changed.jpg'), 'before'),
      gone: await file(p('gone.jpg'), 'gone'),
      a: await file(p('a.jpg'), 'a'),
      keeperGone: await file(p('keeper-gone.jpg'), 'k1'),
      b: await file(p('b.jpg'), 'b'),
      keeperChanged: await file(p('keeper-changed.jpg'), 'k2'),
      last: await file(p('last.jpg'), 'last'),
      other: await file(p('other.jpg'), 'other'),
      inRef: await file(join(ref, 'r.jpg'), 'r'),
      self: await file(p('self.jpg'), 'self'),
    };
    await writeFile(p('changed.jpg'), 'after!');
    await rename(p('gone.jpg'), join(work.path, 'moved-away.jpg'));
    await rename(p('keeper-gone.jpg'), join(work.path, 'keeper-moved-away.jpg'));
    await writeFile(p('keeper-changed.jpg'), 'k2 edited');
    await rename(p('other.jpg'), join(work.path, 'other-moved-away.jpg'));
    const requests: RemoveRequest[] = [
      { path: join(ref, 'r.jpg'), expected: e.inRef },
      { path: p('changed.jpg'), expected: e.changed },
      { path: p('gone.jpg'), expected: e.gone },
      {
        path: p('a.jpg'),
        expected: e.a,
        keeper: { path: p('keeper-gone.jpg'), expected: e.keeperGone },
      },
      {
        path: p('b.jpg'),
        expected: e.b,
        keeper: { path: p('keeper-changed.jpg'), expected: e.keeperChanged },
      },
      { path: p('last.jpg'), expected: e.last, group: [p('last.jpg'), p('other.jpg')] },
      { path: p('self.jpg'), expected: e.self, keeper: { path: p('self.jpg'), expected: e.self } },
    ];
    const outcomes = await removePhotos(requests, contextFor(root, [ref]));
    expect(outcomes.map((o) => o.reason)).toEqual([
      SKIP_REASONS.reference,
      SKIP_REASONS.changed,
      SKIP_REASONS.gone,
      SKIP_REASONS.keeperGone,
      SKIP_REASONS.keeperChanged,
      SKIP_REASONS.lastOfGroup,
      SKIP_REASONS.ownKeeper,
    ]);
    expect(outcomes.every((o) => o.outcome === 'skipped')).toBe(true);
    expect(journal.trashRecords()).toEqual([]);
  });

  it('removes all but the last when asked to remove a whole group in one call', async () => {
    const root = join(work.path, 'Photos');
    const members = ['1.jpg', '2.jpg', '3.jpg'].map((n) => join(root, n));
    const expected = await Promise.all(members.map((m) => file(m, 'dup')));
    const outcomes = await removePhotos(
      members.map((path, i) => ({ path, expected: expected[i]!, group: members })),
      contextFor(root, []),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['trashed', 'trashed', 'skipped']);
    expect(outcomes[2]?.reason).toBe(SKIP_REASONS.lastOfGroup);
    expect(existsSync(members[2]!)).toBe(true);
  });
});

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function contentOrNull(path: string): Promise<string | null> {
  return readFile(path).then(sha, () => null);
}

describe('removePhotos keepers in one batch', () => {
  it('keeps a photo that another removal in the same call names as its keeper', async () => {
    const root = join(work.path, 'Photos');
    const [a, b] = [join(root, 'a.jpg'), join(root, 'b.jpg')];
    const ea = await file(a, 'same');
    const eb = await file(b, 'same');
    const outcomes = await removePhotos(
      [
        { path: b, expected: eb },
        { path: a, expected: ea, keeper: { path: b, expected: eb } },
      ],
      contextFor(root, []),
    );
    expect(outcomes.map((o) => [o.outcome, o.reason])).toEqual([
      ['skipped', SKIP_REASONS.keeperOfAnother],
      ['trashed', undefined],
    ]);
    expect(existsSync(b)).toBe(true);
  });
});

describe('removePhotos properties (seeded)', () => {
  const CASES = 40;

  it(`never removes every member of a group, nor a reference-folder photo, nor a changed photo (${CASES} cases)`, async () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const random = rng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const root = join(work.path, `case-${seed}`);
      const folders = ['a', 'b', 'ref'].map((f) => join(root, f));
      const reference = [join(root, 'ref')];
      const outside = join(work.path, `outside-${seed}`);
      await mkdir(outside, { recursive: true });

      // Groups of 1..4 members, some with identical bytes, spread over the folders.
      const groups: { path: string; expected: FileExpectation }[][] = [];
      const groupCount = 1 + Math.floor(random() * 4);
      for (let g = 0; g < groupCount; g++) {
        const members = [];
        const size = 1 + Math.floor(random() * 4);
        for (let m = 0; m < size; m++) {
          const path = join(pick(folders), `g${g}-m${m}.jpg`);
          const content = random() < 0.5 ? `group ${g}` : `group ${g} member ${m}`;
          members.push({ path, expected: await file(path, content) });
        }
        groups.push(members);
      }
      // The world moves on after the review: some files edited, some moved away.
      for (const member of groups.flat()) {
        const r = random();
        if (r < 0.1) await writeFile(member.path, `edited ${seed}`);
        else if (r < 0.2) await rename(member.path, join(outside, `${Math.random()}.jpg`));
      }
      const before = new Map<string, string | null>();
      for (const member of groups.flat()) before.set(member.path, await contentOrNull(member.path));

      // Random requests: any subset (often all) of the members, shuffled, some with stale
      // expectations, keepers chosen at random (sometimes a member also being removed).
      const requests: RemoveRequest[] = [];
      for (const members of groups) {
        const all = random() < 0.4;
        for (const member of members) {
          if (!all && random() < 0.5) continue;
          const keeper = random() < 0.6 ? pick(members) : undefined;
          const expected =
            random() < 0.1
              ? { ...member.expected, mtimeMs: member.expected.mtimeMs + 1 }
              : member.expected;
          requests.push({
            path: member.path,
            expected,
            keeper: keeper ? { path: keeper.path, expected: keeper.expected } : undefined,
            group: random() < 0.9 ? members.map((x) => x.path) : undefined,
          });
        }
      }
      for (let i = requests.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [requests[i], requests[j]] = [requests[j]!, requests[i]!];
      }

      const outcomes = await removePhotos(requests, contextFor(root, reference));
      const why = `seed ${seed}: ${JSON.stringify(outcomes)}`;
      expect(outcomes, why).toHaveLength(requests.length);

      // Only requests that named their group or keeper are bound by the group rule; a request
      // with neither is a plain "remove this photo".
      const unbound = new Set(requests.filter((r) => !r.group && !r.keeper).map((r) => r.path));
      for (const members of groups) {
        const existedBefore = members.some((m) => before.get(m.path) !== null);
        const existsAfter = members.some((m) => existsSync(m.path));
        const anyUnbound = members.some((m) => unbound.has(m.path));
        if (existedBefore && !anyUnbound) expect(existsAfter, why).toBe(true);
      }
      for (const outcome of outcomes) {
        const request = requests.find((r) => r.path === outcome.path)!;
        if (outcome.outcome === 'trashed') {
          expect(
            reference.some((f) => isInside(outcome.path, f)),
            why,
          ).toBe(false);
          const record = journal.trashRecord(outcome.trashId!)!;
          expect(record.state, why).toBe('trashed');
          // It went unchanged from what the user reviewed, and its keeper was intact.
          expect(await contentOrNull(record.trashPath), why).toBe(request.expected.contentHash);
          expect(before.get(outcome.path), why).toBe(request.expected.contentHash);
          if (request.keeper) {
            expect(await contentOrNull(request.keeper.path), why).toBe(
              request.keeper.expected.contentHash,
            );
          }
        }
      }
      // Reference-folder photos are exactly as they were, and nothing trashed is missing.
      for (const member of groups.flat()) {
        if (reference.some((f) => isInside(member.path, f)))
          expect(await contentOrNull(member.path), why).toBe(before.get(member.path));
      }
      const trashed = outcomes.filter((o) => o.outcome === 'trashed').map((o) => o.path);
      for (const member of groups.flat()) {
        if (before.get(member.path) !== null && !trashed.includes(member.path))
          expect(await contentOrNull(member.path), why).toBe(before.get(member.path));
      }
    }
  });
});
