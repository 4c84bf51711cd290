import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { deltaE2000, deltaE76, hexToLab } from '../../../shared/colour.ts';
import { makeDetailedImage, makeDetailedPixels } from '../../../../test/fixtures/images.ts';
import { mulberry32 } from '../../../shared/seeded-random.ts';
import { analysePhoto } from './analyse.ts';
import { HISTOGRAM_BINS, colourHistogram, histogramBin } from './histogram.ts';
import { PALETTE_SIZE, extractPalette, refineCentres } from './palette.ts';
import { sampleLab, type WorkingImage } from './pixels.ts';

/** An RGBA image made of vertical bands: [hex, fraction of the width, alpha]. */
function bands(
  width: number,
  height: number,
  spec: Array<[string, number, number?]>,
): WorkingImage {
  const data = new Uint8Array(width * height * 4);
  const edges: number[] = [];
  let sum = 0;
  for (const [, fraction] of spec) edges.push(Math.round((sum += fraction) * width));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const band = spec[edges.findIndex((edge) => x < edge)]!;
      const rgb = Buffer.from(band[0].slice(1), 'hex');
      const i = (y * width + x) * 4;
      data.set([rgb[0]!, rgb[1]!, rgb[2]!, band[2] ?? 255], i);
    }
  }
  return { data, width, height, channels: 4 };
}

