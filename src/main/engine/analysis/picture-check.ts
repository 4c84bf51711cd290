// The second look before two photos are called near-duplicates: do their pixels show the same
// picture, up to the edits a copy goes through?
//
// Embeddings (the fingerprint or CLIP) find candidates, but a cosine alone cannot tell a resized
// copy from the same design in other colours: an emoji's skin tones or a sprite's "shiny"
// version score as high as a cropped copy. Grouping is transitive, so one such edge chains whole
// families together. This check looks at the pixels themselves, on each photo's miniature (32x32
// RGB, alpha over white, stored at indexing), and allows exactly what the near-duplicate
// fixtures do to a photo:
//
// - crop (<= 10 % per side) and resize: one axis-aligned scale and offset per axis, found by
//   aligning the row and column brightness profiles (scales 0.88..1.13, offsets +-13 %);
// - a change of brightness and contrast: one gain and offset shared by the three channels,
//   fitted robustly (on the best-fitting half of the values, clipped ones left out). A shared
//   gain cannot turn yellow into skin or red into green, which a per-channel fit would;
// - recompression, resampling and pixel-art edges landing in other cells: both miniatures are
//   blurred a little, and each pixel is compared with the nearest match in the other's 3x3
//   neighbourhood;
// - a watermark or other small overlay: what is measured is the share of pixels that disagree,
//   so a small area does not count.
//
// The result is the share of the picture's pixels (white background left out, where there is
// any) whose colour disagrees by more than 8 levels after that alignment, the smaller of the two
// directions (the fit can brighten into clipped white, not out of it).
// bench/duplicate-quality.ts chose 0.2 as the most a duplicate may disagree.

/** Names this algorithm and its constants; stored verdicts of another version are not reused. */
export const PICTURE_CHECK_VERSION = 'align-fit-32-1';

/** Side of the miniature every photo stores for this check. */
export const MINIATURE_SIDE = 32;
const N = MINIATURE_SIDE;
const PIXELS = N * N;

/** Share of disagreeing pixels above which two photos are not the same picture. */
export const SAME_PICTURE_MAX_DISAGREEMENT = 0.2;

/** Per-channel RMS difference (0..255) above which a pixel disagrees. */
const PIXEL_TOLERANCE = 8;
/** Channel values at or above this are treated as white (background, clipped highlights). */
const WHITE = 245;
const MIN_SCALE = 0.88;
const MAX_SCALE = 1.13;
const SCALE_STEP = 0.02;
const MAX_OFFSET = 0.13;
const OFFSET_STEP = 0.01;
/** Alignments are tried in the 3 best per axis: 9 combinations. */
const CANDIDATES_PER_AXIS = 3;
/** An alignment must keep this share of the pixels in view. */
const MIN_OVERLAP = 0.7;
const MIN_GAIN = 0.8;
const MAX_GAIN = 1.25;
/** The fit is repeated on the best-fitting half of the values this many times. */
const FIT_ROUNDS = 4;
const FIT_KEEP = 0.7;
/** Variance (levels squared) below which the values cannot fix a gain. */
const MIN_SPREAD = 25;

/** A miniature ready for comparison: blurred, as floats, with its brightness profiles. */
export interface PreparedMiniature {
  rgb: Float32Array;
  columns: Float64Array;
  rows: Float64Array;
}

export interface PictureComparison {
  /** Share of the picture's pixels that disagree after alignment (0..1). */
  disagreement: number;
  samePicture: boolean;
}

/** Validates and blurs a stored miniature (RGB bytes, row-major, MINIATURE_SIDE squared). */
export function prepareMiniature(bytes: Uint8Array): PreparedMiniature {
  if (bytes.length !== PIXELS * 3) {
    throw new RangeError(`a miniature has ${PIXELS * 3} bytes, got ${bytes.length}`);
  }
  const rgb = blur(bytes);
  const columns = new Float64Array(N);
  const rows = new Float64Array(N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const i = (y * N + x) * 3;
      const luma = 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
      columns[x] = columns[x]! + luma / N;
      rows[y] = rows[y]! + luma / N;
    }
  }
  return { rgb, columns, rows };
}

