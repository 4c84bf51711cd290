// Reading one embedding space's vectors out of the catalog, for analysis. Its own module (the
// catalog and nothing else) so that the analysis worker thread can read them too without
// loading the model manager, the decoder or the embedding service.
import type { EmbeddingSet, EmbeddingSpace } from '../models.ts';
import type { Catalog } from './catalog.ts';

export function loadEmbeddingSet(catalog: Catalog, space: EmbeddingSpace): EmbeddingSet {
  const ids: number[] = [];
  const chunks: Buffer[] = [];
  const rowBytes = space.dim * 4;
  for (const row of catalog.featuresOfKind(space.kind, space.version)) {
    // A vector of the wrong length (a damaged row) is left out rather than misread.
    if (row.data.byteLength !== rowBytes) continue;
    ids.push(row.photoId);
    chunks.push(row.data);
  }
  const bytes = Buffer.concat(chunks, ids.length * rowBytes);
  // Copy into an aligned buffer: rows come from SQLite at arbitrary offsets. Shared memory, so
  // the analysis and layout worker threads read the vectors without a copy being posted.
  const vectors = new Float32Array(new SharedArrayBuffer(ids.length * rowBytes));
  new Uint8Array(vectors.buffer).set(bytes);
  return { ids: Int32Array.from(ids), vectors, dim: space.dim, modelId: space.modelId };
}
