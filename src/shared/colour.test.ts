import { describe, expect, it } from 'vitest';
import {
  deltaE2000,
  deltaE76,
  hexToLab,
  hexToRgb,
  labToHex,
  labToSrgb,
  rgbToHex,
  srgbToLab,
  srgbToLinear,
  linearToSrgb,
} from './colour.ts';

describe('sRGB to CIELAB (D65)', () => {
  // Reference values from the CIE formulae with the IEC 61966-2-1 matrix (as in Bruce Lindbloom's
  // calculator with D65 and sRGB selected).
  const known: Array<[string, number, number, number]> = [
    ['#ff0000', 53.24, 80.09, 67.2],
    ['#00ff00', 87.73, -86.18, 83.18],
    ['#0000ff', 32.3, 79.19, -107.86],
    ['#ffffff', 100, 0, 0],
    ['#000000', 0, 0, 0],
    ['#808080', 53.59, 0, 0],
  ];
  it.each(known)('%s is Lab(%f, %f, %f)', (hex, l, a, b) => {
    const lab = hexToLab(hex);
    expect(lab.l).toBeCloseTo(l, 1);
    expect(lab.a).toBeCloseTo(a, 1);
    expect(lab.b).toBeCloseTo(b, 1);
  });

  it('round-trips every 8-bit grey and a lattice of colours through Lab exactly', () => {
    for (let r = 0; r < 256; r += 15) {
      for (let g = 0; g < 256; g += 15) {
        for (let b = 0; b < 256; b += 15) {
          expect(labToSrgb(srgbToLab(r, g, b))).toEqual([r, g, b]);
        }
      }
    }
    for (let v = 0; v < 256; v++) expect(labToSrgb(srgbToLab(v, v, v))).toEqual([v, v, v]);
  });

  it('clamps out-of-gamut Lab into sRGB rather than wrapping', () => {
    expect(labToSrgb({ l: 50, a: 200, b: 0 })[0]).toBe(255);
    expect(labToSrgb({ l: -10, a: 0, b: 0 })).toEqual([0, 0, 0]);
    expect(labToSrgb({ l: 120, a: 0, b: 0 })).toEqual([255, 255, 255]);
  });

  it('inverts the transfer function', () => {
    // The standard's two thresholds (0.04045, 0.0031308) disagree by ~3e-8 at the knee.
    for (const v of [0, 0.002, 0.04045, 0.2, 0.5, 1]) {
      expect(linearToSrgb(srgbToLinear(v))).toBeCloseTo(v, 6);
    }
  });
});

describe('hex formatting', () => {
  it('formats lower case with two digits per channel, rounding and clamping', () => {
    expect(rgbToHex(255, 0, 10)).toBe('#ff000a');
    expect(rgbToHex(-4, 300, 127.6)).toBe('#00ff80');
  });
  it('parses long and short forms, with or without #', () => {
    expect(hexToRgb('#FF8000')).toEqual([255, 128, 0]);
    expect(hexToRgb('0a0')).toEqual([0, 170, 0]);
    expect(() => hexToRgb('#12345')).toThrow(/not a hex colour/);
    expect(() => hexToRgb('red')).toThrow(/not a hex colour/);
  });
  it('labToHex(hexToLab(x)) is x', () => {
    for (const hex of ['#ff0000', '#123456', '#fedcba', '#00ff7f']) {
      expect(labToHex(hexToLab(hex))).toBe(hex);
    }
  });
});

describe('colour differences', () => {
  it('CIE76 is the Euclidean distance', () => {
    expect(deltaE76({ l: 50, a: 0, b: 0 }, { l: 53, a: 4, b: 0 })).toBeCloseTo(5, 10);
  });

  // Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula", Table 1.
  const sharma: Array<[number, number, number, number, number, number, number]> = [
    [50, 2.6772, -79.7751, 50, 0, -82.7485, 2.0425],
    [50, 3.1571, -77.2803, 50, 0, -82.7485, 2.8615],
    [50, 0, 0, 50, -1, 2, 2.3669],
    [50, 2.5, 0, 73, 25, -18, 27.1492],
    [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
    [2.0776, 0.0795, -1.135, 0.9033, -0.0636, -0.5514, 0.9082],
  ];
  it.each(sharma)('CIEDE2000 (%f,%f,%f) vs (%f,%f,%f) = %f', (l1, a1, b1, l2, a2, b2, want) => {
    const x = { l: l1, a: a1, b: b1 };
    const y = { l: l2, a: a2, b: b2 };
    expect(deltaE2000(x, y)).toBeCloseTo(want, 3);
    expect(deltaE2000(y, x)).toBeCloseTo(want, 3); // symmetric
  });
  it('is zero for identical colours', () => {
    expect(deltaE2000({ l: 40, a: 20, b: -30 }, { l: 40, a: 20, b: -30 })).toBe(0);
  });
});