/**
 * Compares two photos' miniatures: the smallest disagreement over the alignments tried, in either
 * direction. The search stops early at the first alignment within `stopAt` (default: the
 * same-picture limit), which is what makes checking the many true duplicates of a library cheap;
 * pass 0 for the exact minimum.
 */
export function comparePictures(
  a: PreparedMiniature,
  b: PreparedMiniature,
  stopAt = SAME_PICTURE_MAX_DISAGREEMENT,
): PictureComparison {
  const scratch = SCRATCH;
  let disagreement = oneWay(a, b, scratch, stopAt);
  if (disagreement > stopAt) disagreement = Math.min(disagreement, oneWay(b, a, scratch, stopAt));
  return { disagreement, samePicture: disagreement <= SAME_PICTURE_MAX_DISAGREEMENT };
}

/** Buffers reused across the alignments of one comparison. */
class Scratch {
  readonly mapped = new Float32Array(PIXELS * 3);
  readonly fitted = new Float32Array(PIXELS * 3);
  readonly valid = new Uint8Array(PIXELS);
  readonly fromValues = new Float32Array(PIXELS * 3);
  readonly toValues = new Float32Array(PIXELS * 3);
  readonly residuals = new Uint16Array(PIXELS * 3);
  readonly histogram = new Uint32Array(512);
  /** Values collected for the fit (in fromValues, toValues) by resample. */
  count = 0;
  gain = 1;
  offset = 0;
  /** Per column of the current alignment: in view, the two cells read and the fraction. */
  readonly columnIn = new Uint8Array(N);
  readonly column0 = new Int32Array(N);
  readonly column1 = new Int32Array(N);
  readonly columnF = new Float64Array(N);
  /** Whether each pixel of b (the side compared against) is white. */
  readonly targetWhite = new Uint8Array(PIXELS);
}

/** Comparisons run one at a time on a thread, so one set of buffers serves them all. */
const SCRATCH = new Scratch();

interface AxisAlignment {
  scale: number;
  offset: number;
  /** Residual of the profile fit at this alignment. */
  error: number;
}

/** How much of `b` disagrees with `a` brought onto it (aligned, then brightness-fitted). */
function oneWay(
  a: PreparedMiniature,
  b: PreparedMiniature,
  scratch: Scratch,
  stopAt: number,
): number {
  const xs = alignAxis(a.columns, b.columns);
  const ys = alignAxis(a.rows, b.rows);
  // Most likely first: by the two axes' profile errors together (a stable sort, as before).
  const order: number[] = [];
  for (let i = 0; i < xs.length; i++) for (let j = 0; j < ys.length; j++) order.push(i * 3 + j);
  order.sort((p, q) => {
    const ep = xs[(p / 3) | 0]!.error + ys[p % 3]!.error;
    const eq = xs[(q / 3) | 0]!.error + ys[q % 3]!.error;
    return ep - eq;
  });
  const { targetWhite } = scratch;
  const q = b.rgb;
  for (let i = 0; i < PIXELS; i++) {
    targetWhite[i] = Math.min(q[i * 3]!, q[i * 3 + 1]!, q[i * 3 + 2]!) > WHITE ? 1 : 0;
  }
  let best = 1;
  for (const k of order) {
    if (!resample(a.rgb, xs[(k / 3) | 0]!, ys[k % 3]!, b.rgb, scratch)) continue;
    fitBrightness(scratch);
    applyBrightness(scratch.mapped, scratch.gain, scratch.offset, scratch.fitted);
    best = Math.min(best, disagreementOf(scratch.fitted, q, scratch, stopAt));
    if (best <= stopAt) return best;
  }
  return best;
}

/**
 * Every (scale, offset) tried on an axis, with the profile samples each reads: which of b's
 * positions, and where (cell and fraction) that falls in a's. The same for every comparison, so
 * it is worked out once.
 */
