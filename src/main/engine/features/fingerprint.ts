// Training-free visual fingerprint: a fixed-length, L2-normalised vector compared by cosine
// similarity, used for near-duplicates and "similar" when no CLIP model is installed.
//
// Input: CIELAB of the photo area-averaged to 32x32 (alpha over white, EXIF orientation already
// applied). Three parts, each normalised and then weighted, so the cosine of two fingerprints
// is the weighted mean of the parts' own similarities:
//
// 1. Structure (143 dims): the 12x12 lowest 2D DCT frequencies of L*, without DC. Dropping DC and
//    normalising the part makes it blind to global brightness and contrast. Coefficients are
//    multiplied by f (f = |(u, v)|), which whitens the 1/f amplitude spectrum of natural images so
//    the "bright sky, dark ground" layout every photo shares does not dominate (unrelated photos
//    score near 0), and tapered by exp(-f^2 / 2 f0^2) with f0 = 5 because high frequencies are
//    what a crop or a shift scrambles first.
// 2. Colour layout (72 dims): the 6x6 lowest DCT frequencies of a* and b*, DC included and in Lab
//    units (a* = b* = 0 is grey, so the part is centred by construction). A hue rotation flips
//    signs here, so a recoloured copy scores near or below 0 on this part. It is normalised by
//    max(|part|, 4) so a near-grey photo does not amplify noise.
// 3. Colour kernel (256 dims): for each cell of a 4x4 grid (12x12 windows of the 32x32 image, so
//    cells overlap and a small crop moves colour smoothly between them), 16 random Fourier
//    features of the cell's (L*/2, a*, b*) with a fixed seed. The dot product of two of these
//    approximates a Gaussian kernel exp(-dE^2 / 2 sigma^2), sigma = 10: a cell whose colour moved
//    by a recompression (dE ~ 2) still matches, one recoloured by more than ~20 dE does not,
//    whatever the direction of the change. This catches recolours the sign-based layout misses
//    (a skin tone, a "shiny" sprite). L* is halved so brightness edits count for little.
//
// Measured by `npx tsx src/main/engine/features/measure.ts fingerprint` (80 sources, 640 edited
// copies, 170 recolours, 3160 unrelated pairs): edits min 0.81 / median 0.997; hue rotations
// median ~0; unrelated median 0.13, 99.7 % below 0.8. fingerprint.test.ts holds the promises.
// Change FINGERPRINT_VERSION (versions.ts) with any change here.
import { mulberry32 } from '../../../shared/seeded-random.ts';
import { dctMatrix, lowFrequencyDct } from './phash.ts';

export const FINGERPRINT_GRID = 32;

const STRUCTURE_SIDE = 12;
const STRUCTURE_F0 = 5;
const LAYOUT_SIDE = 6;
const LAYOUT_F0 = 3;
const LAYOUT_FLOOR = 4;
const KERNEL_CELLS = 4;
const KERNEL_WINDOW = 12;
const KERNEL_DIM = 16;
const KERNEL_SIGMA = 10;
const KERNEL_LIGHTNESS = 0.5;
const STRUCTURE_WEIGHT = 1;
const LAYOUT_WEIGHT = 2;
const KERNEL_WEIGHT = 2;

const STRUCTURE_DIM = STRUCTURE_SIDE * STRUCTURE_SIDE - 1;
const LAYOUT_DIM = 2 * LAYOUT_SIDE * LAYOUT_SIDE;
const KERNEL_TOTAL_DIM = KERNEL_CELLS * KERNEL_CELLS * KERNEL_DIM;

/** Length of every fingerprint vector. */
export const FINGERPRINT_DIM = STRUCTURE_DIM + LAYOUT_DIM + KERNEL_TOTAL_DIM;

/**
 * The cosine every edit clears: in the measurement above every edit from makeVariants scored
 * above it (100 % of 640), against 0.3 % of unrelated pairs and 18 % of recolours (subtle artist
 * recolours: shiny sprites, skin tones; no hue rotation of a photo). It is not the library's
 * default duplicate threshold: grouping is transitive, so recolours just above 0.8 chain whole
 * families together, and bench/duplicate-quality.ts put the default at 0.90 (analysis-service.ts).
 */
export const FINGERPRINT_DUPLICATE_THRESHOLD = 0.8;

const STRUCTURE_MATRIX = dctMatrix(FINGERPRINT_GRID, STRUCTURE_SIDE);
const LAYOUT_MATRIX = dctMatrix(FINGERPRINT_GRID, LAYOUT_SIDE);

/** Per-coefficient weights, row-major v * side + u. */
function weights(side: number, f0: number, keepDc: boolean, whiten: boolean): Float64Array {
  const w = new Float64Array(side * side);
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      const f = Math.hypot(u, v);
      if (f === 0) w[v * side + u] = keepDc ? 1 : 0;
      else w[v * side + u] = (whiten ? f : 1) * Math.exp(-0.5 * (f / f0) ** 2);
    }
  }
  return w;
}
const STRUCTURE_WEIGHTS = weights(STRUCTURE_SIDE, STRUCTURE_F0, false, true);
const LAYOUT_WEIGHTS = weights(LAYOUT_SIDE, LAYOUT_F0, true, false);

