// 64-bit DCT perceptual hash (the classic pHash, as in the imagehash library): the 32x32 luma
// image's 2D DCT-II, the 8x8 lowest frequencies, one bit per coefficient above their median.
// Robust to resizing and recompression; compared by Hamming distance.

export const PHASH_GRID = 32;
const HASH_SIDE = 8;

/** Rows k = 0..rows-1 of the orthonormal DCT-II matrix for length n, row-major. */
export function dctMatrix(n: number, rows: number): Float64Array {
  const m = new Float64Array(rows * n);
  for (let k = 0; k < rows; k++) {
    const scale = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++)
      m[k * n + i] = scale * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
  }
  return m;
}

const DCT_32_8 = dctMatrix(PHASH_GRID, HASH_SIDE);

/**
 * The `rows` x `rows` lowest-frequency 2D DCT-II coefficients of a square n x n image, row-major
 * (index v * rows + u, v vertical frequency). Separable: columns first, then rows.
 */
export function lowFrequencyDct(
  pixels: Float32Array,
  n: number,
  rows: number,
  matrix: Float64Array = dctMatrix(n, rows),
): Float64Array {
  // tmp[v][x] = sum_y M[v][y] * p[y][x]
  const tmp = new Float64Array(rows * n);
  for (let v = 0; v < rows; v++) {
    for (let y = 0; y < n; y++) {
      const w = matrix[v * n + y]!;
      const row = y * n;
      for (let x = 0; x < n; x++) tmp[v * n + x] = tmp[v * n + x]! + w * pixels[row + x]!;
    }
  }
  const out = new Float64Array(rows * rows);
  for (let v = 0; v < rows; v++) {
    for (let u = 0; u < rows; u++) {
      let sum = 0;
      for (let x = 0; x < n; x++) sum += matrix[u * n + x]! * tmp[v * n + x]!;
      out[v * rows + u] = sum;
    }
  }
  return out;
}

/** pHash of a 32x32 luma image (row-major), as 16 lower-case hex digits. */
export function perceptualHash(luma32: Float32Array): string {
  const coefficients = lowFrequencyDct(luma32, PHASH_GRID, HASH_SIDE, DCT_32_8);
  const sorted = Array.from(coefficients).sort((x, y) => x - y);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let bit = 0; bit < 4; bit++) {
      value = (value << 1) | (coefficients[nibble * 4 + bit]! > median ? 1 : 0);
    }
    hex += value.toString(16);
  }
  return hex;
}

const POPCOUNT_4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Number of differing bits between two hex hashes of equal length (0..64 for pHash). */
export function hammingDistance(x: string, y: string): number {
  if (x.length !== y.length) throw new Error('hashes differ in length');
  let distance = 0;
  for (let i = 0; i < x.length; i++) {
    distance += POPCOUNT_4[Number.parseInt(x[i]!, 16) ^ Number.parseInt(y[i]!, 16)]!;
  }
  return distance;
}
