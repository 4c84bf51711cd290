// A joint CIELAB colour histogram of the opaque pixels, for colour search and ranking.
//
// Bins (HISTOGRAM_BINS = 4 x 8 x 8 = 256), index = (lBin * 8 + aBin) * 8 + bBin:
//   L* in [0, 100]   split into 4 equal bins of 25;
//   a* in [-96, 96]  split into 8 equal bins of 24, values beyond clamp into the end bins;
//   b* in [-96, 96]  likewise.
// The sRGB gamut spans roughly a* -86..98 and b* -108..95, so the clamped end bins only ever
// gather the most saturated greens, blues and reds. Values are L1-normalised (sum 1); an image
// with no opaque pixel gets all zeros.
import type { LabSamples } from './pixels.ts';

export const HISTOGRAM_L_BINS = 4;
export const HISTOGRAM_AB_BINS = 8;
export const HISTOGRAM_BINS = HISTOGRAM_L_BINS * HISTOGRAM_AB_BINS * HISTOGRAM_AB_BINS;
const AB_RANGE = 96;

export function histogramBin(l: number, a: number, b: number): number {
  const lBin = clampBin(Math.floor((l / 100) * HISTOGRAM_L_BINS), HISTOGRAM_L_BINS);
  const aBin = clampBin(
    Math.floor(((a + AB_RANGE) / (2 * AB_RANGE)) * HISTOGRAM_AB_BINS),
    HISTOGRAM_AB_BINS,
  );
  const bBin = clampBin(
    Math.floor(((b + AB_RANGE) / (2 * AB_RANGE)) * HISTOGRAM_AB_BINS),
    HISTOGRAM_AB_BINS,
  );
  return (lBin * HISTOGRAM_AB_BINS + aBin) * HISTOGRAM_AB_BINS + bBin;
}

function clampBin(bin: number, bins: number): number {
  return bin < 0 ? 0 : bin >= bins ? bins - 1 : bin;
}

export function colourHistogram(samples: LabSamples): Float32Array {
  const histogram = new Float32Array(HISTOGRAM_BINS);
  const { lab, count } = samples;
  if (count === 0) return histogram;
  for (let p = 0; p < count; p++) {
    const bin = histogramBin(lab[p * 3]!, lab[p * 3 + 1]!, lab[p * 3 + 2]!);
    histogram[bin] = histogram[bin]! + 1;
  }
  for (let i = 0; i < HISTOGRAM_BINS; i++) histogram[i] = histogram[i]! / count;
  return histogram;
}
