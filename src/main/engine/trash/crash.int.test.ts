// The short crash run of `npm test`: SIGKILL during indexing and during trash moves, then the
// invariants of scripts/crash-harness.ts (integrity, nothing lost or half-moved, jobs resume,
// the whole trash restores byte-identical). The long run: `npx tsx scripts/crash-harness.ts`.
import { describe, expect, it } from 'vitest';
import { runCrashHarness } from '../../../../scripts/crash-harness.ts';

describe('crash safety', () => {
  it('survives SIGKILL mid-index and mid-trash-operation without losing or changing a photo', async () => {
    const lines: string[] = [];
    const report = await runCrashHarness({
      rounds: 5,
      minKills: 3,
      photos: 8,
      width: 640,
      height: 480,
      seed: 7,
      log: (line) => lines.push(line),
    });
    expect(report.violations, lines.join('\n')).toEqual([]);
    expect(report.killed, lines.join('\n')).toBeGreaterThanOrEqual(3);
    expect(report.rounds.some((r) => r.op === 'index')).toBe(true);
    expect(report.rounds.some((r) => r.op !== 'index')).toBe(true);
    expect(report.final.indexed).toBeGreaterThan(0);
  }, 120_000);
});
