// Duplicate edges pass the picture check before they are kept: a pair whose embeddings agree but
// whose pixels show another picture (a recolour, a skin tone, a "shiny" sprite) is dropped, so
// it can neither form a group nor chain two families together at any threshold.
//
// Verdicts depend only on the two photos' contents, not on the embedding, so they are kept by
// content-hash pair and reused across graph updates, embedding spaces and reopenings (the caller
// stores the fresh ones: the catalog's picture_checks table). Edges whose photos have no miniature yet (indexed before miniatures existed, and
// not yet re-indexed) are kept on the embedding's word alone, as before the check existed.
import type { DuplicateEdges } from './duplicates.ts';
import { comparePictures, prepareMiniature, type PreparedMiniature } from './picture-check.ts';

/** Same-picture verdicts by content-hash pair (see pairKey). */
export type PictureVerdicts = Map<string, boolean>;

/** The key of a pair of contents, in either order. */
export function pairKey(hashA: string, hashB: string): string {
  return hashA < hashB ? `${hashA}|${hashB}` : `${hashB}|${hashA}`;
}

export interface EdgeCheckReport {
  /** The verdicts reached by this call (to store), as [pair key, same picture]. */
  fresh: [string, boolean][];
  checked: number;
  reused: number;
  dropped: number;
  /** Edges kept unchecked because a photo had no miniature. */
  unchecked: number;
}

/**
 * The edges that pass the picture check, still sorted by similarity (a filter keeps the order,
 * so the edges at a threshold stay a prefix). New verdicts are added to `verdicts`.
 */
export function keepSamePictureEdges(
  edges: DuplicateEdges,
  miniatureOf: (contentHash: string) => Uint8Array | null,
  verdicts: PictureVerdicts,
): { edges: DuplicateEdges; report: EdgeCheckReport } {
  const report: EdgeCheckReport = { fresh: [], checked: 0, reused: 0, dropped: 0, unchecked: 0 };
  const prepared = new Map<number, PreparedMiniature | null>();
  const preparedOf = (ordinal: number): PreparedMiniature | null => {
    let found = prepared.get(ordinal);
    if (found === undefined) {
      const bytes = miniatureOf(edges.hashes[ordinal]!);
      found = bytes ? prepareMiniature(bytes) : null;
      prepared.set(ordinal, found);
    }
    return found;
  };
  const m = edges.from.length;
  const keep = new Uint8Array(m);
  let kept = 0;
  for (let e = 0; e < m; e++) {
    const a = edges.hashOrdinals[edges.from[e]!]!;
    const b = edges.hashOrdinals[edges.to[e]!]!;
    let same = true;
    if (a >= 0 && b >= 0 && a !== b) {
      const key = pairKey(edges.hashes[a]!, edges.hashes[b]!);
      const known = verdicts.get(key);
      if (known !== undefined) {
        same = known;
        report.reused++;
      } else {
        const pa = preparedOf(a);
        const pb = preparedOf(b);
        if (pa && pb) {
          same = comparePictures(pa, pb).samePicture;
          verdicts.set(key, same);
          report.fresh.push([key, same]);
          report.checked++;
        } else {
          report.unchecked++;
        }
      }
    }
    if (same) {
      keep[e] = 1;
      kept++;
    } else {
      report.dropped++;
    }
  }
  if (kept === m) return { edges, report };
  const out: DuplicateEdges = {
    ...edges,
    from: new Int32Array(kept),
    to: new Int32Array(kept),
    similarities: new Float32Array(kept),
  };
  for (let e = 0, o = 0; e < m; e++) {
    if (!keep[e]) continue;
    out.from[o] = edges.from[e]!;
    out.to[o] = edges.to[e]!;
    out.similarities[o] = edges.similarities[e]!;
    o++;
  }
  return { edges: out, report };
}
