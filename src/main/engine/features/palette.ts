// Dominant colours by k-means in CIELAB over a point-sampled copy of at most 64x64 pixels. The
// result is deterministic (seeded k-means++), so re-indexing the same photo gives the same
// palette and the catalog's palette search stays stable.
//
// Up to 16 colours, not fewer, because colour search reads a photo's share of a colour off the
// palette (analysis/colour-search.ts): a cluster whose pixels straddle the "same colour" line
// counts wholly on one side of it, and more clusters straddle less. Against the pixels' own
// count, the share of a query colour is 1.0 point off on average with 16 colours
// (bench/colour-quality.ts, shareError); in a one-off run of the same measure, 1.4 with 12 and
// 0.7 with 32. The search's time grows with the colours per photo: with 16, a 5-colour query
// over 120k photos costs about what it did with 12 (bench/README.md).
import { labToHex } from '../../../shared/colour.ts';
import type { PaletteColour } from '../../../shared/domain.ts';
import type { LabSamples } from './pixels.ts';
import { mulberry32 } from '../../../shared/seeded-random.ts';

export const PALETTE_SIZE = 16;
const MAX_ITERATIONS = 12;
/** Seeds closer than this (CIE76) to an existing centre are not worth a cluster of their own. */
const MIN_SEED_DISTANCE = 3;
/** Final clusters closer than this are one colour to a viewer and are merged. */
const MERGE_DISTANCE = 4;
/**
 * How much clearer than rounding a sample's own centre must be the nearest for the bounds to
 * skip its search: distances are tens of Lab units, computed in doubles (errors near 1e-13).
 */
const BOUND_MARGIN = 1e-6;

interface Cluster {
  l: number;
  a: number;
  b: number;
  weight: number;
}

export function extractPalette(samples: LabSamples, size = PALETTE_SIZE): PaletteColour[] {
  const { lab, count } = samples;
  if (count === 0) return [];
  const random = mulberry32(0x5eed ^ count);
  const centres = seedCentres(lab, count, size, random);
  const k = centres.length / 3;
  const sums = refineCentres(lab, count, centres);

  let clusters: Cluster[] = [];
  for (let c = 0; c < k; c++) {
    const n = sums[c * 4 + 3]!;
    if (n > 0) {
      clusters.push({
        l: centres[c * 3]!,
        a: centres[c * 3 + 1]!,
        b: centres[c * 3 + 2]!,
        weight: n,
      });
    }
  }
  clusters = mergeClose(clusters);
  clusters.sort((x, y) => y.weight - x.weight || y.l - x.l);
  const total = clusters.reduce((sum, cluster) => sum + cluster.weight, 0);
  return clusters.map((cluster) => {
    const colour = { l: cluster.l, a: cluster.a, b: cluster.b };
    return { lab: colour, hex: labToHex(colour), share: cluster.weight / total };
  });
}

/**
 * Lloyd's k-means from `centres` (moved in place, [l, a, b] each), at most MAX_ITERATIONS
 * rounds; returns each cluster's Lab sums and sample count from the last assignment, four
 * numbers per centre.
 */
export function refineCentres(lab: Float32Array, count: number, centres: number[]): Float64Array {
  const k = centres.length / 3;
  const assignment = new Int32Array(count).fill(-1);
  const sums = new Float64Array(k * 4);
  const bounds = new HamerlyBounds(count, k);

  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let changed = 0;
    sums.fill(0);
    bounds.measureGaps(centres);
    for (let p = 0; p < count; p++) {
      const kept = assignment[p]!;
      const best =
        kept >= 0 && bounds.keeps(p, kept, lab, centres) ? kept : bounds.nearest(p, lab, centres);
      if (best !== kept) {
        assignment[p] = best;
        changed++;
      }
      const s = best * 4;
      sums[s] = sums[s]! + lab[p * 3]!;
      sums[s + 1] = sums[s + 1]! + lab[p * 3 + 1]!;
      sums[s + 2] = sums[s + 2]! + lab[p * 3 + 2]!;
      sums[s + 3] = sums[s + 3]! + 1;
    }
    const before = centres.slice();
    for (let c = 0; c < k; c++) {
      const n = sums[c * 4 + 3]!;
      if (n === 0) continue; // an emptied centre keeps its place; extractPalette drops it
      centres[c * 3] = sums[c * 4]! / n;
      centres[c * 3 + 1] = sums[c * 4 + 1]! / n;
      centres[c * 3 + 2] = sums[c * 4 + 2]! / n;
    }
    // Fewer than 0.5 % of samples moving changes no share by more than that: stop.
    if (changed * 200 <= count) break;
    bounds.centresMoved(before, centres, assignment);
  }
  return sums;
}

/**
 * k-means++ seeding with a fixed-seed generator. It stops early when every sample already sits
 * within MIN_SEED_DISTANCE of a centre, so a two-colour image yields two clusters, not five.
 */