const AXIS_CANDIDATES = (() => {
  const scales: number[] = [];
  const offsets: number[] = [];
  const starts: number[] = [0];
  const at: number[] = [];
  const cell: number[] = [];
  const fraction: number[] = [];
  const steps = Math.round(MAX_OFFSET / OFFSET_STEP);
  const scaleSteps = Math.round((MAX_SCALE - MIN_SCALE) / SCALE_STEP);
  for (let s = 0; s <= scaleSteps; s++) {
    const scale = MIN_SCALE + s * SCALE_STEP;
    for (let step = -steps; step <= steps; step++) {
      const offset = step * OFFSET_STEP;
      const before = at.length;
      for (let k = 0; k < N; k++) {
        const position = (scale * ((k + 0.5) / N) + offset) * N - 0.5;
        if (position < -0.5 || position > N - 0.5) continue;
        const x = Math.max(0, Math.min(N - 1, position));
        const x0 = Math.min(N - 2, Math.floor(x));
        at.push(k);
        cell.push(x0);
        fraction.push(x - x0);
      }
      // Too little of the axis in view to judge: not a candidate.
      if (at.length - before < N * 0.8) {
        at.length = cell.length = fraction.length = before;
        continue;
      }
      scales.push(scale);
      offsets.push(offset);
      starts.push(at.length);
    }
  }
  return {
    scales: Float64Array.from(scales),
    offsets: Float64Array.from(offsets),
    starts: Int32Array.from(starts),
    at: Uint8Array.from(at),
    cell: Uint8Array.from(cell),
    fraction: Float64Array.from(fraction),
  };
})();

/**
 * The best few (scale, offset) pairs mapping b's axis onto a's (a at scale * u + offset, in
 * units of the image size), by the residual of an affine fit of the two brightness profiles,
 * which makes the choice blind to a brightness or contrast edit.
 */
function alignAxis(pa: Float64Array, pb: Float64Array): AxisAlignment[] {
  const { scales, offsets, starts, at, cell, fraction } = AXIS_CANDIDATES;
  const best: AxisAlignment[] = [];
  for (let c = 0; c < scales.length; c++) {
    let sa = 0;
    let sb = 0;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    const end = starts[c + 1]!;
    const n = end - starts[c]!;
    for (let i = starts[c]!; i < end; i++) {
      const x0 = cell[i]!;
      const f = fraction[i]!;
      const va = pa[x0]! * (1 - f) + pa[x0 + 1]! * f;
      const vb = pb[at[i]!]!;
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
    }
    const varA = saa - (sa * sa) / n;
    const varB = sbb - (sb * sb) / n;
    const cov = sab - (sa * sb) / n;
    const error = varA > 1e-6 ? (varB - (cov * cov) / varA) / n : varB / n;
    if (best.length === CANDIDATES_PER_AXIS && error >= best[best.length - 1]!.error) continue;
    let i = best.length === CANDIDATES_PER_AXIS ? best.length - 1 : best.length;
    while (i > 0 && best[i - 1]!.error > error) {
      if (i < CANDIDATES_PER_AXIS) best[i] = best[i - 1]!;
      i--;
    }
    best[i] = { scale: scales[c]!, offset: offsets[c]!, error };
  }
  return best;
}

/**
 * Samples `a` (bilinear) at the alignment into scratch.mapped, and collects the values for the
 * brightness fit (neither clipped nor black on either side, in pixel and channel order) into
 * scratch.fromValues / toValues; false if too little overlaps.
 */
