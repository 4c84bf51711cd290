import { describe, expect, it } from 'vitest';
import type { DuplicateEdges } from './duplicates.ts';
import { keepSamePictureEdges, pairKey, type PictureVerdicts } from './edge-check.ts';
import { MINIATURE_SIDE } from './picture-check.ts';

/** A miniature with a diagonal gradient in the given colour over white. */
function miniature(r: number, g: number, b: number, shift = 0): Uint8Array {
  const n = MINIATURE_SIDE;
  const out = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const t = Math.min(1, Math.max(0, (x + y + shift) / (2 * n)));
      const i = (y * n + x) * 3;
      out[i] = Math.round(255 - (255 - r) * t);
      out[i + 1] = Math.round(255 - (255 - g) * t);
      out[i + 2] = Math.round(255 - (255 - b) * t);
    }
  }
  return out;
}

const pictures: Record<string, Uint8Array> = {
  red: miniature(200, 30, 30),
  redAgain: miniature(205, 34, 33, 1), // a re-encode: a level or two off, a pixel along
  green: miniature(30, 170, 40),
};

/** Nodes 0..4: red, redAgain, green, green (same file), and one without a miniature. */
function edges(): DuplicateEdges {
  return {
    floor: 0.8,
    ids: Int32Array.from([10, 11, 12, 13, 14]),
    hashOrdinals: Int32Array.from([0, 1, 2, 2, 3]),
    hashes: ['red', 'redAgain', 'green', 'unknown'],
    from: Int32Array.from([2, 0, 0, 1, 0]),
    to: Int32Array.from([3, 1, 2, 2, 4]),
    similarities: Float32Array.from([1, 0.97, 0.93, 0.9, 0.85]),
  };
}

describe('keepSamePictureEdges', () => {
  it('drops the pairs that show other pictures and keeps the order', () => {
    const verdicts: PictureVerdicts = new Map();
    const { edges: kept, report } = keepSamePictureEdges(
      edges(),
      (hash) => pictures[hash] ?? null,
      verdicts,
    );
    // Kept: green~green (same content), red~redAgain, red~unknown (no miniature to check).
    expect([...kept.from]).toEqual([2, 0, 0]);
    expect([...kept.to]).toEqual([3, 1, 4]);
    expect([...kept.similarities]).toEqual([1, Math.fround(0.97), Math.fround(0.85)]);
    expect(report).toMatchObject({ checked: 3, reused: 0, dropped: 2, unchecked: 1 });
    expect(report.fresh).toEqual([
      [pairKey('red', 'redAgain'), true],
      [pairKey('green', 'red'), false],
      [pairKey('green', 'redAgain'), false],
    ]);
    expect(verdicts.get(pairKey('green', 'red'))).toBe(false);
    expect(verdicts.get(pairKey('red', 'redAgain'))).toBe(true);
  });

  it('reuses the verdicts it was given instead of looking again', () => {
    const verdicts: PictureVerdicts = new Map();
    keepSamePictureEdges(edges(), (hash) => pictures[hash] ?? null, verdicts);
    let looked = 0;
    const { report } = keepSamePictureEdges(
      edges(),
      (hash) => {
        looked++;
        return pictures[hash] ?? null;
      },
      verdicts,
    );
    expect(report.reused).toBe(3);
    expect(report.checked).toBe(0);
    // Only the photo without a miniature is asked for again (it may have one by now).
    expect(looked).toBe(2);
  });
});