function seedCentres(lab: Float32Array, count: number, k: number, random: () => number): number[] {
  const centres: number[] = [];
  const first = Math.floor(random() * count);
  centres.push(lab[first * 3]!, lab[first * 3 + 1]!, lab[first * 3 + 2]!);
  const d2 = new Float64Array(count);
  for (let p = 0; p < count; p++) d2[p] = distance2(lab, p * 3, centres, 0);
  while (centres.length / 3 < k) {
    let total = 0;
    let max = 0;
    for (let p = 0; p < count; p++) {
      total += d2[p]!;
      if (d2[p]! > max) max = d2[p]!;
    }
    if (max < MIN_SEED_DISTANCE * MIN_SEED_DISTANCE) break;
    let target = random() * total;
    let chosen = count - 1;
    for (let p = 0; p < count; p++) {
      target -= d2[p]!;
      if (target <= 0) {
        chosen = p;
        break;
      }
    }
    const c = centres.length;
    centres.push(lab[chosen * 3]!, lab[chosen * 3 + 1]!, lab[chosen * 3 + 2]!);
    for (let p = 0; p < count; p++) {
      const d = distance2(lab, p * 3, centres, c);
      if (d < d2[p]!) d2[p] = d;
    }
  }
  return centres;
}

/**
 * Hamerly's bounds for k-means: per sample, an upper bound on its distance to its own centre and
 * a lower bound on its distance to any other, kept up to date as the centres move. A sample
 * whose own centre is provably the nearest keeps it without any distance being computed, so
 * later iterations, where few samples change, cost a fraction of Lloyd's. Every other sample
 * gets Lloyd's full search, the same comparisons in the same order, and "provably" has a margin
 * far above rounding, so the assignments (and the palette) are exactly Lloyd's.
 */
class HamerlyBounds {
  private readonly upper: Float64Array;
  private readonly lower: Float64Array;
  /** Per centre, half the distance to the nearest other centre. */
  private readonly halfGap: Float64Array;

  constructor(
    count: number,
    private readonly k: number,
  ) {
    this.upper = new Float64Array(count);
    this.lower = new Float64Array(count);
    this.halfGap = new Float64Array(k);
  }

  measureGaps(centres: number[]): void {
    for (let c = 0; c < this.k; c++) {
      let closest = Infinity;
      for (let other = 0; other < this.k; other++) {
        if (other !== c) closest = Math.min(closest, distance2(centres, c * 3, centres, other * 3));
      }
      this.halfGap[c] = Math.sqrt(closest) / 2;
    }
  }

  /** Whether sample `p` provably stays with centre `own` (tightening its upper bound if needed). */
  keeps(p: number, own: number, lab: Float32Array, centres: number[]): boolean {
    const bar = Math.max(this.lower[p]!, this.halfGap[own]!) - BOUND_MARGIN;
    if (this.upper[p]! < bar) return true;
    this.upper[p] = Math.sqrt(distance2(lab, p * 3, centres, own * 3));
    return this.upper[p]! < bar;
  }

  /** Lloyd's search over every centre (the first nearest wins a tie); it resets p's bounds. */
  nearest(p: number, lab: Float32Array, centres: number[]): number {
    let best = 0;
    let bestDistance = Infinity;
    let secondDistance = Infinity;
    for (let c = 0; c < this.k; c++) {
      const d = distance2(lab, p * 3, centres, c * 3);
      if (d < bestDistance) {
        secondDistance = bestDistance;
        bestDistance = d;
        best = c;
      } else if (d < secondDistance) {
        secondDistance = d;
      }
    }
    this.upper[p] = Math.sqrt(bestDistance);
    this.lower[p] = Math.sqrt(secondDistance);
    return best;
  }

  /** Loosens every bound by how far the centres moved. */
  centresMoved(before: number[], after: number[], assignment: Int32Array): void {
    const moved = new Float64Array(this.k);
    let farthest = 0;
    let secondFarthest = 0;
    for (let c = 0; c < this.k; c++) {
      moved[c] = Math.sqrt(distance2(before, c * 3, after, c * 3));
      if (moved[c]! > moved[farthest]!) farthest = c;
    }
    for (let c = 0; c < this.k; c++)
      if (c !== farthest) secondFarthest = Math.max(secondFarthest, moved[c]!);
    for (let p = 0; p < assignment.length; p++) {
      const own = assignment[p]!;
      this.upper[p] = this.upper[p]! + moved[own]!;
      this.lower[p] = this.lower[p]! - (own === farthest ? secondFarthest : moved[farthest]!);
    }
  }
}

function distance2(
  points: ArrayLike<number>,
  offset: number,
  centres: ArrayLike<number>,
  c: number,
): number {
  const dl = points[offset]! - centres[c]!;
  const da = points[offset + 1]! - centres[c + 1]!;
  const db = points[offset + 2]! - centres[c + 2]!;
  return dl * dl + da * da + db * db;
}

function mergeClose(clusters: Cluster[]): Cluster[] {
  const out = [...clusters];
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const x = out[i]!;
        const y = out[j]!;
        if (Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b) < MERGE_DISTANCE) {
          const w = x.weight + y.weight;
          out[i] = {
            l: (x.l * x.weight + y.l * y.weight) / w,
            a: (x.a * x.weight + y.a * y.weight) / w,
            b: (x.b * x.weight + y.b * y.weight) / w,
            weight: w,
          };
          out.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return out;
}