function resample(
  a: Float32Array,
  x: AxisAlignment,
  y: AxisAlignment,
  b: Float32Array,
  scratch: Scratch,
): boolean {
  const { mapped, valid, columnIn, column0, column1, columnF, fromValues, toValues } = scratch;
  let columnsInView = 0;
  for (let px = 0; px < N; px++) {
    const ax = (x.scale * ((px + 0.5) / N) + x.offset) * N - 0.5;
    if (ax < -0.5 || ax > N - 0.5) {
      columnIn[px] = 0;
      continue;
    }
    columnIn[px] = 1;
    columnsInView++;
    const cx = Math.max(0, Math.min(N - 1, ax));
    const x0 = Math.floor(cx);
    column0[px] = x0;
    column1[px] = Math.min(N - 1, x0 + 1);
    columnF[px] = cx - x0;
  }
  let rowsInView = 0;
  for (let py = 0; py < N; py++) {
    const ay = (y.scale * ((py + 0.5) / N) + y.offset) * N - 0.5;
    if (ay >= -0.5 && ay <= N - 0.5) rowsInView++;
  }
  if (rowsInView * columnsInView < PIXELS * MIN_OVERLAP) return false;
  let count = 0;
  for (let py = 0; py < N; py++) {
    const ay = (y.scale * ((py + 0.5) / N) + y.offset) * N - 0.5;
    const rowInView = ay >= -0.5 && ay <= N - 0.5;
    const cy = Math.max(0, Math.min(N - 1, ay));
    const y0 = Math.floor(cy);
    const y1 = Math.min(N - 1, y0 + 1);
    const fy = cy - y0;
    const gy = 1 - fy;
    for (let px = 0; px < N; px++) {
      const i = py * N + px;
      if (!rowInView || !columnIn[px]) {
        valid[i] = 0;
        continue;
      }
      valid[i] = 1;
      const x0 = column0[px]!;
      const x1 = column1[px]!;
      const fx = columnF[px]!;
      const gx = 1 - fx;
      const p00 = (y0 * N + x0) * 3;
      const p01 = (y0 * N + x1) * 3;
      const p10 = (y1 * N + x0) * 3;
      const p11 = (y1 * N + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const top = a[p00 + c]! * gx + a[p01 + c]! * fx;
        const bottom = a[p10 + c]! * gx + a[p11 + c]! * fx;
        const k = i * 3 + c;
        mapped[k] = top * gy + bottom * fy;
        const va = mapped[k]!;
        const vb = b[k]!;
        if (va > 5 && va < 250 && vb > 5 && vb < 250) {
          fromValues[count] = va;
          toValues[count] = vb;
          count++;
        }
      }
    }
  }
  scratch.count = count;
  return true;
}

/**
 * One gain and offset for all three channels taking the mapped values to b's (collected by
 * resample: neither clipped nor black), least squares, refitted on the best-fitting half: a
 * region that changed colour (a recolour) is left out of the fit instead of bending it. The
 * values kept are compacted in place, in their order, round after round. Sets scratch.gain and
 * scratch.offset.
 */
function fitBrightness(scratch: Scratch): void {
  const rounds = FIT_ROUNDS;
  const { fromValues, toValues, residuals, histogram } = scratch;
  let gain = 1;
  let offset = 0;
  let n = scratch.count;
  // The sums of the values kept, gathered in the pass that keeps them (in the same order).
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sab = 0;
  for (let k = 0; k < n; k++) {
    const va = fromValues[k]!;
    const vb = toValues[k]!;
    sa += va;
    sb += vb;
    saa += va * va;
    sab += va * vb;
  }
  for (let round = 0; round < rounds && n >= 10; round++) {
    const varA = saa - (sa * sa) / n;
    // Values too alike to fix a gain (a flat graphic trimmed down to one colour): keep the
    // previous round's fit, or on the first round take the offset alone.
    if (varA < MIN_SPREAD * n) {
      if (round === 0) offset = (sb - sa) / n;
      break;
    }
    gain = (sab - (sa * sb) / n) / varA;
    gain = Math.max(MIN_GAIN, Math.min(MAX_GAIN, gain));
    offset = (sb - gain * sa) / n;
    if (round === rounds - 1) break;
    // Keep the best-fitting half: the median residual, from a histogram in half levels.
    histogram.fill(0);
    for (let k = 0; k < n; k++) {
      const bin = Math.min(511, (Math.abs(gain * fromValues[k]! + offset - toValues[k]!) * 2) | 0);
      residuals[k] = bin;
      histogram[bin]! += 1;
    }
    const wanted = Math.ceil(n * FIT_KEEP);
    let cut = 0;
    for (let seen = 0; cut < histogram.length; cut++) {
      seen += histogram[cut]!;
      if (seen >= wanted) break;
    }
    let m = 0;
    sa = sb = saa = sab = 0;
    for (let k = 0; k < n; k++) {
      if (residuals[k]! > cut) continue;
      const va = fromValues[k]!;
      const vb = toValues[k]!;
      fromValues[m] = va;
      toValues[m] = vb;
      m++;
      sa += va;
      sb += vb;
      saa += va * va;
      sab += va * vb;
    }
    n = m;
  }
  scratch.gain = gain;
  scratch.offset = offset;
}

