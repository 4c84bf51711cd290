// Text search: the query text through CLIP's text encoder, then the photos whose image
// embeddings (from the same model) are most similar by cosine.
import type { Embedder } from './embedder.ts';

/** Thrown when the active model cannot embed text; the message is the CLI's one-line reason. */
export class NoTextModelError extends Error {
  constructor(modelId: string | null = null) {
    super(
      `Text search needs a CLIP model${modelId ? ` and the active model is ${modelId}` : ''}; install one with \`shoebox models fetch clip-vit-b32\` (or \`shoebox models import <dir>\` offline).`,
    );
    this.name = 'NoTextModelError';
  }
}

/** Photo embeddings of one model: row i of `vectors` (length ids.length * dim) belongs to ids[i]. */
export interface EmbeddingSet {
  ids: ArrayLike<number>;
  vectors: Float32Array;
  dim: number;
  /** The model that made them; checked against the query's model when given. */
  modelId?: string;
}

export interface ScoredId {
  id: number;
  /** Cosine similarity in [-1, 1] (all vectors are unit length). */
  score: number;
}

/** The k rows most similar to `query` (unit length), best first; ties keep the lower row first. */
export function topKByVector(query: Float32Array, set: EmbeddingSet, k: number): ScoredId[] {
  const { ids, vectors, dim } = set;
  if (query.length !== dim) throw new Error(`query has ${query.length} dimensions, set has ${dim}`);
  if (vectors.length !== ids.length * dim) {
    throw new Error(`embedding set holds ${vectors.length} values for ${ids.length} x ${dim}`);
  }
  const want = Math.max(0, Math.min(Math.floor(k), ids.length));
  if (want === 0) return [];
  // A min-heap of the best `want` rows seen so far: O(n log k), no full sort of n scores.
  const heapScore = new Float64Array(want);
  const heapRow = new Int32Array(want);
  let size = 0;
  const worse = (a: number, b: number) =>
    heapScore[a]! < heapScore[b]! || (heapScore[a] === heapScore[b] && heapRow[a]! > heapRow[b]!);
  const swap = (a: number, b: number) => {
    const s = heapScore[a]!;
    heapScore[a] = heapScore[b]!;
    heapScore[b] = s;
    const r = heapRow[a]!;
    heapRow[a] = heapRow[b]!;
    heapRow[b] = r;
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let row = 0; row < ids.length; row++) {
    let dot = 0;
    const base = row * dim;
    for (let j = 0; j < dim; j++) dot += query[j]! * vectors[base + j]!;
    if (size < want) {
      heapScore[size] = dot;
      heapRow[size] = row;
      for (let i = size++; i > 0;) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (dot > heapScore[0]!) {
      heapScore[0] = dot;
      heapRow[0] = row;
      siftDown(0);
    }
  }
  const out: { row: number; score: number }[] = [];
  for (let i = 0; i < size; i++) out.push({ row: heapRow[i]!, score: heapScore[i]! });
  out.sort((a, b) => b.score - a.score || a.row - b.row);
  return out.map(({ row, score }) => ({ id: ids[row]!, score: Math.max(-1, Math.min(1, score)) }));
}

/**
 * The k photos whose embeddings best match `text`. `embedder` is the active model (null when
 * none is loaded); it must have a text encoder and be the model that made `embeddings`.
 */
export async function searchByText(
  text: string,
  embeddings: EmbeddingSet,
  embedder: Embedder | null,
  k: number,
): Promise<ScoredId[]> {
  if (!embedder?.embedText) throw new NoTextModelError(embedder?.id ?? null);
  if (text.trim() === '') throw new Error('The search text is empty.');
  if (embeddings.modelId !== undefined && embeddings.modelId !== embedder.id) {
    throw new Error(
      `The embeddings were made by ${embeddings.modelId}, not the text model ${embedder.id}.`,
    );
  }
  if (embeddings.dim !== embedder.dim) {
    throw new Error(
      `The embeddings have ${embeddings.dim} dimensions; ${embedder.id} has ${embedder.dim}.`,
    );
  }
  const [query] = await embedder.embedText([text]);
  if (!query) throw new Error(`${embedder.id} returned no text embedding.`);
  return topKByVector(query, embeddings, k);
}