/** Fixed random Fourier features: Gaussian frequencies (1/sigma) and uniform phases. */
const KERNEL = (() => {
  const next = mulberry32(0x9e3779b9);
  // Half a step up, in (0, 1): log() below never sees 0. (Exact: the values are multiples of
  // 2^-32, and this adds 2^-33.)
  const uniform = (): number => next() + 0.5 / 4294967296;
  const gauss = (): number =>
    Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const frequencies = new Float64Array(KERNEL_DIM * 3);
  const phases = new Float64Array(KERNEL_DIM);
  for (let i = 0; i < frequencies.length; i++) frequencies[i] = gauss() / KERNEL_SIGMA;
  for (let i = 0; i < KERNEL_DIM; i++) phases[i] = uniform() * 2 * Math.PI;
  return { frequencies, phases };
})();

/** @param lab32 CIELAB of the 32x32 area-averaged image (alpha over white), interleaved. */
export function visualFingerprint(lab32: Float32Array): Float32Array {
  const n = FINGERPRINT_GRID;
  if (lab32.length !== n * n * 3) throw new Error('fingerprint input must be 32x32 Lab');
  const out = new Float32Array(FINGERPRINT_DIM);

  const l = new Float32Array(n * n);
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) {
    l[i] = lab32[i * 3]!;
    a[i] = lab32[i * 3 + 1]!;
    b[i] = lab32[i * 3 + 2]!;
  }

  // 1. Structure.
  const lDct = lowFrequencyDct(l, n, STRUCTURE_SIDE, STRUCTURE_MATRIX);
  let offset = 0;
  for (let i = 1; i < STRUCTURE_SIDE * STRUCTURE_SIDE; i++) {
    out[offset++] = lDct[i]! * STRUCTURE_WEIGHTS[i]!;
  }
  scalePart(out, 0, STRUCTURE_DIM, Math.sqrt(STRUCTURE_WEIGHT), 0);

  // 2. Colour layout. The orthonormal DCT's DC is n x the mean: divide by n for Lab units.
  const layoutStart = offset;
  for (const channel of [a, b]) {
    const dct = lowFrequencyDct(channel, n, LAYOUT_SIDE, LAYOUT_MATRIX);
    for (let i = 0; i < LAYOUT_SIDE * LAYOUT_SIDE; i++) {
      out[offset++] = (dct[i]! * LAYOUT_WEIGHTS[i]!) / n;
    }
  }
  scalePart(out, layoutStart, LAYOUT_DIM, Math.sqrt(LAYOUT_WEIGHT), LAYOUT_FLOOR);

  // 3. Colour kernel. Each cell's features have norm ~1; dividing by the cell count makes the
  // part's dot product the mean kernel value over cells.
  const half = KERNEL_WINDOW / 2;
  const cellScale = Math.sqrt((KERNEL_WEIGHT * (2 / KERNEL_DIM)) / (KERNEL_CELLS * KERNEL_CELLS));
  const { frequencies, phases } = KERNEL;
  for (let cy = 0; cy < KERNEL_CELLS; cy++) {
    const centreY = ((cy + 0.5) * n) / KERNEL_CELLS;
    const y0 = Math.max(0, Math.round(centreY - half));
    const y1 = Math.min(n, Math.round(centreY + half));
    for (let cx = 0; cx < KERNEL_CELLS; cx++) {
      const centreX = ((cx + 0.5) * n) / KERNEL_CELLS;
      const x0 = Math.max(0, Math.round(centreX - half));
      const x1 = Math.min(n, Math.round(centreX + half));
      let sumL = 0;
      let sumA = 0;
      let sumB = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = y * n + x;
          sumL += l[i]!;
          sumA += a[i]!;
          sumB += b[i]!;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const cl = (sumL / count) * KERNEL_LIGHTNESS;
      const ca = sumA / count;
      const cb = sumB / count;
      for (let d = 0; d < KERNEL_DIM; d++) {
        const phase =
          frequencies[d * 3]! * cl +
          frequencies[d * 3 + 1]! * ca +
          frequencies[d * 3 + 2]! * cb +
          phases[d]!;
        out[offset++] = cellScale * Math.cos(phase);
      }
    }
  }
  return l2Normalise(out);
}

/** Normalises out[start, start+length) to norm `weight` (dividing by at least `floor`). */
function scalePart(
  out: Float32Array,
  start: number,
  length: number,
  weight: number,
  floor: number,
) {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += out[i]! * out[i]!;
  const norm = Math.max(Math.sqrt(sum), floor);
  if (norm === 0) return; // a flat grey image has no structure; the part stays zero
  for (let i = start; i < start + length; i++) out[i] = (out[i]! * weight) / norm;
}

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}

export function cosineSimilarity(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error('fingerprints differ in length');
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xx > 0 && yy > 0 ? dot / Math.sqrt(xx * yy) : 0;
}
