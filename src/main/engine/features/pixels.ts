// Small in-memory views of the one decoded working copy. Every feature is derived from these, so
// the photo is decoded once; each helper touches the working copy (<= 384 px) at most once.
import { SRGB8_TO_LINEAR, linearRgbToLabInto } from '../../../shared/colour.ts';

/** 8-bit sRGB pixels, interleaved, 3 (RGB) or 4 (RGBA, straight alpha) channels. */
export interface WorkingImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Pixels at or above this alpha count as opaque for palettes and histograms. */
export const OPAQUE_ALPHA = 128;

/**
 * Transparent areas are composited over white before anything structural (hashes, fingerprint,
 * sharpness, CLIP crop) looks at them: white is what viewers, browsers and most converters show,
 * so a sprite and its flattened JPEG copy look alike.
 */
export const BACKGROUND = 255;

/** The working copy as RGB, transparency composited over white (RGB input is returned as is). */
export function rgbOverWhite(image: WorkingImage): Uint8Array {
  const { data, width, height } = image;
  if (image.channels === 3) return data;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0, o = 0; p < width * height; p += 1, q += 3, o += 4) {
    const a = data[o + 3]! / 255;
    rgb[q] = Math.round(data[o]! * a + BACKGROUND * (1 - a));
    rgb[q + 1] = Math.round(data[o + 1]! * a + BACKGROUND * (1 - a));
    rgb[q + 2] = Math.round(data[o + 2]! * a + BACKGROUND * (1 - a));
  }
  return rgb;
}

/** Lab values (L, a, b interleaved) of the opaque pixels on a point-sampled grid. */
export interface LabSamples {
  lab: Float32Array;
  count: number;
}

/**
 * Point-samples at most `maxSide` x `maxSide` pixels (cell centres) and converts the opaque ones
 * to CIELAB. Point sampling, unlike averaging, keeps pure colours pure: an edge between red and
 * blue gives red and blue samples, not purple ones that would pollute the palette.
 */
export function sampleLab(image: WorkingImage, maxSide: number): LabSamples {
  const { data, width, height, channels } = image;
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const sw = Math.max(1, Math.round(width * scale));
  const sh = Math.max(1, Math.round(height * scale));
  const lab = new Float32Array(sw * sh * 3);
  let count = 0;
  for (let y = 0; y < sh; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / sh));
    for (let x = 0; x < sw; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / sw));
      const i = (sy * width + sx) * channels;
      if (channels === 4 && data[i + 3]! < OPAQUE_ALPHA) continue;
      linearRgbToLabInto(
        SRGB8_TO_LINEAR[data[i]!]!,
        SRGB8_TO_LINEAR[data[i + 1]!]!,
        SRGB8_TO_LINEAR[data[i + 2]!]!,
        lab,
        count * 3,
      );
      count++;
    }
  }
  return { lab: lab.subarray(0, count * 3), count };
}

/**
 * Box-filtered RGB (0..255, alpha composited over BACKGROUND) at exactly outW x outH. Each output
 * cell averages the source pixels it covers, or takes the nearest one when the source is smaller
 * than the grid (a 1x1 photo, the short side of a panorama), so every cell has a value.
 */
export function areaAverageRgb(image: WorkingImage, outW: number, outH: number): Float32Array {
  const { data, width, height, channels } = image;
  const out = new Float32Array(outW * outH * 3);
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  for (let cx = 0; cx < outW; cx++) {
    const start = Math.floor((cx * width) / outW);
    x0s[cx] = Math.min(width - 1, start);
    x1s[cx] = Math.max(x0s[cx]! + 1, Math.min(width, Math.ceil(((cx + 1) * width) / outW)));
  }
  for (let cy = 0; cy < outH; cy++) {
    const y0 = Math.min(height - 1, Math.floor((cy * height) / outH));
    const y1 = Math.max(y0 + 1, Math.min(height, Math.ceil(((cy + 1) * height) / outH)));
    for (let cx = 0; cx < outW; cx++) {
      const x0 = x0s[cx]!;
      const x1 = x1s[cx]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = y0; y < y1; y++) {
        let i = (y * width + x0) * channels;
        for (let x = x0; x < x1; x++, i += channels) {
          if (channels === 4) {
            const alpha = data[i + 3]! / 255;
            const bg = BACKGROUND * (1 - alpha);
            r += data[i]! * alpha + bg;
            g += data[i + 1]! * alpha + bg;
            b += data[i + 2]! * alpha + bg;
          } else {
            r += data[i]!;
            g += data[i + 1]!;
            b += data[i + 2]!;
          }
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (cy * outW + cx) * 3;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  }
  return out;
}

/** Rounds an interleaved RGB float buffer (0..255) to bytes: the stored miniature. */
export function miniatureOf(rgb: Float32Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = Math.round(rgb[i]!);
  return out;
}

/** Rec. 601 luma (0..255) of an interleaved RGB float buffer. */
export function lumaOf(rgb: Float32Array): Float32Array {
  const n = rgb.length / 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = 0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!;
  }
  return out;
}

/** CIELAB of an interleaved RGB float buffer (0..255, sRGB-encoded). */
export function labOf(rgb: Float32Array): Float32Array {
  const out = new Float32Array(rgb.length);
  const lin = (v: number): number => {
    // Averaged values are fractional; interpolate the 8-bit table rather than call pow().
    const lo = Math.max(0, Math.min(254, Math.floor(v)));
    const t = Math.max(0, Math.min(1, v - lo));
    return SRGB8_TO_LINEAR[lo]! * (1 - t) + SRGB8_TO_LINEAR[lo + 1]! * t;
  };
  for (let i = 0; i < rgb.length; i += 3) {
    linearRgbToLabInto(lin(rgb[i]!), lin(rgb[i + 1]!), lin(rgb[i + 2]!), out, i);
  }
  return out;
}

/**
 * Variance of the 4-neighbour Laplacian of the luma (alpha over white), a standard focus measure:
 * among copies of one photo, the sharper original scores higher. It is computed on the working
 * copy, so it compares photos at the same working scale.
 */
export function laplacianVariance(image: WorkingImage): number {
  const { data, width, height, channels } = image;
  if (width < 3 || height < 3) return 0;
  const grey = new Float32Array(width * height);
  // Two loops rather than a per-pixel branch: this runs over every working-copy pixel.
  if (channels === 3) {
    for (let p = 0, i = 0; p < grey.length; p++, i += 3) {
      grey[p] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    }
  } else {
    for (let p = 0, i = 0; p < grey.length; p++, i += 4) {
      const alpha = data[i + 3]! / 255;
      const luma = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      grey[p] = luma * alpha + BACKGROUND * (1 - alpha);
    }
  }
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      const lap = grey[p - 1]! + grey[p + 1]! + grey[p - width]! + grey[p + width]! - 4 * grey[p]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}
