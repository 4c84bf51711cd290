import { describe, expect, it } from 'vitest';
import { deltaE76, hexToLab } from '../../../shared/colour.ts';
import { buildPaletteIndex, type WeightedLab } from './colour-search.ts';
import {
  colourName,
  familyOf,
  HOLDS_SHARE,
  libraryColours,
  MIN_SEPARATION,
} from './library-colours.ts';

/** A palette from [hex, share] pairs. */
const palette = (...colours: [string, number][]): WeightedLab[] =>
  colours.map(([hex, share]) => ({ lab: hexToLab(hex), share }));

const indexOf = (...palettes: WeightedLab[][]) =>
  buildPaletteIndex(palettes.map((p, i) => ({ id: i + 1, palette: p })));

describe('libraryColours', () => {
  it('ranks families by the picture area they cover across the library', () => {
    const index = indexOf(
      palette(['#1e5bd6', 0.7], ['#ffffff', 0.3]),
      palette(['#1d5ad0', 0.6], ['#ffffff', 0.4]),
      palette(['#d62e1e', 0.9], ['#ffffff', 0.1]),
      palette(['#ffffff', 1]),
    );
    const { photos, colours } = libraryColours(index);
    expect(photos).toBe(4);
    // White covers 0.3+0.4+0.1+1 = 1.8 photos' worth, blue 1.3, red 0.9.
    expect(colours.map((c) => c.name)).toEqual(['white', 'blue', 'red']);
    expect(colours[0]!.share).toBeCloseTo(1.8 / 4, 5);
    expect(colours[1]!.share).toBeCloseTo(1.3 / 4, 5);
    expect(colours[2]!.share).toBeCloseTo(0.9 / 4, 5);
    // The swatch is a colour the library holds: one of the two blues, not a blend.
    expect(['#1e5bd6', '#1d5ad0']).toContain(colours[1]!.hex);
    // Every photo holds white at 10 % or more; two hold blue, one red.
    expect(colours.map((c) => c.photos)).toEqual([4, 2, 1]);
  });

  it('takes the swatch from a colour photos hold, nearest the family’s average', () => {
    // Two reds far apart in one family (their average is a colour no photo has) and one between
    // them that covers too little of its photo to stand for the family.
    const index = indexOf(
      palette(['#e0122d', 0.6], ['#ffffff', 0.4]),
      palette(['#c2410c', 0.5], ['#ffffff', 0.5]),
      palette(['#d22a1c', 0.5], ['#ffffff', 0.5]),
      palette(['#d1281d', 0.02], ['#ffffff', 0.98]),
    );
    const red = libraryColours(index).colours.find((c) => c.name === 'red');
    expect(['#e0122d', '#c2410c', '#d22a1c']).toContain(red?.hex);
    // Of those, the one nearest the share-weighted average.
    expect(red?.hex).toBe('#d22a1c');
  });

  it('shares add up to the whole library when few families are present', () => {
    const index = indexOf(
      palette(['#2a9d3a', 0.5], ['#f2d024', 0.5]),
      palette(['#2a9d3a', 0.2], ['#f2d024', 0.8]),
    );
    const { colours } = libraryColours(index);
    expect(colours.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 5);
  });

  it('counts a photo once per family even when two of its colours fall in it', () => {
    // Two near blues of one photo, each under HOLDS_SHARE alone but over it together.
    const index = indexOf(
      palette(['#1e5bd6', HOLDS_SHARE * 0.6], ['#2563e0', HOLDS_SHARE * 0.6], ['#ffffff', 0.88]),
    );
    const blue = libraryColours(index).colours.find((c) => c.name === 'blue');
    expect(blue?.photos).toBe(1);
  });

  it('never offers two swatches closer than the separation', () => {
    // Greens either side of a family boundary would make two near-identical swatches.
    const greens = ['#3f8f4e', '#3a8a48', '#458f55', '#3c9650', '#2f8a45', '#4a9a5a'];
    const index = indexOf(...greens.map((g, i) => palette([g, 0.5 + i / 20], ['#202020', 0.3])));
    const { colours } = libraryColours(index);
    for (let i = 0; i < colours.length; i++) {
      for (let j = i + 1; j < colours.length; j++) {
        const d = deltaE76(hexToLab(colours[i]!.hex), hexToLab(colours[j]!.hex));
        expect(d).toBeGreaterThanOrEqual(MIN_SEPARATION - 0.5);
      }
    }
  });

  it('returns at most the number asked for, most area first', () => {
    const hues = Array.from({ length: 30 }, (_, i) => {
      const h = (i * 37) % 360;
      return palette([hsl(h, 70, 30 + (i % 3) * 20), 1]);
    });
    const { colours } = libraryColours(indexOf(...hues), 8);
    expect(colours).toHaveLength(8);
    for (let i = 1; i < colours.length; i++) {
      expect(colours[i]!.share).toBeLessThanOrEqual(colours[i - 1]!.share);
    }
  });

  it('an empty library, or photos without palettes, have no colours', () => {
    expect(libraryColours(indexOf())).toEqual({ photos: 0, colours: [] });
    const noPalette = buildPaletteIndex([{ id: 1, palette: [] }]);
    expect(libraryColours(noPalette)).toEqual({ photos: 0, colours: [] });
  });
});

describe('familyOf and colourName', () => {
  it('puts greys by lightness and colours by hue', () => {
    const fam = (hex: string) => {
      const lab = hexToLab(hex);
      return familyOf(lab.l, lab.a, lab.b);
    };
    expect(fam('#000000')).not.toBe(fam('#ffffff'));
    expect(fam('#fefefe')).toBe(fam('#ffffff'));
    expect(fam('#d62e1e')).not.toBe(fam('#1e5bd6'));
    expect(fam('#1e5bd6')).toBe(fam('#2563e0'));
  });

  it('names colours in plain words', () => {
    const name = (hex: string) => colourName(hexToLab(hex));
    expect(name('#ffffff')).toBe('white');
    expect(name('#000000')).toBe('black');
    expect(name('#808080')).toBe('grey');
    expect(name('#d62e1e')).toBe('red');
    expect(name('#1e5bd6')).toBe('blue');
    expect(name('#f2d024')).toBe('yellow');
    expect(name('#2a9d3a')).toBe('green');
    expect(name('#7a4a1e')).toBe('brown');
    expect(name('#f6b4c8')).toBe('light pink');
    expect(name('#0b2a5c')).toBe('dark blue');
    expect(name('#6e4538')).toBe('brown');
    expect(name('#7a0010')).toBe('dark red');
  });
});

/** '#rrggbb' from HSL (degrees, percent, percent). */
function hsl(h: number, s: number, l: number): string {
  const sat = s / 100;
  const light = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = sat * Math.min(light, 1 - light);
  const f = (n: number) => light - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const byte = (v: number) =>
    Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  return `#${byte(f(0))}${byte(f(8))}${byte(f(4))}`;
}
