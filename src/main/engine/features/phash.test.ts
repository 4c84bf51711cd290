import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { analysePhoto } from './analyse.ts';
import { dctMatrix, hammingDistance, lowFrequencyDct, perceptualHash } from './phash.ts';

describe('DCT', () => {
  it('is orthonormal: the matrix times its transpose is the identity', () => {
    const n = 32;
    const m = dctMatrix(n, n);
    for (let i = 0; i < n; i += 5) {
      for (let j = 0; j < n; j += 3) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += m[i * n + k]! * m[j * n + k]!;
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });
  it('puts a flat image entirely in DC', () => {
    const coefficients = lowFrequencyDct(new Float32Array(32 * 32).fill(10), 32, 8);
    expect(coefficients[0]).toBeCloseTo(320, 6); // n * mean for the orthonormal 2D DCT
    for (let i = 1; i < 64; i++) expect(Math.abs(coefficients[i]!)).toBeLessThan(1e-9);
  });
});

describe('perceptualHash', () => {
  it('is 16 hex digits with about half the bits set', () => {
    const luma = new Float32Array(32 * 32).map((_, i) => ((i * 2654435761) >>> 0) % 256);
    const hash = perceptualHash(luma);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const ones = [...hash].reduce((sum, digit) => sum + hammingDistance(digit, '0'), 0);
    expect(ones).toBeGreaterThanOrEqual(28);
    expect(ones).toBeLessThanOrEqual(36);
  });

  it('is stable under resizing and recompression, and differs between photos', async () => {
    const photo = await makeDetailedImage({ width: 800, height: 600, seed: 21 });
    const other = await makeDetailedImage({ width: 800, height: 600, seed: 22 });
    const smaller = await sharp(photo).resize(240).jpeg({ quality: 60 }).toBuffer();
    const larger = await sharp(photo).resize(1200).png().toBuffer();
    const [a, b, c, d] = await Promise.all(
      [photo, smaller, larger, other].map((x) => analysePhoto(x)),
    );
    expect(hammingDistance(a!.phash, b!.phash)).toBeLessThanOrEqual(4);
    expect(hammingDistance(a!.phash, c!.phash)).toBeLessThanOrEqual(4);
    expect(hammingDistance(a!.phash, d!.phash)).toBeGreaterThan(16);
  });

  it('hammingDistance counts differing bits and refuses mismatched lengths', () => {
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('00000000000000f1', '0000000000000000')).toBe(5);
    expect(() => hammingDistance('00', '000')).toThrow();
  });
});