function applyBrightness(from: Float32Array, gain: number, offset: number, to: Float32Array): void {
  for (let i = 0; i < PIXELS * 3; i++) {
    to[i] = Math.min(255, Math.max(0, gain * from[i]! + offset));
  }
}

/**
 * Share of the picture's pixels (both white left out, unless that leaves almost nothing) where
 * neither image has a matching colour within the other's 3x3 neighbourhood. Counting stops once
 * the share is certain to exceed `giveUpAbove`; the value returned is then a lower bound.
 */
function disagreementOf(
  p: Float32Array,
  q: Float32Array,
  scratch: Scratch,
  giveUpAbove: number,
): number {
  const { valid, targetWhite } = scratch;
  let picture = 0;
  let all = 0;
  for (let i = 0; i < PIXELS; i++) {
    if (!valid[i]) continue;
    all++;
    if (!(targetWhite[i] && isWhite(p, i))) picture++;
  }
  if (all === 0) return 1;
  const whiteCounts = picture < 20;
  const total = whiteCounts ? all : picture;
  const limit = PIXEL_TOLERANCE * PIXEL_TOLERANCE * 3;
  const enough = Math.floor(giveUpAbove * total) + 1;
  let off = 0;
  for (let i = 0; i < PIXELS; i++) {
    if (!valid[i]) continue;
    if (!whiteCounts && targetWhite[i] && isWhite(p, i)) continue;
    const x = i % N;
    const y = (i - x) / N;
    if (nearest(p, q, valid, x, y, limit) > limit || nearest(q, p, valid, x, y, limit) > limit) {
      off++;
      if (off >= enough && giveUpAbove > 0) break;
    }
  }
  return off / total;
}

/** Smallest squared distance from from[x, y] to a valid pixel of to in its 3x3 neighbourhood. */
function nearest(
  from: Float32Array,
  to: Float32Array,
  valid: Uint8Array,
  x: number,
  y: number,
  enough: number,
): number {
  const i = (y * N + x) * 3;
  const r = from[i]!;
  const g = from[i + 1]!;
  const b = from[i + 2]!;
  let best = Infinity;
  for (let yy = Math.max(0, y - 1); yy <= Math.min(N - 1, y + 1); yy++) {
    for (let xx = Math.max(0, x - 1); xx <= Math.min(N - 1, x + 1); xx++) {
      const j = yy * N + xx;
      if (!valid[j]) continue;
      const dr = r - to[j * 3]!;
      const dg = g - to[j * 3 + 1]!;
      const db = b - to[j * 3 + 2]!;
      const d = dr * dr + dg * dg + db * db;
      if (d < best) {
        best = d;
        if (best <= enough) return best;
      }
    }
  }
  return best;
}

function isWhite(rgb: Float32Array, i: number): boolean {
  return Math.min(rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!) > WHITE;
}

/** A [1 2 1] / 4 blur along each axis (edges repeat), as floats. */
function blur(bytes: Uint8Array): Float32Array {
  const across = new Float32Array(PIXELS * 3);
  const out = new Float32Array(PIXELS * 3);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const left = (y * N + Math.max(0, x - 1)) * 3;
      const centre = (y * N + x) * 3;
      const right = (y * N + Math.min(N - 1, x + 1)) * 3;
      for (let c = 0; c < 3; c++) {
        across[centre + c] = (bytes[left + c]! + 2 * bytes[centre + c]! + bytes[right + c]!) / 4;
      }
    }
  }
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const up = (Math.max(0, y - 1) * N + x) * 3;
      const centre = (y * N + x) * 3;
      const down = (Math.min(N - 1, y + 1) * N + x) * 3;
      for (let c = 0; c < 3; c++) {
        out[centre + c] = (across[up + c]! + 2 * across[centre + c]! + across[down + c]!) / 4;
      }
    }
  }
  return out;
}
