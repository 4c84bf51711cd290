// The library's own colours: the colour families that cover the most picture area across every
// stored palette, so the Colours screen can open on queries that are sure to find photos (the
// colours of this library, not a fixed rainbow).
//
// Families. Each palette colour falls into one family: near-greys (CIELAB chroma under
// NEUTRAL_CHROMA) by lightness alone (black, dark grey, grey, light grey, white); every other
// colour by its hue in 30-degree sectors of the CIELAB hue circle and three lightness bands
// (dark, mid, light). A family's weight is the sum of its colours' area shares over the library
// (each photo's shares add up to 1, so the weights add up to the number of photos); its swatch is
// the library colour nearest the share-weighted mean of those colours (a colour the library
// really holds, not an average that may sit between them).
//
// Choice. Families are taken by weight, skipping one whose swatch is within MIN_SEPARATION (dE76)
// of a family already taken, so twelve swatches are twelve visibly different colours.
//
// Cost. Two passes over the packed palette index the colour search already holds: linear in the
// library; bench/library-colours.ts measures it at 100k photos.
import { labToHex, labToSrgb } from '../../../shared/colour.ts';
import type { LibraryColour, LibraryColours } from '../../../shared/api.ts';
import { PALETTE_STRIDE, SLOT_STRIDE, type PaletteIndex } from './colour-search.ts';

/** Below this CIELAB chroma a colour counts as a grey (white, black and greys between). */
export const NEUTRAL_CHROMA = 12;
/** Swatches closer than this (CIE76 dE) to one already chosen are skipped as repeats. */
export const MIN_SEPARATION = 12;
/** A photo "holds" a family when the family covers at least this share of it. */
export const HOLDS_SHARE = 0.1;
/** A family's swatch is taken from colours covering at least this share of their photo. */
const SWATCH_MIN_SHARE = 0.05;
export const DEFAULT_LIBRARY_COLOURS = 12;

const HUE_SECTORS = 12;
/**
 * Greys by lightness: black under L 20, dark grey under 40, grey under 60, light grey under 85,
 * white above. Colours by lightness: dark under L 40, mid under 70, light above (three bands).
 */
const NEUTRAL_BANDS = [20, 40, 60, 85];
const NEUTRAL_FAMILIES = NEUTRAL_BANDS.length + 1;
const FAMILIES = NEUTRAL_FAMILIES + HUE_SECTORS * 3;

// The result shapes are the contract's, so the engine and every transport share one declaration.
export type { LibraryColour, LibraryColours };

function bandOf(l: number, bands: readonly number[]): number {
  let band = 0;
  while (band < bands.length && l >= bands[band]!) band++;
  return band;
}

/**
 * Hue sector of every (a, b) on a grid of 1 dE over [-128, 128), -1 for the greys: the hot loop
 * looks the sector up instead of taking an arctangent per colour, which was most of its time.
 * Made on first use, not at import: 65,536 arctangents cost every CLI command that imports this
 * module (even `status`) about 20 ms of its start-up.
 */
const AB_RANGE = 128;
const AB_SIZE = 2 * AB_RANGE;
let sectorOfAb: Int8Array | null = null;
function makeSectorOfAb(): Int8Array {
  const table = new Int8Array(AB_SIZE * AB_SIZE);
  for (let ai = 0; ai < AB_SIZE; ai++) {
    for (let bi = 0; bi < AB_SIZE; bi++) {
      // The cell's centre stands for every colour in it.
      const a = ai - AB_RANGE + 0.5;
      const b = bi - AB_RANGE + 0.5;
      if (a * a + b * b < NEUTRAL_CHROMA * NEUTRAL_CHROMA) {
        table[ai * AB_SIZE + bi] = -1;
        continue;
      }
      let turn = Math.atan2(b, a) / (2 * Math.PI);
      if (turn < 0) turn += 1;
      table[ai * AB_SIZE + bi] = Math.min(HUE_SECTORS - 1, Math.floor(turn * HUE_SECTORS));
    }
  }
  return table;
}

/** The family of one CIELAB colour (an index below FAMILIES). Written for the hot loop. */
export function familyOf(l: number, a: number, b: number): number {
  const ai = Math.max(0, Math.min(AB_SIZE - 1, Math.floor(a) + AB_RANGE));
  const bi = Math.max(0, Math.min(AB_SIZE - 1, Math.floor(b) + AB_RANGE));
  const sector = (sectorOfAb ??= makeSectorOfAb())[ai * AB_SIZE + bi]!;
  if (sector < 0) return l < 20 ? 0 : l < 40 ? 1 : l < 60 ? 2 : l < 85 ? 3 : 4;
  return NEUTRAL_FAMILIES + sector * 3 + (l < 40 ? 0 : l < 70 ? 1 : 2);
}

/**
 * The `count` families covering the most area across the library's palettes, most first, each
 * visibly different from those before it. Photos without a palette are left out.
 */
