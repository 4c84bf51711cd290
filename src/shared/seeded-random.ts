/**
 * Mulberry32: a tiny, fast, seedable pseudo-random generator. Everything random in Shoebox
 * (k-means seeds, k-medoids++ starts, layouts, test fixtures) draws from it, so results repeat
 * for the same seed; its quality is ample for sampling, never for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
