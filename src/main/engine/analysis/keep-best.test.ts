import { describe, expect, it } from 'vitest';
import { formatBytes, suggestKeeper, type KeepCandidate } from './keep-best.ts';

const base = (id: number, over: Partial<KeepCandidate> = {}): KeepCandidate => ({
  id,
  path: `/photos/p${id}.jpg`,
  width: 2000,
  height: 1500,
  format: 'jpeg',
  size: 1_000_000,
  sharpness: 100,
  exifFields: 20,
  takenAt: Date.UTC(2020, 0, 1),
  inReferenceFolder: false,
  ...over,
});

const kept = (s: ReturnType<typeof suggestKeeper>): number[] =>
  s.filter((x) => x.keep).map((x) => x.id);

describe('suggestKeeper', () => {
  it('handles empty and single-member groups', () => {
    expect(suggestKeeper([])).toEqual([]);
    expect(suggestKeeper([base(1)])).toEqual([{ id: 1, keep: true, why: 'only copy' }]);
  });

  it('keeps the largest image and says so against the runner-up', () => {
    const s = suggestKeeper([
      base(1, { width: 2000, height: 1500 }),
      base(2, { width: 4000, height: 3000 }),
      base(3, { width: 1000, height: 750 }),
    ]);
    expect(s).toEqual([
      { id: 1, keep: false, why: 'smaller image: 2000x1500 vs 4000x3000' },
      { id: 2, keep: true, why: 'largest image: 4000x3000 vs 2000x1500' },
      { id: 3, keep: false, why: 'smaller image: 1000x750 vs 4000x3000' },
    ]);
  });

  it('pixel count beats every later rule', () => {
    const s = suggestKeeper([
      base(1, { width: 4000, height: 3000, format: 'webp', size: 10, sharpness: 1, exifFields: 0 }),
      base(2, { width: 3999, height: 3000, format: 'png', size: 9e9, sharpness: 999 }),
    ]);
    expect(kept(s)).toEqual([1]);
  });

  it('ranks formats: lossless over HEIC over JPEG over WebP over GIF', () => {
    const s = suggestKeeper([
      base(1, { format: 'gif' }),
      base(2, { format: 'webp' }),
      base(3, { format: 'png' }),
      base(4, { format: 'jpeg' }),
      base(5, { format: 'heic' }),
    ]);
    expect(kept(s)).toEqual([3]);
    expect(s.find((x) => x.id === 3)!.why).toBe('better format: PNG (lossless) vs HEIC');
    expect(s.find((x) => x.id === 2)!.why).toBe('weaker format: WebP vs PNG (lossless)');
    expect(suggestKeeper([base(1, { format: 'jpeg' }), base(2, { format: 'heic' })])[1]!.keep).toBe(
      true,
    );
    expect(suggestKeeper([base(1, { format: 'jpeg' }), base(2, { format: 'webp' })])[0]!.keep).toBe(
      true,
    );
  });

  it('prefers the bigger file at equal pixels and format, ignoring differences under 1 %', () => {
    const s = suggestKeeper([base(1, { size: 1_000_000 }), base(2, { size: 2_500_000 })]);
    expect(s).toEqual([
      { id: 1, keep: false, why: 'smaller file: 977 KB vs 2.38 MB' },
      { id: 2, keep: true, why: 'largest file: 2.38 MB vs 977 KB' },
    ]);
    // 0.5 % apart counts as equal: the sharper one wins instead.
    const t = suggestKeeper([
      base(1, { size: 1_005_000, sharpness: 50 }),
      base(2, { size: 1_000_000, sharpness: 80 }),
    ]);
    expect(t[1]).toEqual({ id: 2, keep: true, why: 'sharpest: 80.0 vs 50.0' });
    expect(t[0]).toEqual({ id: 1, keep: false, why: 'less sharp: 50.0 vs 80.0' });
  });

  it('treats sharpness within 5 % as equal and falls through to EXIF, then date', () => {
    const s = suggestKeeper([
      base(1, { sharpness: 100, exifFields: 12 }),
      base(2, { sharpness: 97, exifFields: 34 }),
    ]);
    expect(s[1]).toEqual({
      id: 2,
      keep: true,
      why: 'most complete EXIF: 34 EXIF fields vs 12 EXIF fields',
    });
    const d = suggestKeeper([
      base(1, { takenAt: Date.UTC(2021, 2, 2) }),
      base(2, { takenAt: Date.UTC(2019, 4, 1) }),
      base(3, { takenAt: null }),
    ]);
    expect(d).toEqual([
      { id: 1, keep: false, why: 'taken later: 2021-03-02 vs 2019-05-01' },
      { id: 2, keep: true, why: 'taken earliest: 2019-05-01 vs 2021-03-02' },
      { id: 3, keep: false, why: 'taken later: no date taken vs 2019-05-01' },
    ]);
  });

  it('skips a rule no member has a value for, and missing values lose to present ones', () => {
    const s = suggestKeeper([
      base(1, { sharpness: null, exifFields: null }),
      base(2, { sharpness: null, exifFields: 3 }),
    ]);
    expect(s[1]).toEqual({
      id: 2,
      keep: true,
      why: 'most complete EXIF: 3 EXIF fields vs no EXIF',
    });
  });

  it('breaks complete ties by path, deterministically and whatever the input order', () => {
    const a = base(7, { path: '/b/IMG_1.jpg' });
    const b = base(3, { path: '/a/IMG_1.jpg' });
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const s = suggestKeeper(order);
      expect(kept(s)).toEqual([3]);
      expect(s.find((x) => x.id === 3)!.why).toBe('equal on every rule; first by path');
      expect(s.find((x) => x.id === 7)!.why).toBe(
        'equal on every rule to IMG_1.jpg, which comes first by path',
      );
    }
  });

  it('keeps every reference-folder member and never suggests removing one', () => {
    const s = suggestKeeper([
      base(1, { width: 8000, height: 6000 }),
      base(2, { path: '/ref/b.jpg', inReferenceFolder: true, width: 100, height: 100 }),
      base(3, { path: '/ref/a.jpg', inReferenceFolder: true, width: 200, height: 100 }),
    ]);
    expect(s).toEqual([
      { id: 1, keep: false, why: 'a copy in a reference folder is kept (a.jpg)' },
      { id: 2, keep: true, why: 'in a reference folder' },
      { id: 3, keep: true, why: 'in a reference folder' },
    ]);
  });

  it('explains each loser by the rule that removed it, against the keeper', () => {
    const s = suggestKeeper([
      base(1, { width: 1000, height: 1000 }),
      base(2, { format: 'webp' }),
      base(3),
    ]);
    expect(s).toEqual([
      { id: 1, keep: false, why: 'smaller image: 1000x1000 vs 2000x1500' },
      { id: 2, keep: false, why: 'weaker format: WebP vs JPEG' },
      { id: 3, keep: true, why: 'better format: JPEG vs WebP' },
    ]);
  });

  it('formats byte counts for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.00 KB');
    expect(formatBytes(5 * 1024 * 1024 * 1024)).toBe('5.00 GB');
  });
});
