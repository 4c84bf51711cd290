// Which points the map draws as thumbnails in a frame, and how far the dots have turned into
// thumbnails at the current zoom. Pure: the grid over the points (point-index.ts) offers the
// points of the cells in view, the exact test is on the screen, and when a dense region puts more
// points in view than the budget, the ones nearest the middle of the screen are taken.
import type { PointIndex } from './point-index.ts';
import type { Camera } from './point-renderer.ts';

/** A thumbnail's long edge (CSS px) at which thumbnails start to replace the dots... */
export const THUMBS_FROM_PX = 14;
/** ...and at which they have replaced them. */
export const THUMBS_FULL_PX = 30;

/**
 * How far thumbnails have replaced the dots, from 0 (dots only: nothing is loaded) to 1, for a
 * thumbnail long edge of `size` CSS pixels. Smooth in the zoom, so there is no pop.
 */
export function thumbnailMix(size: number): number {
  const t = Math.min(1, Math.max(0, (size - THUMBS_FROM_PX) / (THUMBS_FULL_PX - THUMBS_FROM_PX)));
  return t * t * (3 - 2 * t);
}

export interface TilesInView {
  /** The chosen points (indices into the layout), ascending: the drawing order, stable. */
  points: number[];
  /** The same points, nearest the middle of the screen first: the loading order. */
  priority: number[];
  /** How many points the view holds in all (more than `points` when over the budget). */
  inView: number;
}

/**
 * The points whose thumbnail (a square of `halfSize` CSS px either side of the point, the most
 * it can cover) meets the screen, at most `budget` of them: the nearest to the screen's middle.
 * `xy` holds the layout coordinates that `index` was built over.
 */
export function tilesInView(
  index: PointIndex,
  xy: Float32Array,
  view: { camera: Camera; width: number; height: number },
  halfSize: number,
  budget: number,
): TilesInView {
  const { camera: cam, width: w, height: h } = view;
  const found: number[] = [];
  const distance: number[] = [];
  if (!(cam.scale > 0) || budget <= 0) return { points: [], priority: [], inView: 0 };
  // A pixel more around the cells asked for keeps rounding out of the grid's answer.
  const margin = (halfSize + 1) / cam.scale;
  const cx = w / 2;
  const cy = h / 2;
  index.candidatesIn(
    -cam.x / cam.scale - margin,
    -cam.y / cam.scale - margin,
    (w - cam.x) / cam.scale + margin,
    (h - cam.y) / cam.scale + margin,
    (i) => {
      const x = (xy[2 * i] as number) * cam.scale + cam.x;
      const y = (xy[2 * i + 1] as number) * cam.scale + cam.y;
      if (x > -halfSize && y > -halfSize && x < w + halfSize && y < h + halfSize) {
        found.push(i);
        distance.push((x - cx) * (x - cx) + (y - cy) * (y - cy));
      }
      return true;
    },
  );
  const inView = found.length;
  let chosen = found.map((_, k) => k);
  if (inView > budget) {
    // The budget-th smallest distance, from a native numeric sort of a copy.
    const sorted = Float64Array.from(distance).sort();
    const cut = sorted[budget - 1] as number;
    let ties = budget - sorted.findIndex((d) => d === cut);
    chosen = [];
    // Ties at the cut go by point index, so the choice does not depend on the grid's order.
    const atCut = found
      .map((i, k) => ({ i, k }))
      .filter(({ k }) => distance[k] === cut)
      .sort((a, b) => a.i - b.i);
    const tiedIn = new Set<number>();
    for (const { k } of atCut) {
      if (ties-- <= 0) break;
      tiedIn.add(k);
    }
    for (let k = 0; k < inView; k++) {
      if ((distance[k] as number) < cut || tiedIn.has(k)) chosen.push(k);
    }
  }
  const points = chosen.map((k) => found[k] as number).sort((a, b) => a - b);
  const priority = chosen
    .sort((a, b) => (distance[a] as number) - (distance[b] as number) || found[a]! - found[b]!)
    .map((k) => found[k] as number);
  return { points, priority, inView };
}