export function libraryColours(
  index: PaletteIndex,
  count: number = DEFAULT_LIBRARY_COLOURS,
): LibraryColours {
  const weight = new Float64Array(FAMILIES);
  const sumL = new Float64Array(FAMILIES);
  const sumA = new Float64Array(FAMILIES);
  const sumB = new Float64Array(FAMILIES);
  const holders = new Int32Array(FAMILIES);
  // The family's share of the current photo, so a photo counts once per family it holds.
  const ofPhoto = new Float64Array(FAMILIES);
  const slots = PALETTE_STRIDE / SLOT_STRIDE;
  const touched = new Int32Array(slots);
  const { data, counts } = index;
  // Each colour's family, so the second pass need not work it out again.
  const familyAt = new Uint8Array(counts.length * slots);
  let photos = 0;
  for (let row = 0; row < counts.length; row++) {
    const used = counts[row]!;
    if (used === 0) continue;
    photos++;
    for (let s = 0; s < used; s++) {
      const o = row * PALETTE_STRIDE + s * SLOT_STRIDE;
      const l = data[o]!;
      const a = data[o + 1]!;
      const b = data[o + 2]!;
      const share = data[o + 3]!;
      const family = familyOf(l, a, b);
      weight[family]! += share;
      sumL[family]! += share * l;
      sumA[family]! += share * a;
      sumB[family]! += share * b;
      ofPhoto[family]! += share;
      touched[s] = family;
      familyAt[row * slots + s] = family;
    }
    for (let s = 0; s < used; s++) {
      const family = touched[s]!;
      if (ofPhoto[family]! >= HOLDS_SHARE) holders[family]!++;
      ofPhoto[family] = 0;
    }
  }

  // The swatch of a family is the library colour nearest its share-weighted mean, among the
  // colours that cover a fair part of their photo: a colour a photo really holds (a mean of a
  // whole hue sector can sit between the colours it averages).
  const meanL = new Float64Array(FAMILIES);
  const meanA = new Float64Array(FAMILIES);
  const meanB = new Float64Array(FAMILIES);
  for (let f = 0; f < FAMILIES; f++) {
    const w = weight[f]!;
    if (w <= 0) continue;
    meanL[f] = sumL[f]! / w;
    meanA[f] = sumA[f]! / w;
    meanB[f] = sumB[f]! / w;
  }
  const nearest = new Float64Array(FAMILIES).fill(Infinity);
  const swatchAt = new Int32Array(FAMILIES).fill(-1);
  for (let row = 0; row < counts.length; row++) {
    for (let s = 0; s < counts[row]!; s++) {
      const o = row * PALETTE_STRIDE + s * SLOT_STRIDE;
      if (data[o + 3]! < SWATCH_MIN_SHARE) continue;
      const f = familyAt[row * slots + s]!;
      const dl = data[o]! - meanL[f]!;
      const da = data[o + 1]! - meanA[f]!;
      const db = data[o + 2]! - meanB[f]!;
      const d = dl * dl + da * da + db * db;
      if (d < nearest[f]!) {
        nearest[f] = d;
        swatchAt[f] = o;
      }
    }
  }

  const order = Array.from({ length: FAMILIES }, (_, f) => f)
    .filter((f) => weight[f]! > 0)
    .sort((x, y) => weight[y]! - weight[x]! || x - y);
  const chosen: { lab: { l: number; a: number; b: number }; colour: LibraryColour }[] = [];
  for (const f of order) {
    if (chosen.length >= count) break;
    const w = weight[f]!;
    const at = swatchAt[f]!;
    const lab =
      at >= 0
        ? { l: data[at]!, a: data[at + 1]!, b: data[at + 2]! }
        : { l: meanL[f]!, a: meanA[f]!, b: meanB[f]! };
    const repeat = chosen.some(
      (c) => Math.hypot(c.lab.l - lab.l, c.lab.a - lab.a, c.lab.b - lab.b) < MIN_SEPARATION,
    );
    if (repeat) continue;
    const hex = labToHex(lab);
    chosen.push({
      lab,
      colour: {
        hex,
        name: colourName(lab),
        share: photos > 0 ? w / photos : 0,
        photos: holders[f]!,
      },
    });
  }
  return { photos, colours: chosen.map((c) => c.colour) };
}

const HUE_NAMES: [number, string][] = [
  [15, 'red'],
  [40, 'orange'],
  [65, 'yellow'],
  [90, 'lime'],
  [150, 'green'],
  [180, 'teal'],
  [200, 'cyan'],
  [250, 'blue'],
  [280, 'violet'],
  [320, 'purple'],
  [345, 'pink'],
  [360, 'red'],
];

/** A plain name for a CIELAB colour, from its sRGB (HSL) hue and lightness ("dark green", "white"). */
export function colourName(lab: { l: number; a: number; b: number }): string {
  if (Math.hypot(lab.a, lab.b) < NEUTRAL_CHROMA) {
    return ['black', 'dark grey', 'grey', 'light grey', 'white'][bandOf(lab.l, NEUTRAL_BANDS)]!;
  }
  const [r, g, b] = labToSrgb(lab).map((v) => v / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  let hue = 0;
  if (max > min) {
    const d = max - min;
    if (max === r) hue = ((g - b) / d + 6) % 6;
    else if (max === g) hue = (b - r) / d + 2;
    else hue = (r - g) / d + 4;
    hue *= 60;
  }
  const lightness = (max + min) / 2;
  let name = HUE_NAMES.find(([limit]) => hue < limit)?.[1] ?? 'red';
  const saturation = max === min ? 0 : (max - min) / (1 - Math.abs(2 * lightness - 1));
  // Dark orange and dark yellow are what people call brown and olive.
  if (lightness < 0.4 && (name === 'orange' || name === 'yellow')) {
    return name === 'orange' ? 'brown' : 'olive';
  }
  // So is a dark, muted red (a deep, vivid red stays "dark red").
  if (name === 'red' && lightness < 0.45 && saturation < 0.5) return 'brown';
  if (lightness < 0.3) name = `dark ${name}`;
  else if (lightness > 0.7) name = `light ${name}`;
  return name;
}