describe('extractPalette', () => {
  it('finds 70 % red and 30 % blue with the right Lab values', () => {
    const palette = extractPalette(
      sampleLab(
        bands(200, 100, [
          ['#ff0000', 0.7],
          ['#0000ff', 0.3],
        ]),
        64,
      ),
    );
    expect(palette).toHaveLength(2);
    expect(palette[0]!.hex).toBe('#ff0000');
    expect(palette[0]!.share).toBeCloseTo(0.7, 1);
    expect(palette[0]!.lab.l).toBeCloseTo(53.24, 1);
    expect(palette[0]!.lab.a).toBeCloseTo(80.09, 1);
    expect(palette[0]!.lab.b).toBeCloseTo(67.2, 1);
    expect(palette[1]!.hex).toBe('#0000ff');
    expect(palette[1]!.share).toBeCloseTo(0.3, 1);
    expect(palette[0]!.share + palette[1]!.share).toBeCloseTo(1, 10);
  });

  it('gives every band of seven its own colour and true area share, sorted by share', () => {
    const spec: Array<[string, number]> = [
      ['#102030', 0.3],
      ['#f0e0d0', 0.2],
      ['#20a040', 0.15],
      ['#c03090', 0.12],
      ['#e0c020', 0.1],
      ['#4060ff', 0.08],
      ['#808080', 0.05],
    ];
    const palette = extractPalette(sampleLab(bands(400, 50, spec), 64));
    expect(palette).toHaveLength(7);
    for (let i = 1; i < palette.length; i++) {
      expect(palette[i - 1]!.share).toBeGreaterThanOrEqual(palette[i]!.share);
    }
    expect(palette.reduce((sum, colour) => sum + colour.share, 0)).toBeCloseTo(1, 10);
    // Shares to within the 64-sample grid's resolution (1/64 of the width).
    for (const [hex, share] of spec) {
      const found = palette.find((colour) => deltaE76(colour.lab, hexToLab(hex)) < 1);
      expect(found, hex).toBeDefined();
      expect(Math.abs(found!.share - share)).toBeLessThan(1 / 64);
    }
  });

  it(`gives at most ${PALETTE_SIZE} colours, however many the photo has`, () => {
    const spec: Array<[string, number]> = Array.from({ length: PALETTE_SIZE + 8 }, (_, i) => [
      `#${((i * 0x9e3779) & 0xffffff).toString(16).padStart(6, '0')}`,
      1 / (PALETTE_SIZE + 8),
    ]);
    const palette = extractPalette(sampleLab(bands(480, 40, spec), 64));
    expect(palette.length).toBe(PALETTE_SIZE);
    expect(palette.reduce((sum, colour) => sum + colour.share, 0)).toBeCloseTo(1, 10);
  });

  it('keeps 16 colours apart, so shades either side of the "same colour" line are not one cluster', () => {
    // Pixel art: 16 flat colours, two of them red-browns 7.5 apart in CIE76, one at CIEDE2000
    // 13.1 from #e02424 and one at 16.9. A palette that merged them would count both or
    // neither as red; colour search reads the share of red off the palette.
    const inside = '#a02510';
    const outside = '#8d2409';
    const red = hexToLab('#e02424');
    expect(deltaE2000(red, hexToLab(inside))).toBeLessThan(15);
    expect(deltaE2000(red, hexToLab(outside))).toBeGreaterThan(15);
    const others = [
      '#f8f8f8',
      '#202020',
      '#3070e0',
      '#38a838',
      '#f8d030',
      '#9040b0',
      '#a8d0f0',
      '#805830',
      '#f8b8c8',
      '#808080',
      '#285030',
      '#203060',
      '#c0c0c0',
      '#70e0d0',
    ];
    const spec: Array<[string, number]> = [
      [inside, 0.125],
      [outside, 0.125],
      ...others.map((hex): [string, number] => [hex, 0.75 / others.length]),
    ];
    const palette = extractPalette(sampleLab(bands(640, 40, spec), 64));
    expect(palette).toHaveLength(16);
    const redShare = palette
      .filter((colour) => deltaE2000(red, colour.lab) < 15)
      .reduce((sum, colour) => sum + colour.share, 0);
    expect(redShare).toBeCloseTo(0.125, 1);
    expect(Math.abs(redShare - 0.125)).toBeLessThan(1 / 64);
  });

  it('ignores transparent pixels (alpha < 128), however colourful', () => {
    const image = bands(200, 100, [
      ['#00ff00', 0.4, 0],
      ['#ff00ff', 0.2, 100],
      ['#3366cc', 0.4, 255],
    ]);
    const palette = extractPalette(sampleLab(image, 64));
    expect(palette).toHaveLength(1);
    expect(palette[0]!.hex).toBe('#3366cc');
    expect(palette[0]!.share).toBe(1);
  });

  it('gives a fully transparent image an empty palette and an all-zero histogram', () => {
    const samples = sampleLab(bands(32, 32, [['#ff0000', 1, 0]]), 64);
    expect(extractPalette(samples)).toEqual([]);
    expect(colourHistogram(samples).every((v) => v === 0)).toBe(true);
  });

  it('is deterministic on a detailed photo', async () => {
    const photo = await makeDetailedImage({ width: 320, height: 240, seed: 11 });
    const first = await analysePhoto(photo);
    const second = await analysePhoto(photo);
    expect(first.palette.length).toBe(PALETTE_SIZE);
    expect(second.palette).toEqual(first.palette);
    expect(Array.from(second.histogram)).toEqual(Array.from(first.histogram));
  });

  it('survives JPEG: a 70/30 red/blue JPEG keeps its two colours and shares', async () => {
    const image = bands(300, 200, [
      ['#ff0000', 0.7],
      ['#0000ff', 0.3],
    ]);
    const jpeg = await sharp(image.data, { raw: { width: 300, height: 200, channels: 4 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const { palette } = await analysePhoto(jpeg);
    expect(deltaE76(palette[0]!.lab, hexToLab('#ff0000'))).toBeLessThan(5);
    expect(palette[0]!.share).toBeGreaterThan(0.62);
    expect(palette[0]!.share).toBeLessThan(0.75);
    const blue = palette.find((colour) => deltaE76(colour.lab, hexToLab('#0000ff')) < 8);
    expect(blue?.share).toBeGreaterThan(0.25);
  });
});

/** Plain Lloyd's k-means, as refineCentres stood before it kept bounds: the oracle it must equal. */
function lloyd(lab: Float32Array, count: number, centres: number[]): Float64Array {
  const k = centres.length / 3;
  const assignment = new Int32Array(count).fill(-1);
  const sums = new Float64Array(k * 4);
  for (let iteration = 0; iteration < 12; iteration++) {
    let changed = 0;
    sums.fill(0);
    for (let p = 0; p < count; p++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const d =
          (lab[p * 3]! - centres[c * 3]!) ** 2 +
          (lab[p * 3 + 1]! - centres[c * 3 + 1]!) ** 2 +
          (lab[p * 3 + 2]! - centres[c * 3 + 2]!) ** 2;
        if (d < bestDistance) [best, bestDistance] = [c, d];
      }
      if (best !== assignment[p]) [assignment[p], changed] = [best, changed + 1];
      for (let j = 0; j < 3; j++) sums[best * 4 + j] = sums[best * 4 + j]! + lab[p * 3 + j]!;
      sums[best * 4 + 3] = sums[best * 4 + 3]! + 1;
    }
    for (let c = 0; c < k; c++) {
      const n = sums[c * 4 + 3]!;
      for (let j = 0; j < 3 && n > 0; j++) centres[c * 3 + j] = sums[c * 4 + j]! / n;
    }
    if (changed * 200 <= count) break;
  }
  return sums;
}

describe('refineCentres', () => {
  /** Centres picked from the samples themselves, as the seeding does. */
  const pick = (lab: Float32Array, count: number, k: number, random: () => number) =>
    Array.from({ length: k }, () => Math.floor(random() * count)).flatMap((p) =>
      Array.from(lab.subarray(p * 3, p * 3 + 3)),
    );
  const cases: Array<[string, () => Promise<Float32Array> | Float32Array]> = [
    [
      'a detailed photo',
      async () => {
        const pixels = makeDetailedPixels({ width: 320, height: 240, seed: 5 });
        return sampleLab({ data: pixels, width: 320, height: 240, channels: 3 }, 64).lab;
      },
    ],
    [
      'uniform noise',
      () => {
        const random = mulberry32(7);
        return Float32Array.from({ length: 4096 * 3 }, () => random() * 100 - 20);
      },
    ],
    // Whole numbers on a coarse grid: many samples lie exactly as far from two centres.
    [
      'ties everywhere',
      () => {
        const random = mulberry32(9);
        return Float32Array.from({ length: 4096 * 3 }, () => Math.round(random() * 6) * 10);
      },
    ],
    [
      'tight blobs',
      () => {
        const random = mulberry32(13);
        return Float32Array.from({ length: 4096 * 3 }, (_, i) => ((i / 3) % 5) * 20 + random());
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(`moves the centres exactly as plain Lloyd's k-means does: ${name}`, async () => {
      const lab = await make();
      const count = lab.length / 3;
      for (const k of [1, 5, 16]) {
        const start = pick(lab, count, k, mulberry32(k));
        const ours = start.slice();
        const theirs = start.slice();
        expect(Array.from(refineCentres(lab, count, ours))).toEqual(
          Array.from(lloyd(lab, count, theirs)),
        );
        expect(ours).toEqual(theirs);
      }
    });
  }
});

describe('colourHistogram', () => {
  it('is L1-normalised with the documented 4x8x8 Lab bins', () => {
    expect(HISTOGRAM_BINS).toBe(256);
    const samples = sampleLab(
      bands(100, 10, [
        ['#ff0000', 0.25],
        ['#ffffff', 0.75],
      ]),
      64,
    );
    const histogram = colourHistogram(samples);
    expect(histogram).toHaveLength(256);
    expect(histogram.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 5);
    const red = hexToLab('#ff0000');
    const white = hexToLab('#ffffff');
    expect(histogram[histogramBin(red.l, red.a, red.b)]).toBeCloseTo(0.25, 1);
    expect(histogram[histogramBin(white.l, white.a, white.b)]).toBeCloseTo(0.75, 1);
    // L 53 is the third L bin (50..75), a 80 the last a bin (clamped), b 67 bin 6 of 0..7.
    expect(histogramBin(red.l, red.a, red.b)).toBe((2 * 8 + 7) * 8 + 6);
  });
});
